// The shared VP8 transcode's cost (issue: browsers without H.264 get one VP8 encode per
// stream). The benchmark camera (720p30, ~2 Mbit/s H.264 RTP, 2 s GOP; its own process, not
// counted) feeds a static `rtp` camera; WHEP viewers in headless Debian Chromium: H.264
// viewers as usual, "VP8 viewers" whose offer lists VP8 only (setCodecPreferences), like
// Firefox without OpenH264. Daemon CPU (utime+stime from /proc, % of one core) over
// VP8_WINDOW_S (10 s) in four states:
//   A. 1 H.264 viewer (the reference)
//   B. + 1 VP8 viewer   → transcoder cost ≈ B − A − one viewer's send cost
//   C. + 2nd VP8 viewer → the transcoder is shared: C − B ≈ one viewer's send cost only
//   D. VP8 viewers gone → back to A (the transcoder stops after 5 s)
// Also: the encoder's output frame rate, its bitrate at the viewers, RSS.
//   node tests/bench/vp8.mjs   (inside a network namespace: scripts/bench.sh vp8)
// Environment: VP8_WINDOW_S (10; BENCH_QUICK=1: 4).
import { startDaemon, waitFor, sleep } from '../integration/lib/daemon.mjs';
import { launchBrowser } from '../integration/lib/browser.mjs';
import { startCamera, freeUdpPair } from './lib/camera.mjs';
import { cpuTicks, rssKb } from './lib/procstat.mjs';
import { row, writeResult } from './lib/stats.mjs';

const QUICK = !!process.env.BENCH_QUICK;
const WINDOW_S = Number(process.env.VP8_WINDOW_S || (QUICK ? 4 : 10));
const log = (...a) => console.error('[vp8]', ...a);

// A WHEP viewer in the page; `vp8Only` makes its offer list VP8 as the only video codec.
async function addViewer(page, url, name, vp8Only) {
  const r = await page.evaluate(async ({ url, name, vp8Only }) => {
    const pc = new RTCPeerConnection();
    const t = pc.addTransceiver('video', { direction: 'recvonly' });
    if (vp8Only) {
      t.setCodecPreferences(RTCRtpReceiver.getCapabilities('video').codecs.filter((c) => c.mimeType === 'video/VP8'));
    }
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((res) => {
      if (pc.iceGatheringState === 'complete') res();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && res();
      setTimeout(res, 3000);
    });
    const resp = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (resp.status !== 201) return { status: resp.status, body: await resp.text() };
    await pc.setRemoteDescription({ type: 'answer', sdp: await resp.text() });
    window.viewers = window.viewers || {};
    window.viewers[name] = { pc, location: new URL(resp.headers.get('Location'), url).href };
    return { status: 201 };
  }, { url, name, vp8Only });
  if (r.status !== 201) throw new Error(`viewer ${name}: ${r.status} ${r.body}`);
  await waitFor(async () => (await frames(page, name)).framesDecoded > 30, { timeoutMs: 20000, message: `${name} decodes` });
}

const frames = (page, name) => page.evaluate(async (name) => {
  const out = { framesDecoded: 0, bytes: 0, mime: null };
  const st = await window.viewers[name].pc.getStats();
  st.forEach((x) => {
    if (x.type === 'inbound-rtp' && x.kind === 'video') {
      out.framesDecoded = x.framesDecoded || 0;
      out.bytes = x.bytesReceived || 0;
      if (x.codecId && st.get(x.codecId)) out.mime = st.get(x.codecId).mimeType;
    }
  });
  return out;
}, name);

const removeViewer = (page, name) => page.evaluate(async (name) => {
  const v = window.viewers[name];
  v.pc.close();
  await fetch(v.location, { method: 'DELETE' });
}, name);

const tx = async (d) => ((await d.get('/streams/cam')).body.source.outputs || {})['webrtc-vp8'] || null;

async function window_(d, page, names) {
  const f0 = await Promise.all(names.map((n) => frames(page, n)));
  const t0s = await tx(d);
  const c0 = cpuTicks(d.pid);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const c1 = cpuTicks(d.pid);
  const el = (performance.now() - t0) / 1000;
  const f1 = await Promise.all(names.map((n) => frames(page, n)));
  const t1s = await tx(d);
  return {
    cpu_pct: (100 * (c1 - c0)) / el,
    rss_kb: rssKb(d.pid),
    viewers: Object.fromEntries(names.map((n, i) => [n, {
      codec: f1[i].mime, fps: (f1[i].framesDecoded - f0[i].framesDecoded) / el, kbps: (8 * (f1[i].bytes - f0[i].bytes)) / el / 1000,
    }])),
    encoder_fps: t0s && t1s ? (t1s.frames_out - t0s.frames_out) / el : null,
  };
}

const port = await freeUdpPair();
const d = await startDaemon({ config: { cameras: [{ id: 'cam', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: port } }] } });
const cam = await startCamera({ to: [`127.0.0.1:${port}`] });
const browser = await launchBrowser();
let exit = 0;
try {
  await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active', { timeoutMs: 15000, message: 'camera active' });
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  const url = d.url('/streams/cam/whep');
  await addViewer(page, url, 'h264', false);
  await sleep(2000);
  log('A: 1 H.264 viewer');
  const A = await window_(d, page, ['h264']);
  await addViewer(page, url, 'vp8a', true);
  await sleep(2000);
  log('B: + 1 VP8 viewer');
  const B = await window_(d, page, ['h264', 'vp8a']);
  await addViewer(page, url, 'vp8b', true);
  await sleep(2000);
  log('C: + 2nd VP8 viewer');
  const C = await window_(d, page, ['h264', 'vp8a', 'vp8b']);
  const settings = await tx(d);
  await removeViewer(page, 'vp8a');
  await removeViewer(page, 'vp8b');
  await waitFor(async () => !(await tx(d)), { timeoutMs: 15000, message: 'the transcoder stops' });
  await sleep(1000);
  log('D: VP8 viewers gone');
  const D = await window_(d, page, ['h264']);
  const perViewer = C.cpu_pct - B.cpu_pct;
  const result = {
    window_s: WINDOW_S,
    transcoder: settings,
    states: { A_h264_1: A, B_plus_vp8_1: B, C_plus_vp8_2: C, D_vp8_gone: D },
    vp8_transcode_pct: B.cpu_pct - A.cpu_pct - perViewer,
    second_vp8_viewer_pct: perViewer,
    rows: [
      row('daemon CPU, 1 H.264 viewer', '% of a core', A.cpu_pct),
      row('daemon CPU, + 1 VP8 viewer (transcoder starts)', '% of a core', B.cpu_pct),
      row('daemon CPU, + 2nd VP8 viewer (shared transcoder)', '% of a core', C.cpu_pct),
      row('daemon CPU, VP8 viewers gone', '% of a core', D.cpu_pct),
      row('VP8 transcode (720p30 → VP8 1.5 Mbit/s), once per stream', '% of a core', B.cpu_pct - A.cpu_pct - perViewer),
      row('VP8 encoder output', 'fps', B.encoder_fps, null, 'higher'),
    ],
  };
  writeResult('vp8', result);
  console.log(`VP8 transcode, 720p30 camera, daemon CPU % of one core over ${WINDOW_S} s:`);
  console.log(`  A 1 H.264 viewer            ${A.cpu_pct.toFixed(1)}`);
  console.log(`  B + 1 VP8 viewer            ${B.cpu_pct.toFixed(1)}  (encoder ${B.encoder_fps?.toFixed(1)} fps; VP8 viewer ${B.viewers.vp8a.fps.toFixed(1)} fps, ${B.viewers.vp8a.kbps.toFixed(0)} kbit/s, ${B.viewers.vp8a.codec})`);
  console.log(`  C + 2nd VP8 viewer          ${C.cpu_pct.toFixed(1)}  (one transcoder: ${settings?.viewers} viewers)`);
  console.log(`  D VP8 viewers gone          ${D.cpu_pct.toFixed(1)}`);
  console.log(`  → transcode ≈ ${(B.cpu_pct - A.cpu_pct - perViewer).toFixed(1)} % of a core; a further VP8 viewer ≈ ${perViewer.toFixed(1)} %`);
} catch (e) {
  console.error(e);
  exit = 1;
} finally {
  await browser.close();
  await cam.stop();
  await d.cleanup();
}
process.exit(exit);
