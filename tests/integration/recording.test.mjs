// Recording (docs/recording.md) with clients we did not write: ffprobe reads what camrelay
// recorded (length, size, codecs, every frame of a file cut short by kill -9), Node's HTTP
// client asks for byte ranges; the recordings API lists, pages, thumbnails and deletes;
// retention by quota deletes the oldest first; seed 004's /live/record aliases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { withDaemons, waitFor, makeTempDir, sleep } from './lib/daemon.mjs';
import { startRtspCamera, mjpegClient } from './lib/rtsp_camera.mjs';

function run(cmd, args, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve({ stdout, stderr })));
  });
}

async function probe(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout);
}

// Decodes every frame (ffmpeg, a decoder we did not write): the count and the errors.
async function decodeAll(file) {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
// The recording's recorder has begun a file.
const writing = (rec) => rec.state === 'recording' && rec.recorder && rec.recorder.state === 'recording' && rec.recorder.file;
const recordings = async (d, q = '') => (await d.get(`/recordings${q}`)).body;

// Records `seconds` of a camera on demand; returns the finished row.
async function recordFor(d, id, seconds) {
  const before = new Set((await recordings(d, `?camera=${id}`)).recordings.map((r) => r.id));
  const r = await d.post(`/streams/${id}/record/start`, {});
  assert.ok(r.status === 202 || r.status === 200, r.text);
  await waitFor(async () => writing((await stream(d, id)).recording), { timeoutMs: 20000, message: 'recording' });
  await sleep(seconds * 1000);
  const s = await d.post(`/streams/${id}/record/stop`, {});
  assert.equal(s.status, 200, s.text);
  assert.equal(s.body.recording.state, 'off');
  return waitFor(async () => (await recordings(d, `?camera=${id}`)).recordings
    .find((x) => !before.has(x.id) && x.status === 'complete'), { timeoutMs: 10000, message: 'the closed row' });
}

test('record 5 s of the demo: a 1280x720 H.264 MP4 of 5 s, served with Range, thumbnail, delete', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0, check_interval_s: 1 },
      cameras: [{ id: 'demo', source: { type: 'test', width: 1280, height: 720, keyframe_interval_s: 1 } }],
    },
  });
  // Starting a recording starts the stopped camera; 5 s, counted from the first picture.
  const started = await d.post('/streams/demo/record/start', { duration_s: 5 });
  assert.equal(started.status, 202, started.text);
  assert.equal(started.body.recording.reason, 'duration');
  await waitFor(async () => (await stream(d, 'demo')).state === 'active', { timeoutMs: 20000 });
  await waitFor(async () => (await stream(d, 'demo')).recording.state === 'recording', { timeoutMs: 10000 });
  // Viewers come and go meanwhile: the file goes on.
  const mj = mjpegClient(d.port, '/streams/demo/mjpeg', { keepBodies: 0 });
  await mj.ready;
  await waitFor(() => mj.parts.length >= 2, { timeoutMs: 10000 });
  mj.close();
  await waitFor(async () => (await stream(d, 'demo')).recording.until, { timeoutMs: 5000, message: 'a file is written' });
  const row = await waitFor(async () => (await recordings(d)).recordings.find((x) => x.status === 'complete'),
    { timeoutMs: 15000, message: 'the recording ended by itself' });
  assert.equal((await stream(d, 'demo')).recording.state, 'off');
  assert.equal((await stream(d, 'demo')).state, 'active', 'the stream goes on');
  assert.equal(row.camera, 'demo');
  assert.equal(row.reason, 'duration');
  assert.equal(row.content_type, 'video/mp4');
  assert.match(row.file, /^demo_\d{8}-\d{6}_\d+\.mp4$/);
  assert.ok(row.duration_s >= 4.5 && row.duration_s <= 5.5, `row duration ${row.duration_s}`);
  const file = `${d.dataDir}/recordings/demo/${row.file}`;
  assert.equal(fs.statSync(file).size, row.bytes);

  // ffprobe: 4.5–5.5 s (one GOP either side: the file starts and ends at keyframes), 1280x720 H.264.
  const p = await probe(file);
  const v = p.streams.find((s) => s.codec_type === 'video');
  assert.equal(v.codec_name, 'h264');
  assert.equal(v.width, 1280);
  assert.equal(v.height, 720);
  const dur = Number(p.format.duration);
  assert.ok(dur >= 4.5 && dur <= 5.5, `ffprobe duration ${dur}`);
  assert.ok(Math.abs(dur - row.duration_s) < 0.5, `row ${row.duration_s} vs file ${dur}`);
  assert.ok(await decodeAll(file) >= 4.5 * 30 * 0.9);

  // The download: whole, then ranges, as a <video> asks.
  const whole = await d.get(row.url, { timeoutMs: 15000 });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['content-type'], 'video/mp4');
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.ok(whole.raw.equals(fs.readFileSync(file)), 'the whole file, byte for byte');
  const part = await d.get(row.url, { headers: { Range: 'bytes=100-199' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers['content-range'], `bytes 100-199/${row.bytes}`);
  assert.ok(part.raw.equals(fs.readFileSync(file).subarray(100, 200)));
  const tail = await d.get(row.url, { headers: { Range: 'bytes=-10' } });
  assert.equal(tail.status, 206);
  assert.ok(tail.raw.equals(fs.readFileSync(file).subarray(row.bytes - 10)));
  const beyond = await d.get(row.url, { headers: { Range: `bytes=${row.bytes}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers['content-range'], `bytes */${row.bytes}`);
  assert.equal((await d.get('/recordings/999999')).status, 404);
  assert.equal((await d.get('/recordings/abc')).status, 404);

  // The thumbnail: a JPEG of the first picture, 320 wide.
  const th = await d.get(row.thumbnail_url, { timeoutMs: 15000 });
  assert.equal(th.status, 200, th.text);
  assert.equal(th.headers['content-type'], 'image/jpeg');
  assert.equal(th.raw[0], 0xff);
  assert.equal(th.raw[1], 0xd8);

  // Delete: the row and the file go.
  const del = await d.request('DELETE', row.url);
  assert.equal(del.status, 200, del.text);
  assert.equal(fs.existsSync(file), false);
  assert.equal((await d.get(row.url)).status, 404);
  assert.equal((await d.request('DELETE', row.url)).status, 404);
}));

test('kill -9 while recording: the file plays to its last fragment and the next start closes its row', withDaemons(async (t, h) => {
  const dataDir = makeTempDir('camrelay-rec-crash-');
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const config = {
    recording: { min_free_mb: 0 },
    cameras: [{ id: 'demo', source: { type: 'test', width: 640, height: 360, keyframe_interval_s: 1 } }],
  };
  const d = await h.start({ dataDir, config });
  assert.equal((await d.post('/streams/demo/record/start', { duration_s: 600 })).status, 202);
  await waitFor(async () => (await stream(d, 'demo')).recording.state === 'recording', { timeoutMs: 20000 });
  await sleep(4500);
  const open = (await recordings(d)).recordings[0];
  assert.equal(open.status, 'recording');
  assert.equal(open.reason, 'duration');
  assert.equal(open.end, null);
  await d.kill9();
  const file = `${dataDir}/recordings/demo/${open.file}`;
  const frames = await decodeAll(file);
  assert.ok(frames >= 2 * 30, `frames decoded from the cut file: ${frames}`);

  const d2 = await h.start({ dataDir, config });
  const row = (await d2.get(`/recordings?camera=demo`)).body.recordings.find((r) => r.id === open.id);
  assert.equal(row.status, 'recovered');
  assert.ok(row.end, 'closed');
  // Its real length: what ffprobe finds in the file.
  const dur = Number((await probe(file)).format.duration);
  assert.ok(Math.abs(row.duration_s - dur) <= 0.6, `row ${row.duration_s} s vs ffprobe ${dur} s`);
  assert.ok(row.duration_s >= 2, JSON.stringify(row));
  assert.equal(row.bytes, fs.statSync(file).size);
  // The old recording did not come back by itself (on demand, not continuous).
  assert.equal((await stream(d2, 'demo')).recording.state, 'off');
}));

test('retention by quota deletes the oldest first; paging; seed 004 aliases', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0, check_interval_s: 1 },
      cameras: [{ id: 'demo', auto_start: true, record: { max_mb: 1 },
        source: { type: 'test', width: 640, height: 360, bitrate_kbps: 1500, keyframe_interval_s: 1 } }],
    },
  });
  await waitFor(async () => (await stream(d, 'demo')).state === 'active', { timeoutMs: 20000 });
  // Three recordings of ~2.5 s at 1.5 Mbit/s (~450 KB each): 1 MB holds two of them.
  const a = await recordFor(d, 'demo', 2.5);
  const b = await recordFor(d, 'demo', 2.5);
  // Seed 004: /live/record/start|stop record the first camera.
  const r = await d.post('/live/record/start', {});
  assert.ok(r.status === 202, r.text);
  await waitFor(async () => (await d.get('/live/status')).body.recording === true, { timeoutMs: 10000 });
  await sleep(2500);
  assert.equal((await d.post('/live/record/stop', {})).status, 200);
  const rows = await waitFor(async () => {
    const list = (await recordings(d)).recordings;
    return list.length === 2 && list.every((x) => x.status === 'complete') ? list : null;
  }, { timeoutMs: 15000, message: 'retention deleted one recording' });
  assert.ok(!rows.some((x) => x.id === a.id), 'the oldest went');
  assert.ok(rows.some((x) => x.id === b.id), 'the second stays');
  assert.equal(fs.existsSync(`${d.dataDir}/recordings/demo/${a.file}`), false);
  const disk = (await recordings(d)).disk;
  assert.ok(disk.deleted_by_retention >= 1, JSON.stringify(disk));

  // Pages: newest first, one per page, the "next" link leads on.
  const p1 = await recordings(d, '?limit=1');
  assert.equal(p1.count, 1);
  assert.equal(p1.recordings[0].id, rows[0].id);
  assert.ok(p1.next, 'a next page');
  const p2 = (await d.get(p1.next)).body;
  assert.equal(p2.recordings[0].id, rows[1].id);
  const p3 = (await d.get(p2.next)).body;
  assert.equal(p3.count, 0);
  // A time window, and bad queries.
  const from = rows[0].start;
  assert.equal((await recordings(d, `?from=${encodeURIComponent(from)}`)).count, 1);
  assert.equal((await d.get('/recordings?from=yesterday')).status, 400);
  assert.equal((await d.get('/recordings?limit=0')).status, 400);
  assert.equal((await d.get('/recordings?camera=nope')).body.count, 0);

  // Seed 004's record_duration on /live/start: records for that long by itself.
  const ls = await d.post('/live/start', { record_duration: 2 });
  assert.ok(ls.status === 200 || ls.status === 202, ls.text);
  await waitFor(async () => (await stream(d, 'demo')).recording.reason === 'duration', { timeoutMs: 5000 });
  await waitFor(async () => (await stream(d, 'demo')).recording.state === 'off', { timeoutMs: 10000, message: 'the duration ended it' });
  const bad = await d.post('/streams/demo/record/start', { duration_s: 0 });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error.message, /duration_s/);
  assert.equal((await d.post('/streams/nope/record/start', {})).status, 404);
  // /live/stop stops the stream and any recording with it.
  await d.post('/live/record/start', {});
  const st = await d.post('/live/stop', {});
  assert.equal(st.status, 200);
  assert.equal((await stream(d, 'demo')).recording.state, 'off');
}));

test('an RTSP camera with AAC audio: the recording keeps the AAC track as is', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--audio', 'aac', '--width', '320', '--height', '240'] });
  t.after(() => cam.stop());
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0 },
      cameras: [{ id: 'aac', source: { type: 'rtsp', url: cam.url, transport: 'tcp' } }],
    },
  });
  const row = await recordFor(d, 'aac', 3);
  const p = await probe(`${d.dataDir}/recordings/aac/${row.file}`);
  const codecs = p.streams.map((s) => s.codec_name).sort();
  assert.deepEqual(codecs, ['aac', 'h264']);
  const rec = (await stream(d, 'aac')).recording.recorder;
  assert.equal(rec.audio, 'aac');
}));

test('a camera lost and back: the file ends at the gap and a new one begins', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--width', '320', '--height', '240'] });
  t.after(() => cam.stop());
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0 },
      cameras: [{ id: 'cam', source: { type: 'rtsp', url: cam.url, transport: 'tcp' } }],
    },
  });
  assert.equal((await d.post('/streams/cam/record/start', {})).status, 202);
  await waitFor(async () => writing((await stream(d, 'cam')).recording), { timeoutMs: 20000 });
  await sleep(2500);
  await cam.kill9();
  await waitFor(async () => (await stream(d, 'cam')).state === 'reconnecting', { timeoutMs: 20000, message: 'the camera is lost' });
  const first = await waitFor(async () => (await recordings(d)).recordings.find((r) => r.status === 'complete'),
    { timeoutMs: 10000, message: 'the first file closed at the gap' });
  assert.equal((await stream(d, 'cam')).recording.state, 'waiting');
  await cam.restart();
  await waitFor(async () => writing((await stream(d, 'cam')).recording), { timeoutMs: 40000, message: 'recording again' });
  await sleep(2000);
  assert.equal((await d.post('/streams/cam/record/stop', {})).status, 200);
  const rows = await waitFor(async () => {
    const list = (await recordings(d)).recordings;
    return list.length === 2 && list.every((r) => r.status === 'complete') ? list : null;
  }, { timeoutMs: 10000, message: 'two files' });
  const second = rows.find((r) => r.id !== first.id);
  assert.ok(second.start_ms >= first.end_ms, `the second file begins after the gap: ${first.end} .. ${second.start}`);
  for (const r of rows) {
    const frames = await decodeAll(`${d.dataDir}/recordings/cam/${r.file}`);
    assert.ok(frames > 20, `${r.file}: ${frames} frames`);
  }
}));

test('continuous recording from the config: from boot, cut every segment_s, rows say "continuous"', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0 },
      cameras: [{ id: 'yard', record: { mode: 'continuous', segment_s: 10 },
        source: { type: 'test', width: 320, height: 240, keyframe_interval_s: 1 } }],
    },
  });
  // No start and no record request: the camera runs and records because of its config.
  const s = await waitFor(async () => {
    const x = await stream(d, 'yard');
    return writing(x.recording) ? x : null;
  }, { timeoutMs: 20000, message: 'recording from boot' });
  assert.equal(s.recording.mode, 'continuous');
  assert.equal(s.recording.reason, 'continuous');
  const first = await waitFor(async () => (await recordings(d, '?camera=yard')).recordings.find((r) => r.status === 'complete'),
    { timeoutMs: 25000, message: 'the first 10 s file closed by the segment length' });
  assert.equal(first.reason, 'continuous');
  assert.ok(first.duration_s >= 9 && first.duration_s <= 12, JSON.stringify(first));
  const rows = (await recordings(d, '?camera=yard')).recordings;
  assert.equal(rows.length, 2, 'the next file is being written');
  assert.equal(rows[0].status, 'recording');
  assert.ok(Math.abs(rows[0].start_ms - first.end_ms) < 100, 'files are contiguous');
  assert.ok(await decodeAll(`${d.dataDir}/recordings/yard/${first.file}`) >= 9 * 30 * 0.9);
}));
