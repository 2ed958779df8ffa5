// RTSP cameras against a real RTSP server (gst-rtsp-server with basic auth on loopback):
// wrong password → error "unauthorized"; right password → active; credentials never
// shown; server killed → reconnecting, restarted → active again without any API call,
// with attached MJPEG clients and HLS carrying on; V4L2 missing device → clear error (retried:
// source_retry.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { startRtspCamera, mjpegClient } from './lib/rtsp_camera.mjs';

const USER = 'admin';
const PASS = 'pa:ss@w0rd/x';  // needs escaping in a URL

test('RTSP: auth, masking, loss and automatic recovery; V4L2 missing device', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ user: USER, pass: PASS });
  t.after(() => cam.stop());
  const port = cam.port;
  const d = await h.start({
    config: {
      hls: { idle_stop_s: 30 },
      cameras: [
        { id: 'good', source: { type: 'rtsp', host: '127.0.0.1', port, path: '/test', username: USER, password: PASS,
          transport: 'tcp', latency_ms: 200 } },
        { id: 'url', source: { type: 'rtsp',
          url: `rtsp://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${port}/test`, transport: 'auto' } },
        { id: 'wrong', source: { type: 'rtsp', host: '127.0.0.1', port, path: '/test', username: USER, password: 'nope' } },
        { id: 'nopath', source: { type: 'rtsp', host: '127.0.0.1', port, path: '/missing', username: USER, password: PASS } },
        { id: 'cam0', source: { type: 'v4l2', device: '/dev/video-camrelay-missing' } },
      ],
    },
  });
  for (const id of ['good', 'url', 'wrong', 'nopath', 'cam0']) {
    assert.ok([200, 202].includes((await d.post(`/streams/${id}/start`)).status), id);
  }

  // Wrong password → error that says unauthorized; missing V4L2 device → clear reason.
  const wrong = await waitFor(async () => {
    const s = (await d.get('/streams/wrong')).body;
    return s.state === 'error' ? s : null;
  }, { timeoutMs: 8000, message: 'wrong password → error' });
  assert.match(wrong.error, /unauthorized/i);
  const v4l2 = await waitFor(async () => {
    const s = (await d.get('/streams/cam0')).body;
    return s.state === 'reconnecting' ? s : null;
  }, { timeoutMs: 5000, message: 'missing v4l2 device → reconnecting (it may be plugged in later)' });
  assert.equal(v4l2.error, '/dev/video-camrelay-missing: no such device');
  const nopath = await waitFor(async () => {
    const s = (await d.get('/streams/nopath')).body;
    return s.state === 'error' ? s : null;
  }, { timeoutMs: 8000, message: 'unknown path → error' });
  assert.match(nopath.error, /404|not found/i);

  // Right password (host/port/path form and URL form) → active, 1280x720.
  for (const id of ['good', 'url']) {
    const s = await waitFor(async () => {
      const b = (await d.get(`/streams/${id}`)).body;
      return b.state === 'active' && b.stats.width > 0 ? b : null;
    }, { timeoutMs: 10000, message: `${id} active` });
    assert.equal(s.stats.width, 1280);
    assert.equal(s.stats.height, 720);
    assert.equal(s.source.url, `rtsp://***@127.0.0.1:${port}/test`);
    assert.equal(s.source.connected, true);
  }

  // Credentials appear nowhere: API answers and the daemon's log.
  for (const target of ['/streams', '/streams/good', '/streams/url', '/streams/wrong', '/cameras', '/api/stream/active']) {
    const r = await d.get(target);
    assert.ok(!r.text.includes(PASS) && !r.text.includes(encodeURIComponent(PASS)), `password leaked in ${target}`);
  }

  // Attach outputs that must survive the camera's loss: an MJPEG client and HLS.
  const mj = mjpegClient(d.port, '/streams/good/mjpeg');
  t.after(() => mj.close());
  await mj.ready;
  assert.equal(mj.status, 200);
  await waitFor(() => mj.parts.length >= 5, { timeoutMs: 10000, message: 'MJPEG frames before the loss' });
  assert.equal((await d.get('/streams/good/hls/index.m3u8', { timeoutMs: 10000 })).status, 200);

  // Kill the camera: reconnecting with the last error, frames stop.
  await cam.kill9();
  const lost = await waitFor(async () => {
    const s = (await d.get('/streams/good')).body;
    return s.state === 'reconnecting' ? s : null;
  }, { timeoutMs: 10000, intervalMs: 100, message: 'good → reconnecting' });
  assert.ok(lost.error && lost.error.length > 0, 'reconnecting carries the last error');
  assert.equal(lost.source.connected, false);
  assert.ok(lost.source.reconnects >= 1);
  await waitFor(async () => (await d.get('/streams/url')).body.state === 'reconnecting', { timeoutMs: 10000 });
  const partsWhileDown = mj.parts.length;
  assert.equal(mj.ended, false, 'the MJPEG client stays connected while the camera is away');

  // Restart the camera on the same port: active again without any API call.
  const t0 = Date.now();
  await cam.restart();
  const back = await waitFor(async () => {
    const s = (await d.get('/streams/good')).body;
    return s.state === 'active' ? s : null;
  }, { timeoutMs: 30000, intervalMs: 100, message: 'good → active again' });
  t.diagnostic(`recovered ${Date.now() - t0} ms after the camera came back (reconnects ${back.source.reconnects})`);
  assert.equal(back.error, null);
  await waitFor(async () => (await d.get('/streams/url')).body.state === 'active', { timeoutMs: 30000 });

  // The same MJPEG connection delivers new frames; HLS keeps working.
  await waitFor(() => mj.parts.length >= partsWhileDown + 10, { timeoutMs: 10000, message: 'MJPEG resumes on the same connection' });
  assert.ok(mj.parts.every((p) => p.soi && p.eoi && p.contentType === 'image/jpeg'));
  const pl = await d.get('/streams/good/hls/index.m3u8', { timeoutMs: 10000 });
  assert.equal(pl.status, 200);
  assert.match(pl.text, /#EXTINF/);
  // A new HLS output attached after the recovery works too (it used to stall in PAUSED).
  assert.equal((await d.get('/streams/url/hls/index.m3u8', { timeoutMs: 10000 })).status, 200);

  // The daemon never logged the password.
  assert.ok(!d.log.includes(PASS) && !d.log.includes(encodeURIComponent(PASS)), 'password in the log');
  assert.match(d.log, /rtsp:\/\/\*\*\*@127\.0\.0\.1/);
}));
