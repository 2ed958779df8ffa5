// Every source type retries while its camera is wanted: a source that cannot be built (a
// V4L2 device not plugged in, an RTP port another program holds) or whose elements fail
// is dropped and rebuilt with a jittered backoff (1 → 30 s). The stream shows
// `reconnecting` with the last error, `source.restarts` and `source.next_attempt_at`;
// clients attached during the outage get the picture when it returns; an explicit stop
// ends the retries. (RTSP cameras reconnect inside their own source: rtsp_boot_retry.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { withDaemons, waitFor, sleep } from './lib/daemon.mjs';
import { processGroup, rtpRange } from './lib/bcgh.mjs';
import { mjpegClient } from './lib/rtsp_camera.mjs';
import { spawnPusher } from './lib/rtp_pusher.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

test('V4L2 device missing: reconnecting with the reason and the next attempt; stop ends the retries', withDaemons(async (t, h) => {
  const d = await h.start({
    config: { cameras: [{ id: 'usb', auto_start: true, source: { type: 'v4l2', device: '/dev/video-camrelay-missing' } }] },
  });
  const down = await waitFor(async () => {
    const s = await stream(d, 'usb');
    return s.state === 'reconnecting' && s.source.restarts >= 1 ? s : null;
  }, { timeoutMs: 8000, message: 'missing device → reconnecting' });
  assert.equal(down.error, '/dev/video-camrelay-missing: no such device');
  assert.equal(down.source.last_error, '/dev/video-camrelay-missing: no such device');
  assert.ok(down.source.next_attempt_at * 1000 > Date.now() - 500, JSON.stringify(down.source));
  assert.ok(down.source.retry_in_ms <= 1200 * 2, JSON.stringify(down.source));
  // Attempts keep coming with a growing delay (1 s, 2 s, 4 s ± 20 %).
  const t0 = Date.now();
  await waitFor(async () => (await stream(d, 'usb')).source.restarts >= down.source.restarts + 2,
    { timeoutMs: 12000, message: 'more attempts' });
  assert.ok(Date.now() - t0 >= 1500, 'the attempts are spaced by the backoff');
  const again = await stream(d, 'usb');
  assert.equal(again.state, 'reconnecting');
  assert.ok(again.source.retry_in_ms > 1500, `backoff grows: ${JSON.stringify(again.source)}`);

  // An explicit stop ends it: stopped, and no attempt after that.
  const logAt = d.log.length;
  const stopped = await d.post('/streams/usb/stop');
  assert.equal(stopped.status, 200);
  assert.equal(stopped.body.state, 'stopped');
  const n = (await stream(d, 'usb')).source.restarts;
  await sleep(2500);
  const after = await stream(d, 'usb');
  assert.equal(after.state, 'stopped');
  assert.ok(!(after.source.restarts > n), `no retries after stop: ${JSON.stringify(after.source)}`);
  assert.doesNotMatch(d.log.slice(logAt), /rebuilding it in/);
}));

test('RTP port held by another program at boot: reconnecting, then active once it is free; a client attached meanwhile gets pictures', withDaemons(async (t, h) => {
  const g = processGroup();
  t.after(() => g.killAll());
  const { port_min: port } = rtpRange(17);
  // Another program holds the camera's RTP port.
  const squatter = dgram.createSocket('udp4');
  await new Promise((res, rej) => { squatter.once('error', rej); squatter.bind(port, '0.0.0.0', res); });
  let squatting = true;
  t.after(() => { if (squatting) squatter.close(); });

  const d = await h.start({
    config: { cameras: [{ id: 'rtp', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: port, rtp_timeout_s: 2 } }] },
  });
  const down = await waitFor(async () => {
    const s = await stream(d, 'rtp');
    return s.state === 'reconnecting' && s.source.restarts >= 1 ? s : null;
  }, { timeoutMs: 8000, message: 'port taken → reconnecting' });
  assert.match(down.error, /address already in use|in use/i, down.error);

  // A client attached during the outage (the stream is wanted and running its retries).
  const client = mjpegClient(d.port, '/streams/rtp/mjpeg', { keepBodies: 0 });
  t.after(() => client.close());
  await client.ready;
  assert.equal(client.status, 200);

  // The port is freed and the camera sends: active within the backoff, the client gets JPEGs.
  squatter.close();
  squatting = false;
  g.add(spawnPusher(port));
  const t0 = Date.now();
  const up = await waitFor(async () => {
    const s = await stream(d, 'rtp');
    return s.state === 'active' && s.stats.frames > 10 ? s : null;
  }, { timeoutMs: 20000, intervalMs: 200, message: 'active once the port is free and RTP flows' });
  console.log(`active ${Date.now() - t0} ms after the port was freed (${up.source.restarts} rebuilds)`);
  assert.equal(up.error, null);
  assert.equal(up.source.next_attempt_at, undefined, JSON.stringify(up.source));
  await waitFor(async () => (await stream(d, 'rtp')).source.packets > 0,
    { timeoutMs: 5000, message: 'the rebuilt source publishes its own figures' });
  await waitFor(() => client.parts.length >= 3, { timeoutMs: 15000, message: 'the MJPEG client attached during the outage gets pictures' });
}));
