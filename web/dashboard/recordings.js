// The recordings list: GET /recordings (newest first, paged with its "next" link, filtered
// by camera), thumbnails, playback in a dialog (<video src="/recordings/{id}">, the server
// answers byte ranges, so it seeks), download and delete.
import { withToken } from '../auth.js';
import { $, h, setText } from './dom.js';
import { get, del, enc } from './api.js';
import { toast, toastError } from './toast.js';
import * as fmt from './format.js';

const PAGE = 24;

export class Recordings {
  constructor({ isAdmin }) {
    this.isAdmin = isAdmin;
    this.list = $('#recordings');
    this.filter = $('#rec-camera');
    this.more = $('#rec-more');
    this.summary = $('#rec-summary');
    this.dialog = $('#rec-player');
    this.video = $('#rec-video');
    this.next = null;
    this.rows = new Map();
    this.filter.addEventListener('change', () => this.load());
    $('#rec-refresh').addEventListener('click', () => this.load());
    this.more.addEventListener('click', () => this.loadMore());
    $('#rec-close').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => {
      this.video.pause();
      this.video.removeAttribute('src');
      this.video.load();
    });
    this.dialog.addEventListener('click', (ev) => { if (ev.target === this.dialog) this.dialog.close(); });
  }

  setCameras(cameras) {
    const current = this.filter.value;
    const opts = [h('option', { value: '' }, 'All cameras'),
      ...cameras.map((c) => h('option', { value: c.id }, c.name && c.name !== c.id ? `${c.name} (${c.id})` : c.id))];
    const same = this.filter.options.length === opts.length &&
      opts.every((o, i) => this.filter.options[i].value === o.value && this.filter.options[i].textContent === o.textContent);
    if (!same) {
      this.filter.replaceChildren(...opts);
      this.filter.value = cameras.some((c) => c.id === current) ? current : '';
    }
  }

  query() {
    const cam = this.filter.value;
    return `/recordings?limit=${PAGE}${cam ? `&camera=${enc(cam)}` : ''}`;
  }

  // Reloads the first page (keeps what is shown until the answer is there).
  async load() {
    try {
      const page = await get(this.query());
      this.rows.clear();
      this.list.replaceChildren(...page.recordings.map((r) => this.item(r)));
      this.showPage(page);
    } catch (e) {
      toastError(e, 'Recordings: ');
    }
  }

  async loadMore() {
    if (!this.next) return;
    try {
      const page = await get(this.next);
      this.list.append(...page.recordings.filter((r) => !this.rows.has(r.id)).map((r) => this.item(r)));
      this.showPage(page);
    } catch (e) {
      toastError(e, 'Recordings: ');
    }
  }

  showPage(page) {
    this.next = page.next;
    this.more.hidden = !page.next;
    const n = this.list.children.length;
    let text = n ? `${n}${page.next ? '+' : ''} recording${n === 1 ? '' : 's'}` : 'No recordings.';
    if (page.disk && page.disk.free_mb !== undefined) text += ` · ${Math.round(page.disk.free_mb)} MB free`;
    setText(this.summary, text);
  }

  item(r) {
    this.rows.set(r.id, r);
    const when = fmt.dateTime(r.start);
    const title = `${r.camera} · ${when}`;
    // The query names the version of the thumbnail: a row still being written has none yet
    // (the browser would keep showing an early failure for the same URL).
    const thumbUrl = (n) => withToken(`${r.thumbnail_url}?v=${r.end_ms || Date.now()}${n ? `&retry=${n}` : ''}`);
    const thumb = h('img', { class: 'rec-thumb', alt: '', loading: 'lazy', src: thumbUrl(0) });
    let retries = 0;
    thumb.addEventListener('error', () => {
      thumb.classList.add('broken');
      if (++retries <= 3) setTimeout(() => { if (thumb.isConnected) thumb.src = thumbUrl(retries); }, 2000 * retries);
    });
    thumb.addEventListener('load', () => thumb.classList.remove('broken'));
    const play = h('button', { type: 'button', class: 'rec-play', 'aria-label': `Play recording ${title}` }, thumb);
    play.addEventListener('click', () => this.play(r));
    const status = r.status === 'complete' ? '' : r.status;
    const meta = h('div', { class: 'rec-meta' },
      h('strong', {}, r.camera),
      h('time', { datetime: r.start }, when),
      h('span', {}, `${fmt.duration(r.duration_s)} · ${fmt.bytes(r.bytes)}${r.reason ? ` · ${r.reason}` : ''}`),
      status ? h('span', { class: `badge ${status}` }, status) : null);
    const actions = h('div', { class: 'rec-actions' },
      h('button', { type: 'button', 'aria-label': `Play recording ${title}`, onclick: () => this.play(r) }, 'Play'),
      h('a', { class: 'button', href: withToken(r.url), download: r.file, 'aria-label': `Download recording ${title}` }, 'Download'));
    if (this.isAdmin()) {
      actions.append(h('button', { type: 'button', class: 'danger', 'aria-label': `Delete recording ${title}`,
        onclick: () => this.remove(r, li) }, 'Delete'));
    }
    const li = h('li', { class: 'rec-item', dataset: { id: r.id, camera: r.camera, status: r.status } }, play, meta, actions);
    return li;
  }

  play(r) {
    setText($('#rec-title'), `${r.camera} · ${fmt.dateTime(r.start)} · ${fmt.duration(r.duration_s)}`);
    this.video.src = withToken(r.url);
    if (!this.dialog.open) this.dialog.showModal();
    this.video.play().catch(() => {});
  }

  async remove(r, li) {
    if (!confirm(`Delete the recording of ${r.camera} from ${fmt.dateTime(r.start)}?`)) return;
    try {
      await del(`/recordings/${enc(r.id)}`);
      li.remove();
      this.rows.delete(r.id);
      toast('Recording deleted');
    } catch (e) {
      toastError(e, 'Delete: ');
    }
  }
}
