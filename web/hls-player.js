// HLS and MJPEG playback for the viewer page (docs/hls-mjpeg.md).
import { withToken, authFetch } from './auth.js';
// hls.js is served by the daemon itself (/vendor/hls.min.js, installed from npm by
// scripts/deps.sh), never from a CDN. The settings favour latency over smoothness:
// play one segment behind the live edge and catch up by playing faster.
export const HLS_LIVE_CONFIG = {
  // The daemon publishes a segment the moment the next keyframe arrives and answers
  // blocking playlist reloads (?_HLS_msn=N), so the player can sit just over one segment
  // (1 s keyframes) behind the live edge without stalling: ~1.25 s glass-to-glass here.
  lowLatencyMode: true,           // no partial segments, but enables blocking reloads and catch-up
  liveSyncDurationCount: 1.1,     // x target duration (1 s segments: 1.1 s) behind the live edge
  liveMaxLatencyDurationCount: 4, // further behind: jump to the live edge
  liveSyncOnStallIncrease: 0.2,   // after a stall, back off a little (default: a whole second)
  maxLiveSyncPlaybackRate: 1.5,   // catch up by playing up to 1.5x instead of jumping
  maxBufferLength: 4,
  backBufferLength: 4,
  enableWorker: true,
  manifestLoadingMaxRetry: 10,    // the first playlist may answer 503 until a segment exists
  manifestLoadingRetryDelay: 500,
  levelLoadingMaxRetry: 10,
  levelLoadingRetryDelay: 500,
  fragLoadingMaxRetry: 6,
  fragLoadingRetryDelay: 500,
};

// Low-latency HLS (fmp4.m3u8: 200 ms partial segments, preload hints, blocking reloads):
// hls.js aims at the playlist's PART-HOLD-BACK (0.6 s behind the newest part) — setting
// liveSyncDurationCount would override it, and hls.js refuses liveMaxLatencyDurationCount
// without it. hls.js only speeds up while more than 1 s is buffered ahead, so at a 0.6 s
// target it would never catch up after a slow start (it settled ~1.0 s behind): the
// catch-up is ours (followLiveEdge below), and hls.js keeps its hands off playbackRate.
const { liveSyncDurationCount: _sync, liveMaxLatencyDurationCount: _max, ...llConfig } = HLS_LIVE_CONFIG;
export const LL_HLS_CONFIG = { ...llConfig, maxLiveSyncPlaybackRate: 1 };

// Keeps a low-latency player at the playlist's PART-HOLD-BACK behind the live edge: a little
// faster while it is behind and has some video buffered ahead, normal speed otherwise. Each
// stall once playing adds 0.2 s to the target (at most 1 s more); the stall hls.js nearly
// always has while it starts (it seeks just past what it has buffered) does not count.
function followLiveEdge(hls, video) {
  let playingSince = 0;
  let stalls = 0;
  const onPlaying = () => { if (!playingSince) playingSince = performance.now(); };
  const onWaiting = () => { if (playingSince && performance.now() - playingSince > 3000) stalls += 1; };
  video.addEventListener('playing', onPlaying);
  video.addEventListener('waiting', onWaiting);
  const timer = setInterval(() => {
    const details = hls.latestLevelDetails;
    const holdBack = details && details.partHoldBack;
    const target = holdBack ? holdBack + 0.2 * Math.min(stalls, 5) : hls.targetLatency;
    const latency = hls.latency;
    const b = video.buffered;
    const ahead = b.length ? b.end(b.length - 1) - video.currentTime : 0;
    let rate = 1;
    if (target && latency && !video.paused && ahead > 0.3) {
      const behind = latency - target;
      if (behind > 1) rate = 1.5;
      else if (behind > 0.05) rate = 1.1 + 0.3 * behind;
    }
    if (Math.abs(video.playbackRate - rate) > 0.01) video.playbackRate = rate;
  }, 200);
  return () => {
    clearInterval(timer);
    video.removeEventListener('playing', onPlaying);
    video.removeEventListener('waiting', onWaiting);
  };
}

let hlsJs = null;
function loadHlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsJs) {
    hlsJs = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = '/vendor/hls.min.js';
      s.onload = () => resolve(window.Hls);
      s.onerror = () => {
        hlsJs = null;
        reject(new Error('cannot load /vendor/hls.min.js (run scripts/deps.sh on the server)'));
      };
      document.head.append(s);
    });
  }
  return hlsJs;
}

// With the page's viewer token, if it was opened through a shared link (web/auth.js).
export const hlsUrl = (camera) => withToken(`/streams/${encodeURIComponent(camera)}/hls/index.m3u8`);
// The playlist for this camera: an H.264 camera's low-latency fMP4 playlist (every browser
// with MSE or native HLS decodes it), else index.m3u8 (an H.265 camera's variants: its own
// H.265 and the H.264 transcode, the player picks what it decodes).
export async function hlsUrlFor(camera) {
  try {
    const res = await authFetch(`/streams/${encodeURIComponent(camera)}`);
    const s = res.ok ? await res.json() : null;
    if (s && s.video && s.video.codec === 'H264') {
      return withToken(`/streams/${encodeURIComponent(camera)}/hls/fmp4.m3u8`);
    }
  } catch (_) { /* the classic playlist works for every camera */ }
  return hlsUrl(camera);
}
export const mjpegUrl = (camera) => withToken(`/streams/${encodeURIComponent(camera)}/mjpeg`);

// Plays `url` in `video`. `onStatus(text, cls)` reports progress; `onFatal(reason)` is called
// once if HLS cannot play (an unrecoverable error, or nothing buffered within
// startTimeoutMs), so the caller can fall back to MJPEG. Returns { stop(), hls }.
export async function playHls(video, url, onStatus = () => {}, onFatal = null, startTimeoutMs = 15000) {
  const Hls = await loadHlsJs();
  video.srcObject = null;
  if (Hls && Hls.isSupported()) {
    const lowLatency = url.includes('/fmp4.m3u8');
    const hls = new Hls(lowLatency ? LL_HLS_CONFIG : HLS_LIVE_CONFIG);
    const stopFollowing = lowLatency ? followLiveEdge(hls, video) : () => {};
    let mediaRecoveries = 0;
    let failed = false;
    const fatal = (reason) => {
      if (failed) return;
      failed = true;
      clearTimeout(startTimer);
      stopFollowing();
      onStatus(reason, 'error');
      if (onFatal) onFatal(reason);
    };
    const startTimer = setTimeout(() => fatal(`HLS did not start within ${Math.round(startTimeoutMs / 1000)} s`), startTimeoutMs);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      onStatus('buffering', 'starting');
      video.play().catch(() => {});
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      clearTimeout(startTimer);
      onStatus('playing (HLS)', 'connected');
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries++ < 3) {
        hls.recoverMediaError();
      } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
        onStatus('reconnecting', 'error');
        setTimeout(() => hls.startLoad(), 1000);
      } else {
        fatal(`HLS error: ${data.details}`);
      }
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    return {
      hls,
      stop() {
        failed = true;
        clearTimeout(startTimer);
        stopFollowing();
        hls.destroy();
        video.removeAttribute('src');
        video.load();
      },
    };
  }
  if (video.canPlayType('application/vnd.apple.mpegurl')) {  // Safari: native HLS
    video.src = url;
    video.play().catch(() => {});
    onStatus('playing (HLS)', 'connected');
    return {
      hls: null,
      stop() {
        video.removeAttribute('src');
        video.load();
      },
    };
  }
  throw new Error('this browser cannot play HLS');
}

// MJPEG: an <img> whose src is the multipart stream. Returns { stop() }.
export function playMjpeg(img, url, onStatus = () => {}) {
  img.hidden = false;
  img.onload = () => onStatus('playing (MJPEG)', 'connected');
  img.onerror = () => onStatus('MJPEG stream ended', 'error');
  img.src = url;
  return {
    stop() {
      img.onload = img.onerror = null;
      img.removeAttribute('src');
      img.hidden = true;
    },
  };
}
