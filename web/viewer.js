// camrelay browser viewer: WebSocket signaling + WebRTC (docs/signaling.md).
// URLs are derived from the page's own location, so it works on http://localhost and
// behind https (wss) alike. `window.camrelayViewer` exposes state for tests/debugging.
import { playHls, playMjpeg, hlsUrl, hlsUrlFor, mjpegUrl } from './hls-player.js';
import { authFetch, showAccount, withToken, pageToken } from './auth.js';

const $ = (id) => document.getElementById(id);
const video = $('video');
const statusEl = $('status');
const messageEl = $('message');
const overlay = $('overlay');
const cameraSelect = $('camera');
const modeSelect = $('mode');
const mjpegImg = $('mjpeg');

const params = new URLSearchParams(location.search);
const pathMatch = location.pathname.match(/^\/stream\/view\/([A-Za-z0-9_-]{1,64})$/);
const initialCamera = params.get('camera') || (pathMatch && pathMatch[1]) || '';
// The camera is named in the URL too (it is in the watch message as well), so that a front
// sharding cameras over several camrelay instances can route the WebSocket (docs/scaling.md).
const wsUrl = (camera) => withToken(
  `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/signaling?camera=${encodeURIComponent(camera)}`);

const state = {
  camera: initialCamera,
  ws: null,
  pc: null,
  viewerId: null,
  wanted: false,
  retries: 0,
  retryTimer: null,
  startedAt: 0,
  firstFrameMs: null,
  connectedMs: null,
  lastBytes: 0,
  lastTs: 0,
  kbps: 0,
  fps: 0,
};
window.camrelayViewer = state;
const CONNECT_TIMEOUT_S = Number(params.get('connect_timeout')) || 10;
// mode=hls plays an H.264 camera's low-latency playlist; hls=ts the classic MPEG-TS one.
const CLASSIC_HLS = params.get('hls') === 'ts';
// HLS / MJPEG modes (web/hls-player.js); ?mode=hls|mjpeg selects one. When WebRTC cannot
// connect, the page falls back to HLS.
state.mode = ['webrtc', 'hls', 'mjpeg'].includes(params.get('mode')) ? params.get('mode') : 'webrtc';
state.player = null;     // the running HLS/MJPEG player ({ stop(), hls })
state.fellBack = false;  // WebRTC failed and HLS took over
modeSelect.value = state.mode;

function setStatus(text, cls = text) {
  statusEl.textContent = text;
  statusEl.className = `pill ${cls}`;
}
function say(text) { messageEl.textContent = text || ''; }

async function api(method, path, body) {
  const res = await authFetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(json.error ? json.error.message : `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return json;
}

async function loadCameras() {
  try {
    const { cameras } = await api('GET', '/cameras');
    cameraSelect.replaceChildren(...cameras.map((c) => {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = `${c.name} (${c.state})`;
      return o;
    }));
    if (!state.camera && cameras.length) state.camera = cameras[0].id;
    cameraSelect.value = state.camera;
  } catch (e) {
    say(`Cannot list cameras: ${e.message}`);
  }
}

function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

function closePeer() {
  if (state.pc) {
    state.pc.ontrack = state.pc.onicecandidate = state.pc.onconnectionstatechange = null;
    state.pc.close();
  }
  state.pc = null;
  state.viewerId = null;
}

function stopPlayer() {
  if (state.player) state.player.stop();
  state.player = null;
  mjpegImg.hidden = true;
}

async function startPlayer(mode) {
  stopPlayer();
  state.startedAt = performance.now();
  state.firstFrameMs = null;
  setStatus('connecting', 'starting');
  try {
    state.player = mode === 'mjpeg'
      ? playMjpeg(mjpegImg, mjpegUrl(state.camera), setStatus)
      : await playHls(video, CLASSIC_HLS ? hlsUrl(state.camera) : await hlsUrlFor(state.camera), setStatus,
        (reason) => fallbackToMjpeg(reason));
  } catch (e) {
    if (mode === 'hls') return fallbackToMjpeg(e.message);
    say(e.message);
    setStatus('error');
  }
}

// HLS cannot play either (no MSE and no native HLS, or the stream does not start): MJPEG
// works in every browser.
function fallbackToMjpeg(reason) {
  if (!state.wanted || state.mode === 'mjpeg') return;
  state.fellBack = true;
  state.mode = 'mjpeg';
  modeSelect.value = 'mjpeg';
  const said = messageEl.textContent;
  say(`${said ? `${said}; ` : ''}${reason} — playing MJPEG instead`);
  startPlayer('mjpeg');
}

function fallbackToHls(reason) {
  state.fellBack = true;
  state.mode = 'hls';
  modeSelect.value = 'hls';
  // Keep what the server said (e.g. "limit_reached: …") in front of the notice.
  const said = messageEl.textContent;
  say(`${said && said.includes(reason) ? said : reason} — playing HLS instead`);
  startPlayer('hls');
}

function scheduleRetry(reason) {
  closePeer();
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  if (!state.wanted) return;
  if (state.mode === 'webrtc' && state.connectedMs === null) return fallbackToHls(reason);
  const delay = Math.min(30000, 1000 * 2 ** state.retries);
  state.retries += 1;
  setStatus('reconnecting', 'error');
  say(`${reason} — retrying in ${Math.round(delay / 1000)} s`);
  clearTimeout(state.retryTimer);
  state.retryTimer = setTimeout(connect, delay);
}

function makePeer(iceServers) {
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  // Video and audio (when the camera has some) go into one MediaStream on the <video>,
  // muted until the user unmutes (browsers allow autoplay only for muted media).
  const media = new MediaStream();
  pc.ontrack = (ev) => {
    media.addTrack(ev.track);
    if (video.srcObject !== media) video.srcObject = media;
    updateMuteButton();
  };
  pc.onicecandidate = (ev) => {
    if (ev.candidate) send({ type: 'candidate', candidate: ev.candidate.candidate, sdpMLineIndex: ev.candidate.sdpMLineIndex });
  };
  pc.onconnectionstatechange = () => {
    setStatus(pc.connectionState, pc.connectionState);
    if (pc.connectionState === 'connected') {
      state.retries = 0;
      state.connectedMs = performance.now() - state.startedAt;
      say('');
    }
    if (pc.connectionState === 'failed') scheduleRetry('connection failed');
  };
  return pc;
}

async function onMessage(msg) {
  switch (msg.type) {
    case 'hello': {
      state.pc = makePeer(msg.ice_servers || []);
      // The video codecs this browser decodes: without H.264 (Firefox without OpenH264) the
      // server sends its shared VP8 transcode instead.
      const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities ? RTCRtpReceiver.getCapabilities('video') : null;
      const codecs = caps ? [...new Set(caps.codecs.map((c) => c.mimeType))] : undefined;
      send({ type: 'watch', camera: state.camera, codecs });
      break;
    }
    case 'watching':
      state.viewerId = msg.viewer_id;
      setStatus('negotiating', 'starting');
      break;
    case 'offer': {
      const pc = state.pc;
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      send({ type: 'answer', sdp: pc.localDescription.sdp });
      break;
    }
    case 'candidate':
      if (state.pc && msg.candidate) {
        await state.pc.addIceCandidate({ candidate: msg.candidate, sdpMLineIndex: msg.sdpMLineIndex || 0 }).catch(() => {});
      }
      break;
    case 'state':
      break;
    case 'stopped':
      if (state.wanted) scheduleRetry(`stream ended: ${msg.reason}`);
      break;
    case 'error':
      say(`${msg.code}: ${msg.message}`);
      setStatus('error');
      if (state.wanted) scheduleRetry(`${msg.code}: ${msg.message}`);
      break;
    default:
      break;
  }
}

function connect() {
  closePeer();
  state.startedAt = performance.now();
  state.firstFrameMs = null;
  state.connectedMs = null;
  setStatus('connecting', 'starting');
  // ICE that never completes (a firewall, no shared network path) shows no error of its
  // own: give WebRTC a bounded time, then fall back to HLS (then MJPEG) and say why.
  clearTimeout(state.connectTimer);
  state.connectTimer = setTimeout(() => {
    if (state.wanted && state.mode === 'webrtc' && state.connectedMs === null) {
      scheduleRetry(`WebRTC did not connect within ${CONNECT_TIMEOUT_S} s`);
    }
  }, CONNECT_TIMEOUT_S * 1000);
  const ws = new WebSocket(wsUrl(state.camera));
  state.ws = ws;
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    onMessage(msg).catch((e) => say(e.message));
  };
  ws.onclose = () => { if (state.ws === ws) scheduleRetry('signaling connection closed'); };
  ws.onerror = () => say('Failed to connect to the signaling server');
}

async function start() {
  state.camera = cameraSelect.value || state.camera;
  if (!state.camera) return say('No camera selected');
  state.mode = modeSelect.value || 'webrtc';
  const modeParam = state.mode === 'webrtc' ? '' : `&mode=${state.mode}`;
  const tokenParam = pageToken ? `&token=${encodeURIComponent(pageToken)}` : '';
  history.replaceState(null, '', `/viewer?camera=${encodeURIComponent(state.camera)}${modeParam}${tokenParam}`);
  state.wanted = true;
  state.retries = 0;
  $('start').disabled = true;
  $('stop').disabled = false;
  try {
    const s = await api('GET', `/streams/${encodeURIComponent(state.camera)}`);
    if (!['starting', 'active', 'reconnecting'].includes(s.state)) {
      say('Starting the camera stream…');
      // Only admins start streams explicitly; for everyone else watching starts the camera.
      await api('POST', `/streams/${encodeURIComponent(state.camera)}/start`).catch((e) => {
        if (e.status !== 403) throw e;
      });
    }
  } catch (e) {
    say(e.message);
  }
  if (state.mode === 'webrtc') connect();
  else startPlayer(state.mode);
}

function stop() {
  state.wanted = false;
  clearTimeout(state.retryTimer);
  send({ type: 'stop' });
  closePeer();
  if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
  video.srcObject = null;
  stopPlayer();
  setStatus('idle');
  $('start').disabled = false;
  $('stop').disabled = true;
  overlay.hidden = true;
}

function onFrame() {
  if (state.firstFrameMs === null && state.startedAt) {
    state.firstFrameMs = performance.now() - state.startedAt;
  }
  video.requestVideoFrameCallback(onFrame);
}
if ('requestVideoFrameCallback' in HTMLVideoElement.prototype) video.requestVideoFrameCallback(onFrame);

async function updateOverlay() {
  const pc = state.pc;
  if (!pc) return;
  const report = await pc.getStats();
  let rtt = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      const now = s.timestamp;
      if (state.lastTs) state.kbps = ((s.bytesReceived - state.lastBytes) * 8) / (now - state.lastTs);
      state.lastBytes = s.bytesReceived;
      state.lastTs = now;
      state.fps = s.framesPerSecond || 0;
      state.framesDecoded = s.framesDecoded || 0;
      state.width = s.frameWidth || 0;
      state.height = s.frameHeight || 0;
    }
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime;
  });
  overlay.hidden = false;
  overlay.textContent = [
    `${state.width || '?'}x${state.height || '?'} @ ${Math.round(state.fps)} fps`,
    `${Math.round(state.kbps)} kbps`,
    `RTT ${rtt === null ? '?' : Math.round(rtt * 1000) + ' ms'}`,
    state.firstFrameMs !== null ? `first frame ${Math.round(state.firstFrameMs)} ms` : '',
  ].filter(Boolean).join('\n');
}
setInterval(() => updateOverlay().catch(() => {}), 1000);

const muteButton = $('mute');
function updateMuteButton() {
  const stream = video.srcObject;
  const hasAudio = !!(stream && stream.getAudioTracks && stream.getAudioTracks().length);
  muteButton.textContent = video.muted ? 'Unmute' : 'Mute';
  muteButton.setAttribute('aria-pressed', String(video.muted));
  muteButton.title = hasAudio ? '' : 'This camera sends no audio';
}
muteButton.onclick = () => {
  video.muted = !video.muted;
  if (!video.muted) video.play().catch(() => {});
  updateMuteButton();
};
updateMuteButton();

$('start').onclick = start;
$('stop').onclick = stop;
cameraSelect.onchange = () => { if (state.wanted) { stop(); start(); } };
modeSelect.onchange = () => { if (state.wanted) { stop(); start(); } };

showAccount(document.querySelector('header'));
await loadCameras();
if (initialCamera || params.has('autoplay')) start();
