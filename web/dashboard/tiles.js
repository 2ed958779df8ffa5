// The camera grid: one tile per camera with a live snapshot (refreshed every few seconds,
// live MJPEG while hovered or focused), state badges, viewers, bitrate and fps with
// sparklines, and start / stop / record buttons.
import { authFetch, withToken } from '../auth.js';
import { mjpegUrl } from '../hls-player.js';
import { h, setText } from './dom.js';
import { post, enc } from './api.js';
import { toast, toastError } from './toast.js';
import { Sparkline } from './sparkline.js';
import * as fmt from './format.js';

const RUNNING = ['starting', 'active', 'reconnecting'];
const SNAPSHOT_EVERY_MS = 3000;
const HOVER_LIVE_DELAY_MS = 300;

class Tile {
  constructor(grid, s) {
    this.grid = grid;
    this.id = s.camera_id;
    this.prev = null;          // the previous poll's {frames, t} (for fps)
    this.snapUrl = null;       // the blob: URL of the newest snapshot
    this.snapBusy = false;
    this.snapAt = -Infinity;
    this.live = false;         // showing live MJPEG (hover / focus)
    this.spBitrate = new Sparkline(`Bitrate of the last samples`);
    this.spFps = new Sparkline(`Frames per second of the last samples`);

    this.img = h('img', { class: 'tile-img', alt: '', decoding: 'async' });
    this.placeholder = h('span', { class: 'tile-placeholder' }, 'No picture');
    this.liveTag = h('span', { class: 'live-tag', hidden: true }, 'LIVE');
    this.view = h('button', { class: 'tile-view', type: 'button' }, this.img, this.placeholder, this.liveTag);
    this.title = h('h3', { class: 'tile-name' });
    this.badge = h('span', { class: 'badge state' });
    this.stalled = h('span', { class: 'badge stalled', hidden: true }, 'stalled');
    this.rec = h('span', { class: 'badge rec', hidden: true }, 'REC');
    this.error = h('p', { class: 'tile-error', hidden: true });
    this.viewers = h('dd', { class: 'viewers' });
    this.bitrate = h('dd', { class: 'bitrate' });
    this.fps = h('dd', { class: 'fps' });
    this.res = h('dd', { class: 'resolution' });
    this.startBtn = h('button', { type: 'button', class: 'start', onclick: () => this.startStop() });
    this.recBtn = h('button', { type: 'button', class: 'record', onclick: () => this.record() });
    this.editBtn = h('button', { type: 'button', class: 'edit', onclick: () => grid.onEdit(this.id) }, 'Edit');
    this.el = h('article', { class: 'tile', dataset: { camera: this.id } },
      this.view,
      h('div', { class: 'tile-body' },
        h('div', { class: 'tile-head' }, this.title, this.badge, this.stalled, this.rec),
        this.error,
        h('dl', { class: 'tile-stats' },
          h('div', {}, h('dt', {}, 'Viewers'), this.viewers),
          h('div', {}, h('dt', {}, 'Size'), this.res),
          h('div', { class: 'spark' }, h('dt', {}, 'Bitrate'), this.bitrate, this.spBitrate.svg),
          h('div', { class: 'spark' }, h('dt', {}, 'Frame rate'), this.fps, this.spFps.svg)),
        h('div', { class: 'tile-actions' }, this.startBtn, this.recBtn, this.editBtn)));

    this.view.addEventListener('click', () => grid.onOpen(this.id));
    // A click anywhere on the tile but its buttons opens the player as well.
    this.el.addEventListener('click', (ev) => {
      if (!ev.target.closest('button, a, input, select')) grid.onOpen(this.id);
    });
    const enter = () => {
      clearTimeout(this.hoverTimer);
      this.hoverTimer = setTimeout(() => this.setLive(true), HOVER_LIVE_DELAY_MS);
    };
    const leave = () => {
      clearTimeout(this.hoverTimer);
      if (this.el.matches(':hover') || this.view === document.activeElement) return;
      this.setLive(false);
    };
    this.view.addEventListener('mouseenter', enter);
    this.view.addEventListener('mouseleave', leave);
    this.view.addEventListener('focus', enter);
    this.view.addEventListener('blur', () => { clearTimeout(this.hoverTimer); this.setLive(false); });
    this.img.addEventListener('load', () => {
      this.el.classList.add('has-picture');
      this.placeholder.hidden = this.running;
    });
    this.update(s);
  }

  get running() { return RUNNING.includes(this.s.state); }

  update(s) {
    this.s = s;
    const name = s.name || s.camera_id;
    setText(this.title, name);
    this.img.alt = `Latest picture of ${name}`;
    this.view.setAttribute('aria-label', `Open the player for ${name} (${s.state})`);
    setText(this.badge, s.state);
    this.badge.className = `badge state ${s.state}`;
    this.stalled.hidden = s.stalled !== true;
    const recState = s.recording ? s.recording.state : 'off';
    const recording = recState && recState !== 'off';
    this.rec.hidden = !recording;
    setText(this.rec, recState === 'recording' ? 'REC' : `REC ${recState}`);
    const err = s.error || (s.recording && s.recording.error) || '';
    this.error.hidden = !err;
    setText(this.error, err);

    const st = s.stats || {};
    const now = performance.now();
    // stats.fps when the server sends it, else the growth of stats.frames since the last poll
    // (unknown until the second poll).
    let fps = Number.isFinite(st.fps) ? st.fps : null;
    if (fps === null && (!this.running || (this.prev && now > this.prev.t && st.frames >= this.prev.frames))) {
      fps = this.running ? ((st.frames - this.prev.frames) * 1000) / (now - this.prev.t) : 0;
    }
    this.prev = { frames: st.frames || 0, t: now };
    const kbps = this.running ? Number(st.bitrate_kbps) || 0 : 0;
    setText(this.viewers, s.viewers ?? 0);
    setText(this.bitrate, fmt.kbps(kbps));
    setText(this.fps, fps === null ? '–' : fmt.fps(fps));
    setText(this.res, st.width && st.height ? `${st.width}×${st.height}` : '–');
    this.spBitrate.push(kbps);
    if (fps !== null) this.spFps.push(fps);

    const admin = this.grid.isAdmin();
    setText(this.startBtn, this.running ? 'Stop' : 'Start');
    this.startBtn.setAttribute('aria-label', `${this.running ? 'Stop' : 'Start'} ${name}`);
    setText(this.recBtn, recording ? 'Stop recording' : 'Record');
    this.recBtn.setAttribute('aria-label', `${recording ? 'Stop recording' : 'Record'} ${name}`);
    this.recBtn.setAttribute('aria-pressed', String(recording));
    this.editBtn.setAttribute('aria-label', `Edit ${name}`);
    for (const b of [this.startBtn, this.recBtn, this.editBtn]) b.hidden = !admin;
    this.el.classList.toggle('running', this.running);
    if (!this.running && this.live) this.setLive(false);
    this.placeholder.hidden = this.running && this.el.classList.contains('has-picture');
    setText(this.placeholder, this.running ? 'Waiting for a picture…' : `Camera ${s.state}`);
    this.maybeSnapshot();
  }

  // A fresh snapshot every few seconds while the camera runs (a snapshot of a stopped
  // camera would start it: not done). Fetched as a blob, so the image swaps without flicker.
  async maybeSnapshot(force = false) {
    if (!this.running || this.live || this.snapBusy || !document.contains(this.el)) return;
    // Nobody sees the tiles: a hidden tab, or the player covering them (each snapshot keeps
    // the camera's JPEG encoder busy on the server).
    if (document.hidden || this.grid.playerOpen()) return;
    if (!force && performance.now() - this.snapAt < SNAPSHOT_EVERY_MS) return;
    this.snapBusy = true;
    this.snapAt = performance.now();
    try {
      const res = await authFetch(`/streams/${enc(this.id)}/snapshot.jpg?t=${Date.now()}`, { cache: 'no-store' });
      if (!res.ok) return;
      const url = URL.createObjectURL(await res.blob());
      if (this.live) return URL.revokeObjectURL(url);
      const old = this.snapUrl;
      this.snapUrl = url;
      this.img.src = url;
      if (old) setTimeout(() => URL.revokeObjectURL(old), 1000);
    } catch {
      // the next round tries again
    } finally {
      this.snapBusy = false;
    }
  }

  setLive(on) {
    if (on && (!this.running || this.grid.playerOpen())) return;
    if (on === this.live) return;
    this.live = on;
    this.liveTag.hidden = !on;
    this.el.classList.toggle('live', on);
    if (on) this.img.src = `${mjpegUrl(this.id)}${mjpegUrl(this.id).includes('?') ? '&' : '?'}t=${Date.now()}`;
    else if (this.snapUrl) this.img.src = this.snapUrl;
    else this.img.removeAttribute('src');
  }

  async startStop() {
    const action = this.running ? 'stop' : 'start';
    this.startBtn.disabled = true;
    try {
      const s = await post(`/streams/${enc(this.id)}/${action}`);
      if (s && s.camera_id) this.update({ ...this.s, ...s });
      toast(`${this.s.name || this.id}: ${action === 'start' ? 'starting' : 'stopped'}`);
    } catch (e) {
      toastError(e, `${action === 'start' ? 'Start' : 'Stop'} ${this.id}: `);
    } finally {
      this.startBtn.disabled = false;
      this.grid.refresh();
    }
  }

  async record() {
    const recording = this.s.recording && this.s.recording.state && this.s.recording.state !== 'off';
    this.recBtn.disabled = true;
    try {
      await post(`/streams/${enc(this.id)}/record/${recording ? 'stop' : 'start'}`);
      toast(`${this.s.name || this.id}: recording ${recording ? 'stopped' : 'started'}`);
      this.grid.onRecordingChanged(this.id);
    } catch (e) {
      toastError(e, `Record ${this.id}: `);
    } finally {
      this.recBtn.disabled = false;
      this.grid.refresh();
    }
  }

  stopLive() { this.setLive(false); }

  destroy() {
    this.setLive(false);
    if (this.snapUrl) URL.revokeObjectURL(this.snapUrl);
    this.el.remove();
  }
}

export class Grid {
  // hooks: onOpen(id), onEdit(id), onRecordingChanged(id), refresh(), isAdmin(), playerOpen()
  constructor(container, hooks) {
    this.container = container;
    Object.assign(this, hooks);
    this.tiles = new Map();
    this.empty = h('p', { class: 'empty', hidden: true }, 'No cameras yet.');
    container.after(this.empty);
    setInterval(() => { for (const t of this.tiles.values()) t.maybeSnapshot(); }, 500);
  }

  render(streams) {
    const seen = new Set();
    streams.forEach((s, i) => {
      seen.add(s.camera_id);
      let t = this.tiles.get(s.camera_id);
      if (!t) {
        t = new Tile(this, s);
        this.tiles.set(s.camera_id, t);
      } else {
        t.update(s);
      }
      if (this.container.children[i] !== t.el) {
        this.container.insertBefore(t.el, this.container.children[i] || null);
        t.maybeSnapshot();
      }
    });
    for (const [id, t] of this.tiles) {
      if (!seen.has(id)) {
        t.destroy();
        this.tiles.delete(id);
      }
    }
    this.empty.hidden = streams.length > 0;
  }

  stopLive() { for (const t of this.tiles.values()) t.stopLive(); }
}
