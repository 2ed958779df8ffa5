// WebRTC viewers in a real browser (headless Debian chromium), inside a network namespace.
// Covers: the viewer page, several viewers at once, a WHEP client, the per-stream limit,
// cleanup of viewers and their DB rows, and memory across many join/leave cycles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withDaemons, waitFor, sqlite, httpRequest, SLOW, SANITIZED } from './lib/daemon.mjs';
import { launchBrowser, viewerState, startWhep, whepFrames } from './lib/browser.mjs';

// A long keyframe interval: a viewer that sees video within a second proves that joining
// forces a keyframe instead of waiting for the next one.
const camera = (extra = {}) => ({
  id: 'demo', name: 'Demo', auto_start: true,
  source: { type: 'test', keyframe_interval_s: 10, ...extra },
});

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function openViewer(browser, d, cam = 'demo') {
  const page = await browser.newPage();
  await page.goto(d.url(`/viewer?camera=${cam}`));
  return page;
}

async function waitDecoding(page, minFrames = 30, timeoutMs = 15000) {
  return waitFor(async () => {
    const s = await viewerState(page);
    return s.framesDecoded >= minFrames && s.videoWidth > 0 ? s : null;
  }, { timeoutMs, intervalMs: 100, message: 'viewer decodes video' });
}

test('viewer page plays the demo camera, fast first frame, several viewers, cleanup', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera()] } });
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', 5000);
  const browser = await launchBrowser();
  t.after(() => browser.close());

  // One viewer: 1280x720 and framesDecoded keeps growing over 3 s.
  const firstFrames = [];
  const p1 = await openViewer(browser, d);
  const s1 = await waitDecoding(p1);
  assert.equal(s1.videoWidth, 1280);
  assert.equal(s1.videoHeight, 720);
  firstFrames.push(s1.firstFrameMs);
  const before = s1.framesDecoded;
  await waitFor(async () => (await viewerState(p1)).framesDecoded >= before + 60, { timeoutMs: 6000, message: 'frames keep coming' });
  // Every keyframe the join forced decodes: none is dropped and answered with another PLI
  // (a payloader given the encoder's force-key-unit event once made each forced keyframe a
  // frame Chromium dropped, then asked for again: two keyframes a second for good).
  const settled = await viewerState(p1);
  await waitFor(async () => (await viewerState(p1)).framesDecoded >= settled.framesDecoded + 60, { timeoutMs: 6000, message: 'frames keep coming' });
  const later = await viewerState(p1);
  // (The loop dropped two a second; one dropped frame is left to a loaded machine. Frames
  // that came before the first keyframe are dropped at the start: counted from `settled`.)
  const dropped = later.framesDropped - settled.framesDropped;
  assert.ok(dropped <= 1, `frames dropped before decoding in 2 s of steady play: ${dropped}`);
  assert.ok(later.pliCount - settled.pliCount <= 1, `PLIs in 2 s of steady play: ${settled.pliCount} → ${later.pliCount}`);

  // Two more viewers: all three decode at once.
  const p2 = await openViewer(browser, d);
  const p3 = await openViewer(browser, d);
  for (const p of [p2, p3]) firstFrames.push((await waitDecoding(p)).firstFrameMs);
  const counts = await Promise.all([p1, p2, p3].map(async (p) => (await viewerState(p)).framesDecoded));
  await waitFor(async () => {
    const now = await Promise.all([p1, p2, p3].map(async (p) => (await viewerState(p)).framesDecoded));
    return now.every((n, i) => n > counts[i] + 30);
  }, { timeoutMs: 6000, message: 'three viewers decode at the same time' });

  const viewers = (await d.get('/viewers')).body;
  assert.equal(viewers.count, 3);
  for (const v of viewers.viewers) {
    assert.equal(v.camera_id, 'demo');
    assert.equal(v.state, 'connected');
    assert.match(v.user_agent, /Chrome/);
    assert.equal(v.ip_address, '127.0.0.1');
  }
  assert.equal((await d.get('/health')).body.total_viewers, 3);
  assert.equal((await d.get('/viewers/demo')).body.count, 3);
  // Per-viewer stats from RTCP: bytes flow and the browser's receiver reports give an RTT.
  await waitFor(async () => {
    const vs = (await d.get('/viewers')).body.viewers;
    return vs.every((v) => v.stats.bytes_sent > 100000 && v.stats.packets_sent > 100 && v.stats.rtt_ms !== null && v.stats.estimated_kbps >= 500);
  }, { timeoutMs: 8000, message: 'viewer stats from RTCP' });

  console.log(`time to first decoded frame (page start → first frame, GOP 10 s): ${firstFrames.map((x) => Math.round(x)).join(', ')} ms; median ${Math.round(median(firstFrames))} ms`);
  // Without a keyframe on join this would take up to 10 s.
  assert.ok(median(firstFrames) < 1500 * SLOW, `median first frame ${median(firstFrames)} ms`);

  // Viewers leave: closing the pages ends their sessions within 5 s, rows closed.
  const ids = viewers.viewers.map((v) => v.viewer_id);
  const t0 = Date.now();
  await Promise.all([p1, p2, p3].map((p) => p.close()));
  await waitFor(async () => (await d.get('/viewers')).body.count === 0, { timeoutMs: 5000, message: 'viewers cleaned up' });
  console.log(`viewers cleaned up ${Date.now() - t0} ms after the pages closed`);
  await waitFor(async () => {
    const rows = await sqlite(d.dbPath, `select viewer_id, disconnected_at, close_reason from viewer_sessions where viewer_id in (${ids.map((i) => `'${i}'`).join(',')})`);
    return rows.length === 3 && rows.every((r) => r.disconnected_at !== null && r.close_reason) ? rows : null;
  }, { timeoutMs: 5000, message: 'viewer rows closed' });
  assert.equal((await d.get('/health')).body.total_viewers, 0);
}));

test('WHEP client decodes; DELETE ends it; PATCH and errors', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera()] } });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  const r = await startWhep(page, d.url('/streams/demo/whep'));
  assert.equal(r.status, 201, JSON.stringify(r));
  assert.match(r.location, /^\/streams\/demo\/whep\/v_[0-9a-f]+$/);
  assert.match(r.answer, /a=sendonly/);
  assert.match(r.answer, /a=candidate:/);
  const f = await waitFor(async () => {
    const s = await whepFrames(page);
    return s.framesDecoded > 30 && s.width === 1280 ? s : null;
  }, { timeoutMs: 15000, message: 'WHEP client decodes' });
  assert.equal(f.state, 'connected');
  assert.equal((await d.get('/viewers')).body.viewers[0].kind, 'whep');
  // The video leaves through the stream's shared payloader (webrtc.send_path "direct").
  const fan = (await d.get('/streams/demo')).body.source.outputs?.['webrtc-rtp-h264'];
  assert.ok(fan && fan.viewers === 1 && fan.packets_out > 0 && fan.frames_in > 0, JSON.stringify(fan));

  // Trickle candidates via PATCH are accepted for a live resource, 404 for an unknown one.
  const frag = 'm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n';
  const patch = await httpRequest({ port: d.port, method: 'PATCH', target: r.location, body: frag, headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
  assert.equal(patch.status, 204);
  // New ICE credentials ask for an ICE restart, which is refused as RFC 9725 says (422).
  const restart = await httpRequest({ port: d.port, method: 'PATCH', target: r.location, body: 'a=ice-ufrag:new1\r\na=ice-pwd:newpassword0123456789\r\n' + frag, headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' } });
  assert.equal(restart.status, 422);
  assert.equal(restart.body.error.code, 'ice_restart_not_supported');
  const patch404 = await httpRequest({ port: d.port, method: 'PATCH', target: '/streams/demo/whep/v_nope', body: frag, headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
  assert.equal(patch404.status, 404);

  const del = await httpRequest({ port: d.port, method: 'DELETE', target: r.location });
  assert.equal(del.status, 200);
  await waitFor(async () => (await d.get('/viewers')).body.count === 0, 5000);
  assert.equal((await httpRequest({ port: d.port, method: 'DELETE', target: r.location })).status, 404);
  // With no viewer left the payloader stops after its 5 s linger.
  await waitFor(async () => !(await d.get('/streams/demo')).body.source.outputs?.['webrtc-rtp-h264'],
    { timeoutMs: 10000, message: 'the shared payloader stops without viewers' });

  // Bad offers get clear errors and do not disturb the daemon.
  const bad = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: 'hello', headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'invalid_argument');
  const wrongType = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: 'v=0', headers: { 'Content-Type': 'text/plain' } });
  assert.equal(wrongType.status, 415);
  const noVideo = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n', headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(noVideo.status, 400);
  assert.match(noVideo.body.error.message, /no video m-line/);
  // A video m-line with neither H.264 nor VP8: the error names what was offered.
  const vp9 = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 98\r\na=recvonly\r\na=rtpmap:98 VP9/90000\r\n', headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(vp9.status, 400);
  assert.match(vp9.body.error.message, /neither H\.264 .* nor VP8 .*offered: VP9/);
  const unknown = await httpRequest({ port: d.port, method: 'POST', target: '/streams/nope/whep', body: 'v=0\r\n', headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(unknown.status, 404);
  const cors = await httpRequest({ port: d.port, method: 'OPTIONS', target: '/streams/demo/whep' });
  assert.equal(cors.status, 204);
  assert.equal(cors.headers['access-control-allow-origin'], '*');
  assert.equal((await d.get('/health')).status, 200);
}));

test('the viewer over the limit is refused while the others keep playing', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera()], webrtc: { max_viewers_per_stream: 2 } } });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const p1 = await openViewer(browser, d);
  const p2 = await openViewer(browser, d);
  await waitDecoding(p1);
  await waitDecoding(p2);
  const p3 = await openViewer(browser, d);
  const refused = await waitFor(async () => {
    const s = await viewerState(p3);
    return /limit_reached/.test(s.message) ? s : null;
  }, { timeoutMs: 8000, message: 'third viewer refused' });
  assert.match(refused.message, /maximum of 2 viewers/);
  assert.equal(refused.framesDecoded, 0);
  const n1 = (await viewerState(p1)).framesDecoded;
  const n2 = (await viewerState(p2)).framesDecoded;
  await waitFor(async () => (await viewerState(p1)).framesDecoded > n1 + 30 && (await viewerState(p2)).framesDecoded > n2 + 30,
    { timeoutMs: 6000, message: 'admitted viewers keep playing' });
  assert.equal((await d.get('/viewers')).body.count, 2);
  await p3.close();
}));

test('200 join/leave cycles keep RSS within +10 MB', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera()] } });
  const browser = await launchBrowser();
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  // A real browser offer, replayed: each cycle builds and tears down a full viewer
  // branch (webrtcbin, ICE agent, DTLS) through WHEP POST + DELETE.
  const offer = await page.evaluate(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  });
  await browser.close();
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${d.pid}/status`, 'utf8'))[1]);
  const cycle = async () => {
    const r = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: offer, headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 10000 });
    assert.equal(r.status, 201, r.text);
    const del = await httpRequest({ port: d.port, method: 'DELETE', target: r.headers.location });
    assert.equal(del.status, 200);
  };
  for (let i = 0; i < 20; i++) await cycle();  // warm-up: allocator and caches settle
  await waitFor(async () => (await d.get('/viewers')).body.count === 0, 5000);
  const start = rss();
  const t0 = Date.now();
  for (let i = 0; i < 200; i++) await cycle();
  await waitFor(async () => (await d.get('/viewers')).body.count === 0, 5000);
  const end = rss();
  console.log(`RSS ${start} kB → ${end} kB after 200 WHEP join/leave cycles (${Date.now() - t0} ms)`);
  if (SANITIZED) console.log(`RSS grew by ${end - start} kB (not asserted: sanitizer build)`);
  else assert.ok(end - start < 10 * 1024, `RSS grew by ${end - start} kB`);
  assert.equal((await d.get('/streams/demo')).body.state, 'active');
}));

test('a High-profile camera plays in the browser (offered as 42e01f)', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [{ id: 'high', name: 'High', auto_start: true, source: { type: 'test', profile: 'high', width: 640, height: 360, keyframe_interval_s: 2 } }] } });
  await waitFor(async () => (await d.get('/streams/high')).body.stats.profile === 'high', 5000);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openViewer(browser, d, 'high');
  const s = await waitDecoding(page);
  assert.equal(s.videoWidth, 640);
  const sdp = await page.evaluate(() => window.camrelayViewer.pc.remoteDescription.sdp);
  assert.match(sdp, /profile-level-id=42e01f/);
}));

test('signaling: separate port (seed 001), protocol errors, limits on messages', withDaemons(async (t, h) => {
  const { freePort } = await import('./lib/daemon.mjs');
  const sigPort = await freePort();
  const d = await h.start({ config: { cameras: [camera()], http: { signaling_port: sigPort } } });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  // A document of camrelay's origin without a CSP (the JSON of /health): its pages allow
  // connections only to their own origin (connect-src 'self'), and the signaling port is
  // another origin; about:blank counts as a public address reaching a local one.
  await page.goto(d.url('/health'));
  const replies = await page.evaluate(async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    const got = [];
    ws.onmessage = (e) => got.push(JSON.parse(e.data));
    await new Promise((r, j) => { ws.onopen = r; ws.onerror = j; });
    const until = async (n) => { for (let i = 0; i < 100 && got.length < n; i++) await new Promise((r) => setTimeout(r, 50)); };
    await until(1);
    ws.send('{not json');
    ws.send(JSON.stringify({ type: 'dance' }));
    ws.send(JSON.stringify({ type: 'answer', sdp: 'v=0' }));
    ws.send(JSON.stringify({ type: 'watch', camera: '../etc' }));
    ws.send(JSON.stringify({ type: 'watch', camera: 'nope' }));
    ws.send(JSON.stringify({ type: 'ping' }));
    await until(7);
    const closed = new Promise((r) => { ws.onclose = (e) => r(e.code); });
    ws.send('x'.repeat(70 * 1024));  // over the 64 KiB message limit
    const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('open'), 3000))]);
    return { got, code };
  }, sigPort);
  const types = replies.got.map((m) => m.type + (m.code ? `:${m.code}` : ''));
  // `watch` is answered from the manager's strand, the rest at once: compare as sets.
  assert.equal(types[0], 'hello');
  assert.deepEqual([...types].sort(), ['error:invalid_json', 'error:invalid_message', 'error:no_viewer',
    'error:not_found', 'error:unknown_type', 'hello', 'pong']);
  assert.notEqual(replies.code, 'open', 'an oversized message closes the socket');
  // The plain API is not served on the signaling port, and the daemon is fine.
  const other = await httpRequest({ port: sigPort, target: '/health' });
  assert.equal(other.status, 404);
  assert.equal((await d.get('/health')).body.status, 'healthy');
}));
