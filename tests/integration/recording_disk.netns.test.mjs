// Recording under a full disk, and a recording played back by a browser: the daemon runs in
// a mount namespace of its own with its recordings folder on a 6 MB tmpfs, so the disk
// really fills (ENOSPC from the file writes): recording stops with a clear error in
// /streams/{id} and /health while a WebRTC (WHEP) viewer in headless Chromium keeps
// decoding, and it resumes by itself once recordings are deleted. Then Chromium's <video>
// plays a recording over HTTP and seeks to 3 s (Range requests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withDaemons, waitFor, makeTempDir } from './lib/daemon.mjs';
import { launchBrowser, startWhep, whepFrames } from './lib/browser.mjs';

const stream = async (d) => (await d.get('/streams/demo')).body;

test('a full disk stops recording with an error, live viewing goes on, recording resumes when space returns', withDaemons(async (t, h) => {
  const dataDir = makeTempDir('camrelay-rec-disk-');
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  fs.mkdirSync(`${dataDir}/recordings`);
  const d = await h.start({
    dataDir,
    wrap: ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o size=6m tmpfs '${dataDir}/recordings' && exec "$@"`, 'sh'],
    config: {
      // No periodic check during the test: the write error itself must stop the recording.
      recording: { min_free_mb: 1, check_interval_s: 3600 },
      cameras: [{ id: 'demo', auto_start: true,
        source: { type: 'test', width: 640, height: 360, bitrate_kbps: 4000, keyframe_interval_s: 1 } }],
    },
  });
  await waitFor(async () => (await stream(d)).state === 'active', { timeoutMs: 20000 });

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  const w = await startWhep(page, d.url('/streams/demo/whep'));
  assert.equal(w.status, 201, JSON.stringify(w));
  await waitFor(async () => (await whepFrames(page)).framesDecoded > 30, { timeoutMs: 20000, message: 'the viewer decodes' });

  assert.equal((await d.post('/streams/demo/record/start', {})).status, 202);
  await waitFor(async () => (await stream(d)).recording.state === 'recording', { timeoutMs: 10000 });
  // 4 Mbit/s fills 6 MB in about 12 s.
  const failed = await waitFor(async () => {
    const s = await stream(d);
    return s.recording.state === 'paused' || s.recording.state === 'retrying' ? s : null;
  }, { timeoutMs: 60000, message: 'recording stopped by the full disk' });
  assert.match(failed.recording.error, /disk full|No space left|space/i, failed.recording.error);
  assert.equal(failed.state, 'active', 'the stream goes on');
  const health = (await d.get('/health')).body;
  assert.equal(health.status, 'degraded');
  assert.ok(health.recording.cameras.demo, JSON.stringify(health.recording));

  // Live viewing never noticed.
  const f1 = (await whepFrames(page)).framesDecoded;
  await waitFor(async () => (await whepFrames(page)).framesDecoded > f1 + 30, { timeoutMs: 10000, message: 'the viewer still decodes' });
  assert.equal((await whepFrames(page)).state, 'connected');

  // What was written is a recording (closed when the write failed); deleting it frees the
  // space and recording resumes by itself.
  const list = (await d.get('/recordings')).body.recordings;
  assert.ok(list.length >= 1, JSON.stringify(list));
  for (const r of list) {
    const closedRow = await waitFor(async () => {
      const x = (await d.get('/recordings')).body.recordings.find((y) => y.id === r.id);
      return x && x.status !== 'recording' ? x : null;
    }, { timeoutMs: 10000, message: `recording ${r.id} closed` });
    assert.ok(closedRow.bytes > 1024 * 1024, JSON.stringify(closedRow));
    assert.equal((await d.request('DELETE', r.url)).status, 200);
  }
  await waitFor(async () => (await stream(d)).recording.state === 'recording', { timeoutMs: 20000, message: 'recording resumed' });
  await waitFor(async () => (await d.get('/health')).body.status === 'healthy', { timeoutMs: 10000 });
  assert.equal((await d.post('/streams/demo/record/stop', {})).status, 200);
}));

test('Chromium plays a recording and seeks to 3 s', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      recording: { min_free_mb: 0 },
      cameras: [{ id: 'demo', auto_start: true,
        source: { type: 'test', width: 640, height: 360, keyframe_interval_s: 1 } }],
    },
  });
  await waitFor(async () => (await stream(d)).state === 'active', { timeoutMs: 20000 });
  assert.equal((await d.post('/streams/demo/record/start', { duration_s: 6 })).status, 202);
  const row = await waitFor(async () => (await d.get('/recordings')).body.recordings.find((r) => r.status === 'complete'),
    { timeoutMs: 30000, message: 'the 6 s recording' });
  assert.ok(row.duration_s >= 5, JSON.stringify(row));

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  const r = await page.evaluate(async (url) => {
    const v = document.createElement('video');
    v.muted = true;
    v.preload = 'auto';
    document.body.append(v);
    const once = (ev) => new Promise((resolve, reject) => {
      v.addEventListener(ev, resolve, { once: true });
      v.addEventListener('error', () => reject(new Error(`video error ${v.error && v.error.code}: ${v.error && v.error.message}`)), { once: true });
    });
    v.src = url;
    await once('loadedmetadata');
    const duration = v.duration;
    v.currentTime = 3;
    await once('seeked');
    await new Promise((res) => (v.readyState >= 2 ? res() : v.addEventListener('loadeddata', res, { once: true })));
    return { duration, time: v.currentTime, width: v.videoWidth, height: v.videoHeight, ready: v.readyState };
  }, d.url(row.url));
  assert.ok(r.duration >= 5, JSON.stringify(r));
  assert.ok(Math.abs(r.time - 3) < 0.5, JSON.stringify(r));
  assert.equal(r.width, 640);
  assert.equal(r.height, 360);
  assert.ok(r.ready >= 2, JSON.stringify(r));
}));
