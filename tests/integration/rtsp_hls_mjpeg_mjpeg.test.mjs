// MJPEG and snapshots: multipart framing, one shared encoder for many clients, slow
// clients never stall others, stop after the last client, snapshot (+ width), seed-004
// /live/* aliases, CPU and glass-to-glass figures (logged).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, sleep } from './lib/daemon.mjs';
import { startRtspCamera, mjpegClient, jpegSize, cpuSeconds } from './lib/rtsp_camera.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startG2G, g2gSamples, summary } from './lib/stamp.mjs';

const mjpegStats = async (d, id = 'cam') => ((await d.get(`/streams/${id}`)).body.source.outputs || {}).mjpeg;

async function encodedOver(d, ms) {
  const a = (await mjpegStats(d)).frames_encoded;
  const t0 = Date.now();
  await sleep(ms);
  const b = (await mjpegStats(d)).frames_encoded;
  return ((b - a) * 1000) / (Date.now() - t0);
}

test('MJPEG: framing, shared encoder, slow client, snapshot, /live aliases', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--stamp'] });
  t.after(() => cam.stop());
  const d = await h.start({
    config: {
      mjpeg: { fps: 15, quality: 80, width: 0, height: 0 },
      cameras: [
        { id: 'cam', source: { type: 'rtsp', url: cam.url } },
        { id: 'demo', source: { type: 'test' } },
      ],
    },
  });

  // No client yet: no decoder.
  assert.equal((await d.post('/streams/cam/start')).status, 202);
  await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active', { timeoutMs: 10000 });
  assert.equal(await mjpegStats(d), undefined);
  const cpuIngest0 = cpuSeconds(d.pid);
  await sleep(3000);
  const ingestCpu = (cpuSeconds(d.pid) - cpuIngest0) / 3;

  // One client: at least 10 well-formed JPEG parts.
  const c1 = mjpegClient(d.port, '/streams/cam/mjpeg');
  t.after(() => c1.close());
  await c1.ready;
  assert.equal(c1.status, 200);
  assert.match(c1.headers['content-type'], /^multipart\/x-mixed-replace; boundary=/);
  assert.equal(c1.headers['cache-control'], 'no-store, no-cache, must-revalidate');
  await waitFor(() => c1.parts.length >= 10, { timeoutMs: 10000, message: '10 MJPEG parts' });
  assert.equal(c1.error, null);
  for (const p of c1.parts) {
    assert.equal(p.contentType, 'image/jpeg');
    assert.ok(p.soi && p.eoi && p.crlf, 'SOI/EOI/CRLF framing');
  }
  const size = jpegSize(c1.bodies.at(-1));
  assert.deepEqual(size, { width: 1280, height: 720 });
  await sleep(1000);
  const cpu1a = cpuSeconds(d.pid);
  const rate1 = await encodedOver(d, 3000);
  const cpu1 = (cpuSeconds(d.pid) - cpu1a) / 3;
  assert.ok(rate1 > 10 && rate1 < 17, `~15 fps encoded with one client (${rate1.toFixed(1)})`);
  assert.equal((await mjpegStats(d)).clients, 1);

  // Five clients: the encoder runs once; every client gets the frames.
  const more = [1, 2, 3, 4].map(() => mjpegClient(d.port, '/streams/cam/mjpeg'));
  t.after(() => more.forEach((c) => c.close()));
  await Promise.all(more.map((c) => c.ready));
  await waitFor(async () => (await mjpegStats(d)).clients === 5, { timeoutMs: 5000, message: '5 clients' });
  const before = [c1, ...more].map((c) => c.parts.length);
  const cpu5a = cpuSeconds(d.pid);
  const rate5 = await encodedOver(d, 3000);
  const cpu5 = (cpuSeconds(d.pid) - cpu5a) / 3;
  const got = [c1, ...more].map((c, i) => c.parts.length - before[i]);
  t.diagnostic(`frames encoded/s: 1 client ${rate1.toFixed(1)}, 5 clients ${rate5.toFixed(1)}; ` +
    `frames per client in 3 s: ${got.join(', ')}`);
  t.diagnostic(`daemon CPU (one core = 100 %): RTSP ingest only ${(ingestCpu * 100).toFixed(1)} %, ` +
    `+MJPEG 1 client ${(cpu1 * 100).toFixed(1)} %, 5 clients ${(cpu5 * 100).toFixed(1)} %`);
  assert.ok(rate5 <= rate1 * 1.2 + 1, `5 clients must not cost more encodes (${rate5.toFixed(1)} vs ${rate1.toFixed(1)}/s)`);
  assert.ok(got.every((n) => n >= 30), `every client receives frames (${got})`);
  assert.ok([c1, ...more].every((c) => c.parts.every((p) => p.soi && p.eoi)));

  // A client that stops reading never slows the others down.
  const slow = mjpegClient(d.port, '/streams/cam/mjpeg');
  t.after(() => slow.close());
  await slow.ready;
  slow.pause();
  await sleep(2000);  // its socket buffers fill up
  const fastBefore = c1.parts.length;
  const rateWithSlow = await encodedOver(d, 3000);
  const fastGot = c1.parts.length - fastBefore;
  assert.ok(rateWithSlow > rate1 * 0.8, `encoder keeps its pace with a stuck client (${rateWithSlow.toFixed(1)})`);
  assert.ok(fastGot >= 35, `a normal client keeps receiving (${fastGot} in 3 s)`);
  const st = await mjpegStats(d);
  t.diagnostic(`frames skipped for slow clients so far: ${st.frames_skipped}`);
  slow.close();

  // Glass-to-glass in chromium (<img> showing the multipart stream).
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/viewer?camera=cam&mode=mjpeg'));
  await waitFor(() => page.evaluate(() => document.getElementById('mjpeg').naturalWidth > 0), { timeoutMs: 10000 });
  await startG2G(page, '#mjpeg');
  await waitFor(async () => (await g2gSamples(page)).length >= 60, { timeoutMs: 10000, message: 'g2g samples' });
  const g2g = summary(await g2gSamples(page));
  t.diagnostic(`MJPEG glass-to-glass in chromium: median ${g2g.median} ms, p95 ${g2g.p95} ms (n=${g2g.n}, 15 fps)`);
  await page.close();

  // Snapshots: the latest frame; width scales keeping the aspect ratio.
  const snap = await d.request('GET', '/streams/cam/snapshot.jpg', { timeoutMs: 10000 });
  assert.equal(snap.status, 200);
  assert.equal(snap.headers['content-type'], 'image/jpeg');
  const snapBuf = Buffer.from(snap.text, 'latin1');
  void snapBuf;  // (text decoding is lossy; fetch the raw bytes below)
  const raw = Buffer.from(await (await fetch(d.url('/streams/cam/snapshot.jpg'))).arrayBuffer());
  assert.equal(raw[0], 0xff);
  assert.equal(raw[1], 0xd8);
  assert.equal(raw.at(-2), 0xff);
  assert.equal(raw.at(-1), 0xd9);
  assert.deepEqual(jpegSize(raw), { width: 1280, height: 720 });
  const small = Buffer.from(await (await fetch(d.url('/streams/cam/snapshot.jpg?width=320'))).arrayBuffer());
  assert.deepEqual(jpegSize(small), { width: 320, height: 180 });
  assert.ok(small[0] === 0xff && small[1] === 0xd8 && small.at(-1) === 0xd9);
  for (const bad of ['10', '4000', 'abc', '-1', '320px', '']) {
    assert.equal((await d.get(`/streams/cam/snapshot.jpg?width=${bad}`)).status, 400, `width=${bad}`);
  }
  assert.equal((await d.get('/streams/nope/snapshot.jpg')).status, 404);

  // All clients gone: the decoder stops a few seconds later; the stream keeps running.
  [c1, ...more].forEach((c) => c.close());
  await waitFor(async () => (await mjpegStats(d)) === undefined, { timeoutMs: 12000, message: 'MJPEG branch stops' });
  assert.equal((await d.get('/streams/cam')).body.state, 'active');

  // A snapshot of a stopped camera starts it (on demand), from the built-in test pattern.
  const demo = Buffer.from(await (await fetch(d.url('/streams/demo/snapshot.jpg?width=640'))).arrayBuffer());
  assert.deepEqual(jpegSize(demo), { width: 640, height: 360 });

  // The stream stopping ends the multipart response cleanly (closing boundary).
  const c2 = mjpegClient(d.port, '/streams/cam/mjpeg');
  await c2.ready;
  await waitFor(() => c2.parts.length >= 3, { timeoutMs: 10000 });
  assert.equal((await d.post('/streams/cam/stop')).status, 200);
  await waitFor(() => c2.ended, { timeoutMs: 5000, message: 'client ended when the stream stopped' });
  assert.equal(c2.closing, true, 'closing boundary sent');
}));

test('MJPEG: seed-004 /live aliases drive the first camera', withDaemons(async (t, h) => {
  const d = await h.start({
    config: { mjpeg: { fps: 10, width: 640, height: 360 }, cameras: [{ id: 'pi', source: { type: 'test' } }, { id: 'other', source: { type: 'test' } }] },
  });
  let s = (await d.get('/live/status')).body;
  assert.deepEqual([s.camera_id, s.streaming, s.stream_url], ['pi', false, '/live/stream']);
  const started = await d.post('/live/start');
  assert.equal(started.status, 202);
  assert.equal(started.body.streaming, true);
  const c = mjpegClient(d.port, '/live/stream');
  t.after(() => c.close());
  await c.ready;
  await waitFor(() => c.parts.length >= 10, { timeoutMs: 10000 });
  assert.deepEqual(jpegSize(c.bodies.at(-1)), { width: 640, height: 360 });  // mjpeg.width/height
  s = (await d.get('/live/status')).body;
  assert.equal(s.clients, 1);
  assert.ok(s.frames_encoded >= 10);
  const stopped = await d.post('/live/stop');
  assert.equal(stopped.status, 200);
  assert.equal(stopped.body.streaming, false);
  await waitFor(() => c.ended, { timeoutMs: 5000 });
  assert.equal((await d.get('/streams/other')).body.state, 'stopped', 'only the first camera is affected');
  assert.equal((await d.get('/streams/nope/mjpeg')).status, 404);
}));
