// The sub stream (issue 17, docs/api.md "Sub stream"): a 1280x720 test camera's second,
// 640x360 H.264 stream, decoded and re-encoded once per camera only while someone reads it.
//   * nobody reads it: GET /streams/{id} shows no "sub" output;
//   * ffprobe reads rtsp://…/{id}_sub and seed 002's /stream2: 640x360 h264;
//   * an MJPEG ?quality=sub picture is 640x360 (its SOF), HLS ?quality=sub is 640x360 for
//     ffprobe, Chromium plays WHEP ?quality=sub at videoWidth 640 — all from one transcoder
//     (its holders count them; "sub transcoder started" is logged at most once for them);
//   * every reader's quality is in /viewers; ~5 s after the last one left the "sub" output is gone;
//   * quality=bogus → 400 naming quality; a camera with sub.enabled false → 404.
// Loopback only; runs in a network namespace (WebRTC). Every client is killed by its PID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, freePort, httpRequest } from './lib/daemon.mjs';
import { mjpegClient, jpegSize } from './lib/rtsp_camera.mjs';
import { launchBrowser, startWhep, whepFrames } from './lib/browser.mjs';
import { run } from './lib/run.mjs';

// ffprobe's codec and size of the first video stream at `url`.
async function probe(url, extra = []) {
  const r = await run('ffprobe', ['-v', 'error', ...extra, '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url]);
  assert.equal(r.code, 0, `ffprobe ${url}: ${r.stderr}`);
  const s = JSON.parse(r.stdout).streams[0];
  return [s.codec_name, s.width, s.height];
}

test('sub stream: 640x360 over RTSP, MJPEG, HLS and WHEP from one transcoder that runs only while read',
  withDaemons(async (t, h) => {
    const rtspPort = await freePort();
    const d = await h.start({
      config: {
        rtsp: { enabled: true, port: rtspPort, grace_s: 1 },
        hls: { idle_stop_s: 2 },
        cameras: [
          { id: 'cam', auto_start: true, source: { type: 'test', width: 1280, height: 720, fps: 30 } },
          { id: 'nosub', sub: { enabled: false }, source: { type: 'test', width: 320, height: 240 } },
        ],
      },
    });
    const subOutput = async () => (await d.get('/streams/cam')).body.source.outputs?.sub;
    await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active', 10000);
    assert.equal(await subOutput(), undefined, 'no sub transcoder while nobody reads the sub stream');

    // Bad input: a clear 400 naming quality; no sub stream → 404 (for every way in).
    const bogus = await d.get('/streams/cam/mjpeg?quality=bogus');
    assert.equal(bogus.status, 400);
    assert.match(bogus.text, /quality/);
    assert.equal((await d.get('/streams/cam/hls/index.m3u8?quality=bogus')).status, 400);
    const whepBogus = await httpRequest({ port: d.port, method: 'POST', target: '/streams/cam/whep?quality=bogus',
      body: 'v=0\r\n', headers: { 'Content-Type': 'application/sdp' } });
    assert.equal(whepBogus.status, 400);
    assert.match(whepBogus.text, /quality/);
    const none = await d.get('/streams/nosub/hls/index.m3u8?quality=sub');
    assert.equal(none.status, 404);
    assert.match(none.text, /sub/);
    assert.equal((await d.get('/streams/nosub')).body.state, 'stopped', 'a refused sub reader starts nothing');

    // RTSP: {id}_sub and /stream2 (the first camera's sub stream); the main stream stays 1280x720.
    assert.deepEqual(await probe(`rtsp://127.0.0.1:${rtspPort}/cam_sub`, ['-rtsp_transport', 'tcp']), ['h264', 640, 360]);
    assert.deepEqual(await probe(`rtsp://127.0.0.1:${rtspPort}/stream2`, ['-rtsp_transport', 'tcp']), ['h264', 640, 360]);
    assert.deepEqual(await probe(`rtsp://127.0.0.1:${rtspPort}/cam`, ['-rtsp_transport', 'tcp']), ['h264', 1280, 720]);

    // MJPEG and HLS readers of the sub stream at once: one transcoder holds both.
    const startedLines = () => d.log.split('\n').filter((l) => /cam: sub transcoder started/.test(l));
    const startedBefore = startedLines().length;
    assert.ok(startedBefore >= 1, 'the RTSP sub readers started the transcoder');
    const mj = mjpegClient(d.port, '/streams/cam/mjpeg?quality=sub');
    t.after(() => mj.close());
    await mj.ready;
    assert.equal(mj.status, 200);
    await waitFor(() => mj.bodies.length > 0, { timeoutMs: 10000, message: 'an MJPEG sub picture' });
    assert.deepEqual(jpegSize(mj.bodies.at(-1)), { width: 640, height: 360 });
    assert.deepEqual(await probe(d.url('/streams/cam/hls/index.m3u8?quality=sub')), ['h264', 640, 360]);
    const sub = await waitFor(async () => {
      const s = await subOutput();
      return s && s.viewers >= 2 ? s : null;
    }, { timeoutMs: 5000, message: 'the sub transcoder holds the MJPEG and HLS outputs' });
    assert.equal(sub.codec, 'h264');
    assert.deepEqual([sub.width, sub.height, sub.bitrate_kbps, sub.encoder], [640, 360, 500, 'x264']);
    const outputs = (await d.get('/streams/cam')).body.source.outputs;
    assert.ok(outputs['mjpeg-sub'] && outputs['hls-sub'], JSON.stringify(Object.keys(outputs)));
    assert.match(outputs['hls-sub'].playlist, /\?quality=sub$/);

    // Chromium plays WHEP ?quality=sub at 640 px wide, from the same transcoder.
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(d.url('/login'));
    const w = await startWhep(page, d.url('/streams/cam/whep?quality=sub'));
    assert.equal(w.status, 201, JSON.stringify(w));
    await waitFor(async () => {
      const f = await whepFrames(page);
      return f.framesDecoded > 10 && f.width === 640 ? f : null;
    }, { timeoutMs: 15000, message: 'Chromium decodes the sub stream at 640 px' });
    const viewers = (await d.get('/viewers')).body.viewers;
    const q = Object.fromEntries(viewers.map((v) => [v.kind, v.quality]));
    assert.equal(q.whep, 'sub');
    assert.equal(q.mjpeg, 'sub');
    assert.equal(q.hls, 'sub');
    // (the HLS output may have idled out by now: hls.idle_stop_s is 2 s here)
    assert.ok((await subOutput()).viewers >= 2, 'the MJPEG output and the WHEP viewer hold the same transcoder');
    // At most one start for the three readers (none if the RTSP readers' one still lingered).
    const started = startedLines();
    assert.ok(started.length - startedBefore <= 1, `one sub transcoder for every reader:\n${started.join('\n')}`);

    // Everyone leaves: the transcoder stops about 5 s after its last holder.
    mj.close();
    assert.equal((await httpRequest({ port: d.port, method: 'DELETE', target: w.location })).status, 200);
    await waitFor(async () => (await subOutput()) === undefined,
      { timeoutMs: 25000, intervalMs: 250, message: 'the sub transcoder stops once nobody reads it' });
    assert.equal((await d.get('/streams/cam')).body.state, 'active', 'the camera itself runs on');
  }));
