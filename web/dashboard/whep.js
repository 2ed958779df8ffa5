// A WHEP client (POST /streams/{id}/whep with an SDP offer, application/sdp; DELETE the
// returned Location on close). Non-trickle: the offer carries every local candidate.
import { authFetch, pageToken } from '../auth.js';

function errorText(status, text) {
  try {
    const j = JSON.parse(text);
    if (j && j.error && j.error.message) return j.error.message;
  } catch { /* not JSON */ }
  return `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

function gathered(pc, timeoutMs) {
  return new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
    });
  });
}

// Plays camera `camera` in `video`. Resolves once the server answered; `onFail(reason)` is
// called once if the connection does not come up within connectTimeoutMs or fails later.
// Returns { pc, stop(), stats() }.
export async function playWhep(video, camera, { onFail = () => {}, onConnected = () => {}, connectTimeoutMs = 10000 } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const media = new MediaStream();
  let location = null;
  let done = false;
  let connected = false;
  const fail = (reason) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    onFail(reason);
  };
  const timer = setTimeout(() => {
    if (!connected) fail(`did not connect within ${Math.round(connectTimeoutMs / 1000)} s`);
  }, connectTimeoutMs);
  pc.ontrack = (ev) => {
    media.addTrack(ev.track);
    if (video.srcObject !== media) video.srcObject = media;
    video.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected' && !connected) {
      connected = true;
      clearTimeout(timer);
      onConnected();
    }
    if (pc.connectionState === 'failed') fail('the connection failed (ICE)');
  };
  const handle = {
    pc,
    get location() { return location; },
    stop() {
      done = true;
      clearTimeout(timer);
      pc.ontrack = pc.onconnectionstatechange = null;
      pc.close();
      if (video.srcObject === media) video.srcObject = null;
      if (location) {
        authFetch(location, { method: 'DELETE', keepalive: true }).catch(() => {});
        location = null;
      }
    },
  };
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 2000);
    const headers = { 'Content-Type': 'application/sdp' };
    if (pageToken) headers.Authorization = `Bearer ${pageToken}`;
    const url = `/streams/${encodeURIComponent(camera)}/whep`;
    const res = await fetch(url, { method: 'POST', headers, body: pc.localDescription.sdp }).catch((e) => {
      throw new Error(`POST ${url}: ${e.message}`);
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(errorText(res.status, text));
    location = res.headers.get('Location');
    if (done) { handle.stop(); return handle; }
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
  } catch (e) {
    handle.stop();
    clearTimeout(timer);
    throw e;
  }
  return handle;
}

// Resolution, fps, bitrate of the received video (getStats()).
export async function whepStats(pc, prev = {}) {
  const report = await pc.getStats();
  const out = { width: 0, height: 0, fps: 0, kbps: 0, framesDecoded: 0, bytes: 0, ts: 0, codec: '' };
  let codecId = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out.width = s.frameWidth || 0;
      out.height = s.frameHeight || 0;
      out.fps = s.framesPerSecond || 0;
      out.framesDecoded = s.framesDecoded || 0;
      out.bytes = s.bytesReceived || 0;
      out.ts = s.timestamp;
      codecId = s.codecId;
    }
  });
  if (codecId && report.get(codecId)) out.codec = report.get(codecId).mimeType || '';
  if (prev.ts && out.ts > prev.ts) out.kbps = ((out.bytes - prev.bytes) * 8) / (out.ts - prev.ts);
  return out;
}
