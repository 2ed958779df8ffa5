// Glass-to-glass latency (issue 6 point 4): camrelay WebRTC, HLS and MJPEG beside Janus
// WebRTC, one stamped camera feeding both servers with the very same RTP packets.
//
//   unshare -n sh -c 'ip link set lo up; ip link add ifb0 type ifb && ip addr add 127.0.0.2/32 dev ifb0 \
//     && ip link set ifb0 up; node tests/bench/g2g.mjs'        (scripts/bench.sh does this)
//
// The camera (tests/tools/rtsp_test_server --rtp-to, through lib/camera.mjs) paints the
// wall-clock ms into each raw frame before x264; the page reads it back from the picture at
// each presented frame (lib/g2g_page.mjs) and records Date.now() - stamp. Phases:
//   A  2 s GOP (the benchmark camera of point 1) → camrelay + Janus:
//      camrelay WebRTC twice: the product's /viewer page (WebSocket signaling) and a WHEP
//      viewer in the bench harness (lib/viewer_page.mjs), the same page code that watches
//      Janus WebRTC (streaming plugin) — the camrelay/Janus ratio uses the harness pair;
//      camrelay MJPEG
//      (/viewer?mode=mjpeg: <img src=/streams/ID/mjpeg>), camrelay LL-HLS (/viewer?mode=hls:
//      hls.js in low-latency mode on fmp4.m3u8, 200 ms parts) and classic HLS
//      (/viewer?mode=hls&hls=ts: MPEG-TS segments one GOP long, so 2 s keyframes make it ~1 s
//      slower);
//   C  2 s GOP with --delay-ms 200 (each raw frame held 200 ms after stamping) → camrelay
//      WebRTC (WHEP): validates the meter (median C - median A must equal the added delay
//      ± 2 frames);
//   B  1 s GOP (what docs/hls-mjpeg.md recommends for classic HLS) → camrelay HLS, LL-HLS.
// Each measurement: wait for stamped frames, warm up, then a fixed window (G2G_WINDOW_S,
// default 10 s, 4 s with BENCH_QUICK=1; HLS 1.5x). Janus runs only when 127.0.0.2 exists (see above) and `janus`
// is installed, otherwise its column is null and a warning says why.
// Output: a table on stdout and writeResult('g2g', …) ($BENCH_OUT/g2g.json).
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { startDaemon, waitFor, sleep, makeTempDir } from '../integration/lib/daemon.mjs';
import { launchBrowser } from '../integration/lib/browser.mjs';
import { startCamera, freeUdpPair } from './lib/camera.mjs';
import { startJanus } from './lib/janus.mjs';
import { watchJanus } from './lib/janus_page.mjs';
import { watchWhep, closeViewers, startBlankServer } from './lib/viewer_page.mjs';
import { summary, row, writeResult } from './lib/stats.mjs';
import { startStampReader, resetStampSamples, stampSamples, stopStampReader } from './lib/g2g_page.mjs';

const QUICK = !!process.env.BENCH_QUICK;
const WINDOW_S = Number(process.env.G2G_WINDOW_S || (QUICK ? 4 : 10));
const WARMUP_S = Number(process.env.G2G_WARMUP_S || 2);
const VALIDATION_DELAY_MS = 200;
const FRAME_MS = 1000 / 30;
// What the camera's --delay-ms N adds (its queue threshold is N + 1 frame, because a
// GstQueue's time level includes the newest buffer's duration).
const ADDED_MS = VALIDATION_DELAY_MS;
const log = (...a) => console.error('[g2g]', ...a);

function hasAddress(ip) {
  return Object.values(os.networkInterfaces()).flat().some((a) => a && a.address === ip);
}

// Stamp reader on `selector`: waits for decodable stamps, warms up, measures a window.
async function measure(page, selector, { windowS = WINDOW_S, warmupS = WARMUP_S, extra } = {}) {
  await page.waitForSelector(selector, { state: 'attached', timeout: 20000 });
  await startStampReader(page, selector);
  try {
    await waitFor(async () => (await stampSamples(page)).samples.length >= 5, { timeoutMs: 20000, intervalMs: 100 });
  } catch {
    const r = await stampSamples(page);
    throw new Error(`no readable stamp in ${selector} within 20 s: ${r.frames} frames presented, ` +
      `${r.rejected} rejected (luma of the blocks per bit, last bad frame: ${JSON.stringify(r.lastBad)}). ` +
      'Frames presented but all rejected means the top of the picture does not decode (e.g. a lost slice).');
  }
  await sleep(warmupS * 1000);
  await resetStampSamples(page);
  const before = extra ? await extra(page) : null;
  await sleep(windowS * 1000);
  const r = await stampSamples(page);
  const after = extra ? await extra(page) : null;
  await stopStampReader(page);
  const s = summary(r.samples);
  return { ...s, rejected: r.rejected, presented_fps: r.frames / windowS, window_s: windowS, before, after };
}

// WebRTC inbound stats of a page's RTCPeerConnection (found by `pcExpr`).
const rtcStats = (pcExpr) => async (page) => page.evaluate(async (expr) => {
  // eslint-disable-next-line no-new-func
  const pc = new Function(`return (${expr})`)();
  if (!pc) return null;
  let out = null;
  (await pc.getStats()).forEach((x) => {
    if (x.type === 'inbound-rtp' && x.kind === 'video') {
      out = { framesDecoded: x.framesDecoded, packetsLost: x.packetsLost, packetsReceived: x.packetsReceived,
        jitterBufferDelay: x.jitterBufferDelay, jitterBufferEmittedCount: x.jitterBufferEmittedCount,
        totalDecodeTime: x.totalDecodeTime, framesDropped: x.framesDropped };
    }
  });
  return out;
}, pcExpr);

// Adds decode fps and mean jitter-buffer delay over the window from two getStats snapshots.
function withRtc(m) {
  const { before: a, after: b } = m;
  delete m.before;
  delete m.after;
  if (a && b) {
    const frames = b.framesDecoded - a.framesDecoded;
    m.decoded_fps = frames / m.window_s;
    const emitted = b.jitterBufferEmittedCount - a.jitterBufferEmittedCount;
    m.jitter_buffer_ms = emitted > 0 ? (1000 * (b.jitterBufferDelay - a.jitterBufferDelay)) / emitted : null;
    m.decode_ms_per_frame = frames > 0 ? (1000 * (b.totalDecodeTime - a.totalDecodeTime)) / frames : null;
    m.packets_lost = b.packetsLost - a.packetsLost;
  }
  return m;
}

async function camrelayWebrtc(browser, d) {
  const page = await browser.newPage();
  try {
    await page.goto(d.url('/viewer?camera=cam'));
    return withRtc(await measure(page, '#video', { extra: rtcStats('window.camrelayViewer && window.camrelayViewer.pc') }));
  } finally {
    await page.close();
  }
}

async function camrelayMjpeg(browser, d) {
  const page = await browser.newPage();
  try {
    await page.goto(d.url('/viewer?camera=cam&mode=mjpeg'));
    const m = await measure(page, '#mjpeg');
    delete m.before;
    delete m.after;
    return m;
  } finally {
    await page.close();
  }
}

// classic: /viewer?mode=hls&hls=ts (index.m3u8, MPEG-TS segments one GOP long); else the
// low-latency fMP4 playlist the viewer page plays by default (fmp4.m3u8, 200 ms parts).
async function camrelayHls(browser, d, { classic = false } = {}) {
  const page = await browser.newPage();
  try {
    await page.goto(d.url(`/viewer?camera=cam&mode=hls${classic ? '&hls=ts' : ''}`));
    await page.evaluate(() => {
      window.__stalls = 0;
      document.getElementById('video').addEventListener('waiting', () => { window.__stalls += 1; });
    });
    const t0 = Date.now();
    await waitFor(async () => page.evaluate(() => document.getElementById('video').currentTime > 0.3),
      { timeoutMs: 30000, intervalMs: 100, message: 'hls.js plays' });
    const startS = (Date.now() - t0) / 1000;
    // hls.js needs a few segments to settle at its live-sync position (it catches up by
    // playing up to 1.5x): warm up 6 s.
    const hlsState = async (p) => p.evaluate(() => {
      const hls = window.camrelayViewer.player && window.camrelayViewer.player.hls;
      return { latency_s: hls ? hls.latency : null, stalls: window.__stalls,
        dropped: document.getElementById('video').getVideoPlaybackQuality().droppedVideoFrames };
    });
    const m = await measure(page, '#video', { windowS: Math.round(WINDOW_S * 1.5), warmupS: 6, extra: hlsState });
    m.hlsjs_latency_s = m.after.latency_s;
    m.stalls = m.after.stalls - m.before.stalls;
    m.play_start_s = startS;
    delete m.before;
    delete m.after;
    return m;
  } finally {
    await page.close();
  }
}

// A viewer of the benchmark harness (lib/viewer_page.mjs: the same page code and
// encoded-frame transform for both servers; all frames decoded): camrelay through WHEP,
// Janus through its REST API.
async function harnessWebrtc(browser, blankUrl, watch) {
  const page = await browser.newPage();
  try {
    await page.goto(blankUrl);
    const i = await watch(page);
    const err = await page.evaluate((i) => window.bench.viewers[i].error, i);
    if (err) throw new Error(err);
    return withRtc(await measure(page, `#v${i}`, { extra: rtcStats(`window.bench.viewers[${i}].pc`) }));
  } finally {
    await closeViewers(page).catch(() => {});
    await page.close();
  }
}

async function waitActive(d) {
  await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active',
    { timeoutMs: 15000, intervalMs: 50, message: 'camera cam active' });
}

// Restarts the camrelay stream on a new camera process (fresh SSRC, sequence, GOP).
async function switchCamera(d, old, opts) {
  if (old) await old.stop();
  await d.post('/streams/cam/stop');
  const cam = await startCamera(opts);
  const r = await d.post('/streams/cam/start');
  if (![200, 202].includes(r.status)) throw new Error(`start: ${r.status} ${r.text}`);
  await waitActive(d);
  return cam;
}

// Runs one measurement; a failure is recorded ({ error }) and the run goes on.
async function attempt(name, fn) {
  try {
    return await fn();
  } catch (e) {
    log(`${name} FAILED: ${e.message}`);
    return { error: e.message };
  }
}

const fmt = (x, d = 0) => (x == null ? '—' : Number(x).toFixed(d));

async function main() {
  const t0 = Date.now();
  const camPort = await freeUdpPair();
  let janusPort = null;
  let janus = null;
  let janusSkip = null;
  if (!hasAddress('127.0.0.2')) janusSkip = 'no interface carries 127.0.0.2 (run inside the namespace set up by scripts/bench.sh)';
  else {
    try {
      execFileSync('sh', ['-c', 'command -v janus'], { stdio: 'ignore' });
    } catch {
      janusSkip = 'janus is not installed';
    }
  }
  const d = await startDaemon({
    name: 'camrelay',
    config: {
      log_level: 'warn',
      cameras: [{ id: 'cam', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: camPort } }],
    },
  });
  const workDir = makeTempDir('camrelay-g2g-');
  const browser = await launchBrowser();
  const blank = await startBlankServer();
  let cam = null;
  const result = { camera: {}, camrelay: {}, janus: {}, validation: {}, notes: [] };
  try {
    const targets = [`127.0.0.1:${camPort}`];
    if (!janusSkip) {
      janusPort = await freeUdpPair();
      janus = await startJanus({ rtpPort: janusPort, workDir });
      targets.push(`127.0.0.1:${janusPort}`);
    } else {
      log(`Janus skipped: ${janusSkip}`);
      result.notes.push(`Janus skipped: ${janusSkip}`);
    }

    // Phase A: 2 s GOP, both servers.
    const camA = { to: targets, stamp: true, keyInt: 60 };
    result.camera.A = { ...camA, to: undefined, desc: '1280x720@30 ~2 Mbit/s, 2 s GOP, stamped' };
    cam = await startCamera(camA);
    await waitActive(d);
    log('camrelay WebRTC, /viewer page…');
    result.camrelay.webrtc_viewer_page = await attempt('camrelay /viewer', () => camrelayWebrtc(browser, d));
    log('camrelay WebRTC, WHEP in the bench harness…');
    result.camrelay.webrtc = await attempt('camrelay WHEP', () => harnessWebrtc(browser, blank.url, (p) => watchWhep(p, d.url('/streams/cam/whep'))));
    if (janus) {
      log('Janus WebRTC, bench harness…');
      result.janus.webrtc = await attempt('Janus', () => harnessWebrtc(browser, blank.url, (p) => watchJanus(p, janus.apiUrl, janus.mountpointId)));
    }
    log('camrelay MJPEG…');
    result.camrelay.mjpeg = await attempt('camrelay MJPEG', () => camrelayMjpeg(browser, d));
    log('camrelay LL-HLS (2 s GOP)…');
    result.camrelay.llhls_gop2s = await attempt('camrelay LL-HLS 2 s GOP', () => camrelayHls(browser, d));
    log('camrelay HLS, classic (2 s GOP)…');
    result.camrelay.hls_gop2s = await attempt('camrelay HLS 2 s GOP', () => camrelayHls(browser, d, { classic: true }));

    // Phase C: meter validation, 200 ms added between stamping and encoding.
    const camC = { to: targets, stamp: true, keyInt: 60, delayMs: VALIDATION_DELAY_MS };
    result.camera.C = { ...camC, to: undefined, desc: `same as A, each raw frame held ${VALIDATION_DELAY_MS} ms after stamping` };
    cam = await switchCamera(d, cam, camC);
    log(`camrelay WebRTC (WHEP) with +${VALIDATION_DELAY_MS} ms at the camera…`);
    const delayed = await attempt('camrelay WHEP +delay', () => harnessWebrtc(browser, blank.url, (p) => watchWhep(p, d.url('/streams/cam/whep'))));
    result.camrelay.webrtc_delayed = delayed;
    const measured = delayed.median != null && result.camrelay.webrtc.median != null
      ? delayed.median - result.camrelay.webrtc.median : null;
    const tolerance = 2 * FRAME_MS;
    result.validation = {
      delay_ms_option: VALIDATION_DELAY_MS,
      added_ms: ADDED_MS,
      measured_ms: measured,
      error_ms: measured == null ? null : measured - ADDED_MS,
      tolerance_ms: tolerance,
      pass: measured != null && Math.abs(measured - ADDED_MS) <= tolerance,
      note: `--delay-ms ${VALIDATION_DELAY_MS} holds each raw frame ${VALIDATION_DELAY_MS} ms after stamping`,
    };
    // Phase B: 1 s GOP for HLS (segments are one GOP long).
    const camB = { to: targets, stamp: true, keyInt: 30 };
    result.camera.B = { ...camB, to: undefined, desc: 'same, 1 s GOP' };
    cam = await switchCamera(d, cam, camB);
    log('camrelay HLS, classic (1 s GOP)…');
    result.camrelay.hls_gop1s = await attempt('camrelay HLS 1 s GOP', () => camrelayHls(browser, d, { classic: true }));
    log('camrelay LL-HLS (1 s GOP)…');
    result.camrelay.llhls_gop1s = await attempt('camrelay LL-HLS 1 s GOP', () => camrelayHls(browser, d));

  } finally {
    if (cam) await cam.stop().catch(() => {});
    await browser.close();
    await blank.close();
    if (janus) await janus.stop().catch(() => {});
    await d.stop();
    await d.cleanup();
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const c = result.camrelay;
  const j = result.janus;
  result.summary = [
    row('G2G WebRTC median', 'ms', c.webrtc?.median, j.webrtc?.median),
    row('G2G WebRTC p95', 'ms', c.webrtc?.p95, j.webrtc?.p95),
    row('G2G WebRTC median, camrelay /viewer page', 'ms', c.webrtc_viewer_page?.median),
    row('G2G MJPEG median', 'ms', c.mjpeg?.median),
    row('G2G MJPEG p95', 'ms', c.mjpeg?.p95),
    row('G2G LL-HLS median (2 s GOP)', 'ms', c.llhls_gop2s?.median),
    row('G2G LL-HLS p95 (2 s GOP)', 'ms', c.llhls_gop2s?.p95),
    row('G2G LL-HLS median (1 s GOP)', 'ms', c.llhls_gop1s?.median),
    row('G2G HLS median (1 s GOP)', 'ms', c.hls_gop1s?.median),
    row('G2G HLS p95 (1 s GOP)', 'ms', c.hls_gop1s?.p95),
    row('G2G HLS median (2 s GOP)', 'ms', c.hls_gop2s?.median),
    row(`G2G meter check: +${ADDED_MS.toFixed(1)} ms measured as`, 'ms', result.validation.measured_ms, null, 'lower'),
  ];
  result.run_s = (Date.now() - t0) / 1000;

  const lines = [
    'glass-to-glass (ms)            median    p95    min    max     n  rejected  fps',
    ...[
      ['camrelay WebRTC /viewer', c.webrtc_viewer_page], ['camrelay WebRTC WHEP', c.webrtc],
      ['Janus WebRTC', j.webrtc], ['camrelay MJPEG', c.mjpeg],
      ['camrelay HLS 1 s GOP', c.hls_gop1s], ['camrelay HLS 2 s GOP', c.hls_gop2s],
      ['camrelay LL-HLS 1 s GOP', c.llhls_gop1s], ['camrelay LL-HLS 2 s GOP', c.llhls_gop2s],
      [`camrelay WHEP +${VALIDATION_DELAY_MS} ms`, c.webrtc_delayed],
    ].map(([name, m]) => `${name.padEnd(30)}${fmt(m?.median).padStart(7)}${fmt(m?.p95).padStart(7)}` +
      `${fmt(m?.min).padStart(7)}${fmt(m?.max).padStart(7)}${fmt(m?.n).padStart(6)}${fmt(m?.rejected).padStart(10)}` +
      `${fmt(m?.presented_fps, 1).padStart(5)}${m?.error ? `  FAILED: ${m.error.slice(0, 60)}…` : ''}`),
    `meter check: --delay-ms ${VALIDATION_DELAY_MS} adds ${fmt(ADDED_MS, 1)} ms, measured ${fmt(result.validation.measured_ms, 1)} ms ` +
      `(error ${fmt(result.validation.error_ms, 1)} ms, tolerance ±${fmt(result.validation.tolerance_ms, 1)}): ` +
      `${result.validation.pass ? 'PASS' : 'FAIL'}`,
  ];
  console.log(lines.join('\n'));
  writeResult('g2g', result);
  const failed = [...Object.values(c), ...Object.values(j)].some((m) => m && m.error);
  if (!result.validation.pass || failed) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
