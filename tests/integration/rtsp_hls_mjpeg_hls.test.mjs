// HLS from an RTSP camera: on-demand start, ffprobe decodes 1280x720 from two segments,
// keyframe-aligned ~1 s segments, hls.js in headless chromium plays it (the viewer page's
// HLS mode: the low-latency fmp4.m3u8), seed-003 aliases, segment name validation, idle stop, clean-up of the folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withDaemons, waitFor, makeTempDir } from './lib/daemon.mjs';
import { startRtspCamera } from './lib/rtsp_camera.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startG2G, g2gSamples, summary } from './lib/stamp.mjs';

function ffprobe(args, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-of', 'json', ...args], { timeout: timeoutMs, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => (err ? reject(new Error(`ffprobe ${args.join(' ')}: ${stderr || err.message}`))
        : resolve(JSON.parse(stdout))));
  });
}

// Wall-clock ms stamped into each frame by the test camera (--stamp), read with ffmpeg.
function frameStamps(file) {
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', ['-v', 'error', '-i', file, '-vf', 'crop=672:16:0:0,format=gray', '-f', 'rawvideo', '-'],
      { encoding: 'buffer', maxBuffer: 1 << 26, timeout: 20000 }, (err, raw) => {
        if (err) return reject(err);
        const w = 672;
        const out = [];
        for (let f = 0; f + w * 16 <= raw.length; f += w * 16) {
          let ms = 0;
          for (let b = 41; b >= 0; --b) ms = ms * 2 + (raw[f + 8 * w + b * 16 + 8] > 128 ? 1 : 0);
          out.push(ms);
        }
        resolve(out);
      });
  });
}

const segmentsOf = (playlist) => playlist.split('\n').filter((l) => l && !l.startsWith('#'));
const durationsOf = (playlist) => [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) => Number(m[1]));

test('HLS: on demand, ffprobe, keyframe-aligned segments, hls.js, aliases, path tricks, idle stop', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ user: 'u', pass: 'p', extraArgs: ['--stamp'] });
  t.after(() => cam.stop());
  // A stale folder from an earlier run must be gone after start-up.
  const dataDir = makeTempDir();
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dataDir, 'hls', 'stale'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'hls', 'stale', 'segment00001.ts'), 'old');
  fs.writeFileSync(path.join(dataDir, 'secret.txt'), 'TOP-SECRET-CONTENT');
  const d = await h.start({
    dataDir,
    config: {
      hls: { target_duration_s: 1, playlist_length: 3, max_files: 6, idle_stop_s: 3 },
      cameras: [{ id: 'cam', source: { type: 'rtsp', url: `rtsp://u:p@127.0.0.1:${cam.port}/test` } }],
    },
  });
  assert.ok(!fs.existsSync(path.join(dataDir, 'hls', 'stale')), 'stale HLS files removed at start-up');

  // The first playlist request starts the stream and HLS, waits for the first segment.
  const t0 = Date.now();
  const first = await d.get('/streams/cam/hls/index.m3u8', { timeoutMs: 15000 });
  const firstMs = Date.now() - t0;
  assert.equal(first.status, 200, first.text);
  assert.match(first.headers['content-type'], /mpegurl/i);
  assert.match(first.text, /#EXTM3U/);
  t.diagnostic(`first playlist (camera stopped before) after ${firstMs} ms`);
  const dir = path.join(dataDir, 'hls', 'cam');
  assert.ok(fs.existsSync(path.join(dir, 'index.m3u8')));

  // Watch the playlist: segment lengths follow the 1 s keyframe interval, and record when
  // each new segment appears.
  const seen = new Map();
  let playlist = '';
  await waitFor(async () => {
    playlist = (await d.get('/streams/cam/hls/index.m3u8')).text;
    for (const s of segmentsOf(playlist)) if (!seen.has(s)) seen.set(s, Date.now());
    return seen.size >= 5;
  }, { timeoutMs: 15000, intervalMs: 50, message: 'five segments' });
  const durations = durationsOf(playlist);
  t.diagnostic(`EXTINF durations ${durations.join(', ')}; target ${/#EXT-X-TARGETDURATION:(\d+)/.exec(playlist)[1]}`);
  for (const dur of durations) assert.ok(dur > 0.8 && dur < 1.3, `segment of ${dur} s (want ~1 s: 1 s keyframes)`);
  const times = [...seen.values()];
  const gaps = times.slice(2).map((x, i) => x - times[i + 1]);
  t.diagnostic(`new segment every ${gaps.map((g) => `${g} ms`).join(', ')}`);

  // Blocking playlist reload: ask for the next segment, get it the moment it exists, and
  // check how long after its last frame was captured it was published (hlssink2 took a
  // whole extra keyframe interval, ~1.1 s, here).
  const delays = [];
  for (let i = 0; i < 3; ++i) {
    const cur = (await d.get('/streams/cam/hls/index.m3u8')).text;
    assert.match(cur, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES/);
    const next = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(cur)[1]) + durationsOf(cur).length;
    const r = await d.get(`/streams/cam/hls/index.m3u8?_HLS_msn=${next}`, { timeoutMs: 8000 });
    const at = Date.now();
    const newest = segmentsOf(r.text).at(-1);
    assert.equal(newest, `segment${String(next).padStart(5, '0')}.ts`, 'the blocking reload waited for the asked segment');
    const file = path.join(dir, newest);
    const stamps = await frameStamps(file);
    assert.ok(stamps.length >= 25, `${newest}: ${stamps.length} frames`);
    delays.push(at - stamps.at(-1));
  }
  t.diagnostic(`segments published ${delays.join(', ')} ms after their last frame was captured`);
  assert.ok(Math.max(...delays) < 700, `segments must go out right after the next keyframe (${delays})`);
  assert.equal((await d.get('/streams/cam/hls/index.m3u8?_HLS_msn=abc')).status, 400);

  // ffprobe reads the playlist itself, and decodes 1280x720 frames from two segments.
  const viaPlaylist = await ffprobe(['-show_streams', '-select_streams', 'v', '-read_intervals', '%+1',
    d.url('/streams/cam/hls/index.m3u8')]);
  assert.equal(viaPlaylist.streams[0].codec_name, 'h264');
  assert.equal(viaPlaylist.streams[0].width, 1280);
  assert.equal(viaPlaylist.streams[0].height, 720);
  // Two segments of the current playlist (older ones may have rotated out of the folder).
  const names = segmentsOf((await d.get('/streams/cam/hls/index.m3u8')).text).slice(-2);
  for (const name of names) {
    const r = await ffprobe(['-count_frames', '-show_streams', '-select_streams', 'v', d.url(`/streams/cam/hls/${name}`)]);
    const s = r.streams[0];
    assert.equal(s.width, 1280);
    assert.equal(s.height, 720);
    assert.ok(Number(s.nb_read_frames) >= 20, `${name}: decoded ${s.nb_read_frames} frames`);
  }

  // Bad segment names: 400/404, never file content from anywhere.
  const bad = [
    '/streams/cam/hls/../../secret.txt', '/streams/cam/hls/..%2F..%2Fsecret.txt', '/streams/cam/hls/%2e%2e%2fsecret.txt',
    '/streams/cam/hls/%2e%2e', '/streams/cam/hls/..%2Findex.m3u8', '/streams/cam/hls/segment00001.ts%00',
    '/streams/cam/hls/segment00001.ts%2F..%2F..%2Fsecret.txt', `/streams/cam/hls/segment${'1'.repeat(300)}.ts`,
    `/streams/cam/hls/${'a'.repeat(5000)}`, '/streams/cam/hls/index.m3u8%2F..%2F..%2F..%2Fsecret.txt',
    '/streams/cam/hls/%2Fetc%2Fpasswd', '/streams/cam/hls/segment00001.TS', '/streams/..%2Fsecret.txt/hls/segment00001.ts',
    '/api/cameras/cam/stream/segment/..%2F..%2Fsecret.txt', '/api/cameras/cam/stream/segment/%2e%2e',
    '/api/cameras/cam/stream/segment/../../../secret.txt', '/streams/cam/hls/segment00001.ts/../../secret.txt',
  ];
  for (const target of bad) {
    const r = await d.get(target);
    assert.ok([400, 404].includes(r.status), `${target} → ${r.status}`);
    assert.ok(!r.text.includes('TOP-SECRET') && !r.text.includes('root:') && !r.text.includes('#EXTM3U'), `${target} leaked`);
  }
  assert.equal((await d.get(`/streams/cam/hls/${names[1]}`)).status, 200, 'a valid name still works');
  assert.equal((await d.get('/streams/cam/hls/segment99999999.ts')).status, 404);
  assert.equal((await d.get('/streams/nocam/hls/index.m3u8')).status, 404);

  // hls.js (served by the daemon) in headless chromium, through the viewer page's HLS mode.
  assert.equal((await d.get('/vendor/hls.min.js')).status, 200);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/viewer?camera=cam&mode=hls'));
  await page.evaluate(() => {
    window.__stalls = 0;
    document.getElementById('video').addEventListener('waiting', () => { window.__stalls += 1; });
  });
  const state = () => page.evaluate(() => {
    const v = document.getElementById('video');
    const p = window.camrelayViewer.player;
    return { t: v.currentTime, w: v.videoWidth, h: v.videoHeight, latency: p && p.hls ? p.hls.latency : null,
      status: document.getElementById('status').textContent, decoded: v.getVideoPlaybackQuality().totalVideoFrames };
  });
  const s1 = await waitFor(async () => { const s = await state(); return s.t > 0.5 ? s : null; },
    { timeoutMs: 20000, intervalMs: 100, message: 'hls.js starts playing' });
  const s2 = await waitFor(async () => { const s = await state(); return s.t >= s1.t + 3 ? s : null; },
    { timeoutMs: 10000, intervalMs: 100, message: 'video.currentTime advances' });
  assert.equal(s2.w, 1280);
  assert.equal(s2.h, 720);
  assert.ok(s2.decoded > s1.decoded + 60, 'frames decoded in the browser');
  // Glass-to-glass: the wall-clock stamp in each presented frame vs. the browser's clock.
  await startG2G(page, '#video');
  await waitFor(async () => (await g2gSamples(page)).length >= 150, { timeoutMs: 15000, message: 'g2g samples' });
  const g2g = summary(await g2gSamples(page));
  const stalls = await page.evaluate(() => window.__stalls);
  t.diagnostic(`hls.js glass-to-glass: median ${g2g.median} ms, p95 ${g2g.p95} ms (n=${g2g.n}); ` +
    `hls.latency ${(await state()).latency.toFixed(2)} s; stalls while measuring: ${stalls}`);
  // The viewer page plays the low-latency playlist (fmp4.m3u8, 200 ms parts): ~0.7 s here,
  // where whole 1 s segments gave ~1.2 s.
  assert.ok(g2g.median < 1500, `HLS glass-to-glass median ${g2g.median} ms`);
  await page.close();

  // Seed-003 aliases.
  const st = (await d.get('/api/cameras/cam/stream/status')).body;
  assert.deepEqual([st.camera_id, st.streaming, st.stream_url], ['cam', true, '/api/cameras/cam/stream/playlist.m3u8']);
  const alias = await d.get('/api/cameras/cam/stream/playlist.m3u8', { timeoutMs: 10000 });
  assert.equal(alias.status, 200);
  const aliasSegs = segmentsOf(alias.text);
  assert.ok(aliasSegs.length > 0 && aliasSegs.every((s) => /^segment\/segment\d+\.ts$/.test(s)), alias.text);
  const seg = await d.get(`/api/cameras/cam/stream/${aliasSegs.at(-1)}`);
  assert.equal(seg.status, 200);
  assert.match(seg.headers['content-type'], /video\/mp2t/);
  const stop = await d.post('/api/cameras/cam/stream/stop');
  assert.equal(stop.status, 200);
  assert.equal(stop.body.streaming, false);
  assert.ok(!fs.existsSync(dir), 'HLS folder removed when the stream stops');
  const start = await d.post('/api/cameras/cam/stream/start', { rtsp_port: 554, rtsp_path: '/stream1' });
  assert.ok([200, 202].includes(start.status));
  assert.equal(start.body.streaming, true);
  assert.deepEqual(start.body.ignored_fields, ['rtsp_path', 'rtsp_port']);
  assert.equal((await d.post('/api/cameras/cam/stream/start', { bogus: 1 })).status, 400);
  assert.equal((await d.get('/api/cameras/cam/stream/playlist.m3u8', { timeoutMs: 10000 })).status, 200);

  // Idle stop: hls.idle_stop_s (3 s) after the last request the output and its files go,
  // the stream itself keeps running.
  await waitFor(async () => !fs.existsSync(dir), { timeoutMs: 8000, message: 'HLS folder removed after idle_stop_s' });
  const after = (await d.get('/streams/cam')).body;
  assert.equal(after.state, 'active');
  assert.ok(!after.source.outputs || !after.source.outputs.hls, 'no HLS output any more');
  // …and a new request starts it again.
  assert.equal((await d.get('/streams/cam/hls/index.m3u8', { timeoutMs: 15000 })).status, 200);
}));

test('HLS: a camera that cannot start answers 503 quickly, not a hang', withDaemons(async (t, h) => {
  const d = await h.start({
    config: { cameras: [{ id: 'dead', source: { type: 'rtsp', url: 'rtsp://127.0.0.1:9/none' } }] },
  });
  const t0 = Date.now();
  const r = await d.get('/streams/dead/hls/index.m3u8', { timeoutMs: 15000 });
  assert.equal(r.status, 503);
  assert.ok(r.headers['retry-after']);
  assert.ok(Date.now() - t0 < 8000);
  assert.match(r.body.error.message, /dead/);
}));
