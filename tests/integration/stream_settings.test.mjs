// Stream settings (GET/PUT/DELETE /streams/{id}/settings; docs/cameras.md "Stream settings"),
// against the real daemon with clients we did not write (ffprobe reading HLS, an RTSP
// camera from gst-rtsp-server):
//   * a test camera's size, frame rate, bitrate, profile and preset change through the API:
//     ffprobe sees the new size, the other camera's stream is not restarted;
//   * the settings set on a configuration-file camera survive a restart of the daemon and
//     DELETE gives the file's values back;
//   * an RTSP camera's latency_mode sets its jitter buffer (low = 100 ms);
//   * bad values get 400 naming the key; unknown cameras 404; an encoder the machine lacks
//     is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { startRtspCamera } from './lib/rtsp_camera.mjs';

const testCam = (id, extra = {}) => ({
  id, auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 10, overlay_clock: false, ...extra },
});
const put = (d, id, body) => d.request('PUT', `/streams/${id}/settings`, { body, timeoutMs: 20000 });
const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
const flowing = (d, id) => waitFor(async () => {
  const s = await stream(d, id);
  return s.state === 'active' && s.stats.frames > 0 ? s : null;
}, { timeoutMs: 20000, message: `${id} delivers frames` });

function ffprobe(url) {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height,profile', '-of', 'json', url],
      { timeout: 30000 }, (err, stdout, stderr) => (err ? reject(new Error(`ffprobe ${url}: ${stderr || err.message}`))
        : resolve(JSON.parse(stdout).streams)));
  });
}

test('a test camera\'s encoding changes through the API; ffprobe sees it; other streams go on', withDaemons(async (t, h) => {
  const config = { cameras: [testCam('cam1'), testCam('other')] };
  let d = await h.start({ config });
  await flowing(d, 'cam1');
  const otherSession = (await flowing(d, 'other')).session_id;

  const before = await d.get('/streams/cam1/settings');
  assert.equal(before.status, 200, before.text);
  assert.equal(before.body.source_type, 'test');
  assert.equal(before.body.encoded_by, 'camrelay');
  assert.equal(before.body.origin, 'config');
  assert.equal(before.body.changed_through_api, false);
  assert.deepEqual(before.body.video, {
    resolution: '320x240', width: 320, height: 240, fps: 10, bitrate_kbps: 2000, keyframe_interval_s: 1,
    encoder: 'x264', profile: 'constrained-baseline', preset: 'auto',
  });
  assert.equal(before.body.latency_mode, null);
  assert.ok(before.body.encoders.includes('x264'), JSON.stringify(before.body.encoders));

  const changed = await put(d, 'cam1', {
    video: { resolution: '640x360', fps: 15, bitrate_kbps: 600, profile: 'main', preset: 'superfast' },
  });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.body.applied, 'restarted');
  assert.equal(changed.body.changed_through_api, true);
  assert.equal(changed.body.video.width, 640);
  assert.equal(changed.body.video.preset, 'superfast');

  // A player we did not write sees the new stream.
  const active = await waitFor(async () => {
    const s = await stream(d, 'cam1');
    return s.state === 'active' && s.stats.width === 640 ? s : null;
  }, { timeoutMs: 20000, message: 'cam1 restarted at 640x360' });
  assert.equal(active.stats.height, 360);
  const probed = await ffprobe(`http://127.0.0.1:${d.port}/streams/cam1/hls/index.m3u8`);
  assert.deepEqual(probed.map((s) => [s.codec_name, s.width, s.height, s.profile]), [['h264', 640, 360, 'Main']]);
  // Only cam1 restarted.
  const other = await stream(d, 'other');
  assert.equal(other.session_id, otherSession, 'the other camera kept its stream session');
  assert.equal(other.state, 'active');

  // Kept over the file's values across a restart of the daemon.
  await d.stop();
  d = await h.start({ config, dataDir: d.dataDir });
  const kept = await d.get('/streams/cam1/settings');
  assert.equal(kept.body.video.width, 640);
  assert.equal(kept.body.video.fps, 15);
  assert.equal(kept.body.changed_through_api, true);
  assert.equal((await d.get('/cameras/cam1')).body.camera.source.width, 640, 'GET /cameras shows what runs');

  // DELETE: the file's values again.
  const reset = await d.request('DELETE', '/streams/cam1/settings', { timeoutMs: 20000 });
  assert.equal(reset.status, 200, reset.text);
  assert.equal(reset.body.reset, true);
  assert.equal(reset.body.video.width, 320);
  assert.equal(reset.body.changed_through_api, false);
  await waitFor(async () => {
    const s = await stream(d, 'cam1');
    return s.state === 'active' && s.stats.width === 320 ? s : null;
  }, { timeoutMs: 20000, message: 'cam1 back at 320x240' });
  assert.equal((await d.request('DELETE', '/streams/cam1/settings')).body.reset, false);
}));

test('bad settings get 400 naming the key; unknown cameras 404', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [testCam('cam1')] } });
  const cases = [
    [{ video: { width: 5 } }, 'video.width'],
    [{ video: { width: 641 } }, 'video.width'],
    [{ video: { resolution: '640by360' } }, 'video.resolution'],
    [{ video: { resolution: '640x360', width: 640 } }, 'video.resolution'],
    [{ video: { fps: 0 } }, 'video.fps'],
    [{ video: { bitrate_kbps: 'fast' } }, 'video.bitrate_kbps'],
    [{ video: { encoder: 'nvenc' } }, 'video.encoder'],
    [{ video: { encoder: 'vaapi' } }, 'video.encoder'],
    [{ video: { profile: 'high', preset: 'ultrafast' } }, 'video.preset'],
    [{ video: { keyframe_interval_s: 100 } }, 'video.keyframe_interval_s'],
    [{ video: { colour: 'red' } }, 'video.colour'],
    [{ latency_mode: 'low' }, 'latency_mode'],
    [{ sub: { width: 5 } }, 'sub.width'],
    [{ sub: { encoder: 'vaapi' } }, 'sub.encoder'],  // a name it knows, an element this machine lacks
    [{ sub: { encoder: 'nvenc' } }, 'sub.encoder'],
    [{ sub: { profile: 'main', preset: 'ultrafast' } }, 'sub.preset'],
    [{ bitrate: 1 }, 'bitrate'],
    [[1, 2], 'object'],
  ];
  for (const [body, key] of cases) {
    const r = await put(d, 'cam1', body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
    assert.match(r.body.error.message, new RegExp(key.replace('.', '\\.')), `${JSON.stringify(body)} names ${key}: ${r.text}`);
  }
  const notJson = await d.request('PUT', '/streams/cam1/settings', { body: '{"video": ', timeoutMs: 5000 });
  assert.equal(notJson.status, 400, notJson.text);
  assert.equal((await d.get('/streams/nope/settings')).status, 404);
  assert.equal((await put(d, 'nope', { video: { fps: 5 } })).status, 404);
  // The sub stream's settings (camera.sub) are part of the document.
  const sub = await put(d, 'cam1', { sub: { width: 480, height: 270, bitrate_kbps: 300, encoder: 'auto', preset: 'auto' } });
  assert.equal(sub.status, 200, sub.text);
  assert.equal(sub.body.sub.encoder, 'auto');  // the sub stream's encoder is built like the camera's own
  assert.equal(sub.body.sub.width, 480);
  assert.equal(sub.body.sub.bitrate_kbps, 300);
  assert.equal((await d.get('/streams/cam1/settings')).body.sub.height, 270);
  // Nothing bad was kept.
  assert.equal((await d.get('/streams/cam1/settings')).body.video.width, 320);
  // An API camera's settings are its own: DELETE is a conflict, PUT changes the camera.
  const made = await d.post('/cameras', testCam('api1'), { timeoutMs: 15000 });
  assert.equal(made.status, 201, made.text);
  assert.equal((await d.request('DELETE', '/streams/api1/settings')).status, 409);
  const r = await put(d, 'api1', { video: { bitrate_kbps: 300 } });
  assert.equal(r.status, 200, r.text);
  assert.equal((await d.get('/cameras/api1')).body.camera.source.bitrate_kbps, 300);
}));

test('an RTSP camera\'s latency_mode sets its jitter buffer', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({});
  t.after(() => cam.stop());
  const d = await h.start({
    config: { cameras: [{ id: 'ipcam', auto_start: true, source: { type: 'rtsp', url: cam.url, latency_ms: 300 } }] },
  });
  await flowing(d, 'ipcam');
  const s0 = await d.get('/streams/ipcam/settings');
  assert.equal(s0.body.encoded_by, 'camera');
  assert.equal(s0.body.video, null);
  assert.equal(s0.body.latency_mode, null);
  assert.equal(s0.body.jitter_buffer_ms, 300);
  assert.equal((await stream(d, 'ipcam')).source.latency_ms, 300);

  const low = await put(d, 'ipcam', { latency_mode: 'low' });
  assert.equal(low.status, 200, low.text);
  assert.equal(low.body.jitter_buffer_ms, 100);
  await waitFor(async () => {
    const s = await stream(d, 'ipcam');
    return s.state === 'active' && s.source.latency_ms === 100 ? s : null;
  }, { timeoutMs: 20000, message: 'the RTSP source runs with a 100 ms jitter buffer' });

  const high = await put(d, 'ipcam', { latency_mode: 'high' });
  assert.equal(high.body.jitter_buffer_ms, 2000);
  const own = await put(d, 'ipcam', { latency_mode: null });
  assert.equal(own.body.latency_mode, null);
  assert.equal(own.body.jitter_buffer_ms, 300);

  const video = await put(d, 'ipcam', { video: { width: 640 } });
  assert.equal(video.status, 400, video.text);
  assert.match(video.body.error.message, /^video: .*encodes its stream itself/);
  assert.equal((await put(d, 'ipcam', { latency_mode: 'fast' })).status, 400);
}));
