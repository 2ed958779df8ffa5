// The player dialog: WebRTC (WHEP) / HLS / MJPEG with a switch, automatic fallback
// WebRTC → HLS → MJPEG with the reasons shown, fullscreen, mute and a stats overlay.
// HLS and MJPEG playback are the viewer page's own (web/hls-player.js).
import { playHls, playMjpeg, hlsUrlFor, mjpegUrl } from '../hls-player.js';
import { playWhep, whepStats } from './whep.js';
import { $, setText } from './dom.js';
import { post, enc } from './api.js';
import * as fmt from './format.js';

const LABEL = { webrtc: 'WebRTC', hls: 'HLS', mjpeg: 'MJPEG' };
const NEXT = { webrtc: 'hls', hls: 'mjpeg', mjpeg: null };
const RUNNING = ['starting', 'active', 'reconnecting'];
const params = new URLSearchParams(location.search);
// ?connect_timeout=N (seconds): how long WebRTC may take to connect before HLS takes over.
const CONNECT_TIMEOUT_MS = (Number(params.get('connect_timeout')) || 10) * 1000;

export class Player {
  // streamOf(id): the latest GET /streams entry of a camera (for its name and MJPEG figures).
  constructor({ streamOf, isAdmin, onClose = () => {} }) {
    this.streamOf = streamOf;
    this.isAdmin = isAdmin;
    this.onClose = onClose;
    this.dialog = $('#player');
    this.frame = $('#player-frame');
    this.stage = $('#player-stage');  // what goes fullscreen: the picture with its controls
    this.video = $('#player-video');
    this.img = $('#player-mjpeg');
    this.statsEl = $('#player-stats');
    this.messageEl = $('#player-message');
    this.statusEl = $('#player-status');
    this.titleEl = $('#player-title');
    this.muteBtn = $('#player-mute');
    this.fsBtn = $('#player-fullscreen');
    this.statsBtn = $('#player-stats-toggle');
    this.state = { camera: null, protocol: null, message: '', reasons: [], status: 'idle', stats: null };
    this.handle = null;   // the running WHEP / HLS / MJPEG playback
    this.gen = 0;         // bumped on every (re)start: callbacks of an old playback are ignored
    this.prevStats = {};
    window.camrelayDashboard = Object.assign(window.camrelayDashboard || {}, { player: this.state });

    this.radios = [...this.dialog.querySelectorAll('input[name="protocol"]')];
    for (const r of this.radios) {
      r.addEventListener('change', () => { if (r.checked) this.play(r.value, { manual: true }); });
    }
    $('#player-close').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => this.stop());
    // A click on the backdrop (outside the dialog's box) closes it too.
    this.dialog.addEventListener('click', (ev) => { if (ev.target === this.dialog) this.dialog.close(); });
    this.muteBtn.addEventListener('click', () => this.toggleMute());
    this.fsBtn.addEventListener('click', () => this.toggleFullscreen());
    this.frame.addEventListener('dblclick', () => this.toggleFullscreen());
    this.statsBtn.addEventListener('click', () => {
      const on = this.statsEl.hidden;
      this.statsEl.hidden = !on;
      this.statsBtn.setAttribute('aria-pressed', String(on));
    });
    document.addEventListener('fullscreenchange', () => this.updateButtons());
    this.dialog.addEventListener('keydown', (ev) => {
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      const k = ev.key.toLowerCase();
      if (k === 'f') this.toggleFullscreen();
      else if (k === 'm') this.toggleMute();
      else if (k === 's') this.statsBtn.click();
      else if (['1', '2', '3'].includes(k)) this.select(['webrtc', 'hls', 'mjpeg'][Number(k) - 1]);
      else return;
      ev.preventDefault();
    });
    this.video.addEventListener('volumechange', () => this.updateButtons());
    setInterval(() => this.updateStats().catch(() => {}), 1000);
  }

  get isOpen() { return this.dialog.open; }

  async open(camera) {
    const s = this.streamOf(camera) || {};
    this.state.camera = camera;
    setText(this.titleEl, s.name || camera);
    this.video.muted = true;
    if (!this.dialog.open) {
      this.returnFocus = document.activeElement;
      this.dialog.showModal();
    }
    // Watching a stopped camera starts it (an admin may; for others the server starts it on demand).
    if (!RUNNING.includes(s.state) && this.isAdmin()) {
      await post(`/streams/${enc(camera)}/start`).catch(() => {});
    }
    this.select('webrtc');
  }

  select(protocol) {
    for (const r of this.radios) r.checked = r.value === protocol;
    this.play(protocol, { manual: true });
  }

  say(text) {
    this.state.message = text;
    setText(this.messageEl, text);
  }

  setStatus(text, cls = '') {
    this.state.status = text;
    setText(this.statusEl, text);
    this.statusEl.className = `badge ${cls}`;
  }

  stopPlayback() {
    if (this.handle) {
      try { this.handle.stop(); } catch { /* already gone */ }
    }
    this.handle = null;
    this.video.srcObject = null;
    this.video.removeAttribute('src');
    this.img.hidden = true;
    this.video.hidden = false;
    this.prevStats = {};
  }

  stop() {
    this.gen += 1;
    this.stopPlayback();
    this.video.load();
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    this.state.protocol = null;
    this.state.stats = null;
    this.setStatus('idle');
    this.say('');
    this.onClose(this.state.camera);
    // Back to what opened the player (the tile), for keyboard users.
    const back = this.returnFocus;
    this.returnFocus = null;
    if (back && document.contains(back) && back.focus) back.focus();
  }

  async play(protocol, { manual = false } = {}) {
    const camera = this.state.camera;
    if (!camera) return;
    const gen = ++this.gen;
    this.stopPlayback();
    if (manual) {
      this.state.reasons = [];
      this.say('');
    }
    this.state.protocol = protocol;
    for (const r of this.radios) r.checked = r.value === protocol;
    this.setStatus(`connecting (${LABEL[protocol]})`, 'starting');
    this.updateButtons();
    const alive = () => gen === this.gen;
    const fail = (reason) => { if (alive()) this.fallback(protocol, reason); };
    try {
      if (protocol === 'webrtc') {
        const handle = await playWhep(this.video, camera, {
          connectTimeoutMs: CONNECT_TIMEOUT_MS,
          onFail: fail,
          onConnected: () => { if (alive()) this.setStatus('playing (WebRTC)', 'active'); },
        });
        if (!alive()) return handle.stop();
        this.handle = handle;
      } else if (protocol === 'hls') {
        const handle = await playHls(this.video, await hlsUrlFor(camera),
          (text, cls) => { if (alive()) this.setStatus(text, cls === 'connected' ? 'active' : cls); }, fail);
        if (!alive()) return handle.stop();
        this.handle = handle;
        this.hookHls(handle);
      } else {
        this.video.hidden = true;
        this.handle = playMjpeg(this.img, mjpegUrl(camera), (text, cls) => {
          if (!alive()) return;
          this.setStatus(text, cls === 'connected' ? 'active' : cls);
          if (cls === 'error') this.say([...this.state.reasons, 'MJPEG failed: the stream ended'].join('; '));
        });
      }
    } catch (e) {
      fail(e.message);
    }
    this.updateButtons();
  }

  // Counts what hls.js downloads (for the bitrate in the stats).
  hookHls(handle) {
    const hls = handle.hls;
    if (!hls || !window.Hls) return;
    handle.loadedBytes = 0;
    hls.on(window.Hls.Events.FRAG_LOADED, (_, data) => {
      const n = data && data.payload ? data.payload.byteLength : 0;
      handle.loadedBytes += n || 0;
    });
  }

  fallback(from, reason) {
    const next = NEXT[from];
    this.state.reasons.push(`${LABEL[from]} failed: ${reason}`);
    if (!next) {
      this.say(this.state.reasons.join('; '));
      this.setStatus('error', 'error');
      this.stopPlayback();
      return;
    }
    this.say(`${this.state.reasons.join('; ')}; playing ${LABEL[next]}`);
    this.play(next);
  }

  toggleMute() {
    if (this.state.protocol === 'mjpeg') return;
    this.video.muted = !this.video.muted;
    if (!this.video.muted) this.video.play().catch(() => {});
    this.updateButtons();
  }

  toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else if (this.stage.requestFullscreen) this.stage.requestFullscreen().catch((e) => this.say(`Fullscreen refused: ${e.message}`));
  }

  updateButtons() {
    const fs = !!document.fullscreenElement;
    setText(this.fsBtn, fs ? 'Exit fullscreen' : 'Fullscreen');
    this.fsBtn.setAttribute('aria-pressed', String(fs));
    const mjpeg = this.state.protocol === 'mjpeg';
    this.muteBtn.disabled = mjpeg;
    setText(this.muteBtn, this.video.muted ? 'Unmute' : 'Mute');
    this.muteBtn.setAttribute('aria-pressed', String(this.video.muted));
    const src = this.video.srcObject;
    const audio = src && src.getAudioTracks ? src.getAudioTracks().length > 0 : null;
    this.muteBtn.title = mjpeg ? 'MJPEG has no sound' : audio === false ? 'This camera sends no audio' : '';
  }

  async updateStats() {
    if (!this.dialog.open || !this.state.protocol) return;
    const p = this.state.protocol;
    const now = performance.now();
    const prev = this.prevStats;
    let st = { width: 0, height: 0, fps: 0, kbps: 0 };
    if (p === 'webrtc' && this.handle && this.handle.pc) {
      st = await whepStats(this.handle.pc, prev);
      if (!st.fps && prev.framesDecoded !== undefined && prev.t) st.fps = ((st.framesDecoded - prev.framesDecoded) * 1000) / (now - prev.t);
    } else if (p === 'hls') {
      const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
      st.width = this.video.videoWidth;
      st.height = this.video.videoHeight;
      st.frames = q ? q.totalVideoFrames : 0;
      st.loaded = this.handle && this.handle.loadedBytes ? this.handle.loadedBytes : 0;
      if (prev.t) {
        st.fps = ((st.frames - prev.frames) * 1000) / (now - prev.t);
        st.kbps = ((st.loaded - prev.loaded) * 8) / (now - prev.t);
      }
      const hls = this.handle && this.handle.hls;
      if (hls && Number.isFinite(hls.latency) && hls.latency > 0) st.latency = hls.latency;
    } else if (p === 'mjpeg') {
      st.width = this.img.naturalWidth;
      st.height = this.img.naturalHeight;
      const s = this.streamOf(this.state.camera);
      const m = s && s.source && s.source.outputs && s.source.outputs.mjpeg;
      if (m) {
        st.fps = Number(m.fps) || 0;
        st.kbps = ((Number(m.last_frame_bytes) || 0) * 8 * st.fps) / 1000;
      }
    }
    st.t = now;
    this.prevStats = { ...st };
    st.protocol = LABEL[p];
    this.state.stats = st;
    const lines = [
      `${LABEL[p]}${st.codec ? ` · ${st.codec.replace(/^video\//, '')}` : ''}`,
      `${st.width || '?'}×${st.height || '?'}`,
      `${fmt.fps(Math.max(0, st.fps))} · ${p === 'mjpeg' ? '≈ ' : ''}${fmt.kbps(Math.max(0, st.kbps))}`,
    ];
    if (st.latency !== undefined) lines.push(`latency ${st.latency.toFixed(1)} s`);
    setText(this.statsEl, lines.join('\n'));
  }
}
