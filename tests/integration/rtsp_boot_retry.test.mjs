// An RTSP camera that is not reachable when camrelay starts (the server boots faster than
// the cameras after a power cut) must come up by itself: the stream is `reconnecting` with
// the last error and the next attempt time, retries with a jittered backoff, and goes
// `active` once the camera answers. A client attached during the outage (MJPEG here) gets
// the picture when it returns. Wrong credentials stay an error (a config problem).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, freePort } from './lib/daemon.mjs';
import { RtspCamera, mjpegClient } from './lib/rtsp_camera.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

test('RTSP camera down at boot: reconnecting with backoff, active once it is up, MJPEG client served', withDaemons(async (t, h) => {
  const port = await freePort();  // nothing listens here yet
  const cam = new RtspCamera({ port, extraArgs: ['--width', '320', '--height', '240'] });
  const tStart = Date.now();
  const d = await h.start({
    config: { cameras: [{ id: 'late', auto_start: true, source: { type: 'rtsp', url: cam.url, transport: 'tcp' } }] },
  });

  // Down: reconnecting (not error) with the reason and when the next attempt is.
  const down = await waitFor(async () => {
    const s = await stream(d, 'late');
    return s.state === 'reconnecting' && s.source.next_attempt_at ? s : null;
  }, { timeoutMs: 15000, message: 'reconnecting while the camera is down' });
  assert.match(down.error, /127\.0\.0\.1/, down.error);
  assert.ok(down.source.last_error, JSON.stringify(down.source));
  assert.ok(down.source.next_attempt_at * 1000 > Date.now() - 1000, JSON.stringify(down.source));
  // Attempts keep coming, and past the daemon's 20 s start timeout (which used to turn a
  // start without video into `error`) the stream is still reconnecting, never error.
  const r0 = down.source.reconnects;
  await waitFor(async () => (await stream(d, 'late')).source.reconnects >= r0 + 2,
    { timeoutMs: 15000, message: 'more attempts (1 s, 2 s, 4 s … backoff)' });
  await waitFor(async () => {
    const s = await stream(d, 'late');
    assert.equal(s.state, 'reconnecting', `state ${s.state}: ${s.error}`);
    return Date.now() - tStart > 23000;
  }, { timeoutMs: 30000, intervalMs: 500, message: 'still reconnecting 23 s after the start' });

  // A client attached during the outage.
  const client = mjpegClient(d.port, '/streams/late/mjpeg', { keepBodies: 0 });
  t.after(() => client.close());
  await client.ready;
  assert.equal(client.status, 200);
  assert.equal(client.parts.length, 0);

  // The camera comes up: active within its backoff, frames flow, the MJPEG client gets JPEGs.
  await cam.start();
  t.after(() => cam.stop());
  const t0 = Date.now();
  const up = await waitFor(async () => {
    const s = await stream(d, 'late');
    return s.state === 'active' && s.stats.frames > 10 ? s : null;
  }, { timeoutMs: 40000, intervalMs: 200, message: 'active once the camera is up' });
  console.log(`active ${Date.now() - t0} ms after the camera came up (${up.source.reconnects} attempts in all)`);
  assert.equal(up.error, null);
  await waitFor(() => client.parts.length >= 3, { timeoutMs: 15000, message: 'the MJPEG client attached during the outage gets pictures' });
}));

test('wrong credentials at boot stay an error (no endless retries)', withDaemons(async (t, h) => {
  const port = await freePort();
  const cam = await new RtspCamera({ port, user: 'admin', pass: 'right', extraArgs: ['--width', '320', '--height', '240'] }).start();
  t.after(() => cam.stop());
  const d = await h.start({
    config: { cameras: [{ id: 'auth', auto_start: true, source: { type: 'rtsp', host: '127.0.0.1', port, path: '/test', username: 'admin', password: 'wrong' } }] },
  });
  const s = await waitFor(async () => {
    const x = await stream(d, 'auth');
    return x.state === 'error' ? x : null;
  }, { timeoutMs: 10000, message: 'wrong password → error' });
  assert.match(s.error, /unauthorized/);
}));
