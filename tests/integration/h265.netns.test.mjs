// H.265 cameras (issue 17, point 3), with clients we did not write, in a network namespace:
//   * an H.265 RTSP camera (the test camera with --codec h265) and an H.265 static-RTP camera
//     (gst-launch: x265enc → rtph265pay) play in headless Chromium over WHEP — Debian's
//     Chromium decodes no H.265, so through the ONE shared H.265 → H.264 transcode, which
//     /streams/{id} shows (video.codec H265, video.transcode h264, source.outputs.h264) and
//     /viewers too (video H264, transcoded);
//   * HLS carries the transcode's H.264 (ffprobe), MJPEG gives JPEGs (decoded from H.265);
//   * a recording keeps the camera's H.265 (ffprobe: hevc), and so does the RTSP re-serve;
//   * an RTSP camera configured H264 that sends H.265 fails with an error naming source.codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { withDaemons, waitFor, freePort } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startRtspCamera, mjpegClient, jpegSize } from './lib/rtsp_camera.mjs';
import { spawnPusher } from './lib/rtp_pusher.mjs';
import { rawWhep, pageFrames, installPageLib } from './lib/whep_page.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

function ffprobe(args, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-of', 'json', '-show_entries', 'stream=codec_name,width,height', ...args],
      { timeout: timeoutMs }, (err, stdout, stderr) => (err ? reject(new Error(`ffprobe ${args.at(-1)}: ${stderr || err.message}`))
        : resolve(JSON.parse(stdout).streams.find((s) => s.width) || {})));
  });
}

test('H.265 cameras: WHEP in Chromium via the shared H.264 transcode, HLS, MJPEG, recording and RTSP keep H.265', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--codec', 'h265', '--width', '640', '--height', '360'] });
  t.after(() => cam.stop());
  const rtpPort = (await freePort()) & ~1;  // RTP on an even port, RTCP on the next
  const rtspPort = await freePort();
  const d = await h.start({
    config: {
      rtsp: { enabled: true, port: rtspPort, grace_s: 2 },
      recording: { min_free_mb: 0, check_interval_s: 1 },
      cameras: [
        { id: 'door', auto_start: true, source: { type: 'rtsp', url: cam.url, transport: 'tcp', codec: 'H265' } },
        { id: 'gate', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: rtpPort, codec: 'H265' } },
        { id: 'wrong', source: { type: 'rtsp', url: cam.url, transport: 'tcp' } },
      ],
    },
  });
  const pusher = spawnPusher(rtpPort, { codec: 'h265' });
  t.after(() => pusher.kill9());

  for (const [id, w, hgt] of [['door', 640, 360], ['gate', 320, 240]]) {
    const s = await waitFor(async () => {
      const x = await stream(d, id);
      return x.state === 'active' && x.stats.width === w ? x : null;
    }, { timeoutMs: 15000, message: `${id} active at ${w}x${hgt}` });
    assert.deepEqual(s.video, { codec: 'H265', transcode: null }, 'no transcode before a reader needs one');
    assert.equal(s.stats.profile, 'main');
    assert.equal(s.stats.height, hgt);
  }

  // Chromium (no H.265 decoder here) over WHEP: H.264 from the shared transcode.
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  await installPageLib(page);
  for (const [id, w, hgt] of [['door', 640, 360], ['gate', 320, 240]]) {
    const r = await rawWhep(page, d.url(`/streams/${id}/whep`), { shape: 'video', gather: 'complete', name: id });
    assert.equal(r.status, 201, String(r.body));
    assert.match(r.answer, /a=rtpmap:\d+ H264\/90000/, 'H.264 in the answer');
    const f = await waitFor(async () => {
      const x = await pageFrames(page, id);
      return x.framesDecoded > 20 && x.width > 0 ? x : null;
    }, { timeoutMs: 20000, intervalMs: 200, message: `${id}: frames decoded in Chromium` });
    assert.equal(f.width, w);
    assert.equal(f.height, hgt);
    const s = await stream(d, id);
    assert.deepEqual(s.video, { codec: 'H265', transcode: 'h264' });
    const tx = s.source.outputs.h264;
    assert.ok(tx, `an h264 transcode output: ${JSON.stringify(s.source.outputs)}`);
    assert.equal(tx.from, 'h265');
    assert.equal(tx.codec, 'h264');
    assert.equal(tx.viewers, 1);
    assert.ok(tx.frames_out > 0);
    const [v] = (await d.get(`/viewers/${id}`)).body.viewers;
    assert.deepEqual(v.video, { codec: 'H264', mode: 'transcoded' });
    console.log(`${id}: ${f.framesDecoded} frames decoded at ${f.width}x${f.height} through the H.264 transcode`);
  }

  // HLS: the same transcode's H.264 (one transcoder: it now has a second holder).
  const hls = await ffprobe([`http://127.0.0.1:${d.port}/streams/door/hls/index.m3u8`], 30000);
  assert.deepEqual([hls.codec_name, hls.width, hls.height], ['h264', 640, 360]);
  assert.equal((await stream(d, 'door')).source.outputs.h264.viewers, 2);
  const hlsReader = (await d.get('/viewers/door')).body.viewers.find((v) => v.kind === 'hls');
  assert.deepEqual(hlsReader.video, { codec: 'H264', mode: 'transcoded' });

  // MJPEG: JPEGs decoded from the H.265 stream.
  const mj = mjpegClient(d.port, '/streams/gate/mjpeg');
  await mj.ready;
  await waitFor(() => mj.parts.filter((p) => p.soi && p.eoi).length >= 2, { timeoutMs: 10000, message: 'two JPEGs' });
  const jpeg = mj.bodies.at(-1);
  mj.close();
  assert.deepEqual(jpegSize(jpeg), { width: 320, height: 240 });

  // The RTSP re-serve gives the camera's H.265 as it is.
  await browser.close();  // (less load: two transcoders and Chromium's decoders stop)
  const rtsp = await ffprobe(['-rtsp_transport', 'tcp', `rtsp://127.0.0.1:${rtspPort}/door`], 40000);
  assert.deepEqual([rtsp.codec_name, rtsp.width, rtsp.height], ['hevc', 640, 360]);

  // A recording keeps H.265.
  const rec = await d.post('/streams/door/record/start', { duration_s: 2 });
  assert.ok(rec.status === 202 || rec.status === 200, rec.text);
  const row = await waitFor(async () => (await d.get('/recordings?camera=door')).body.recordings
    .find((x) => x.status === 'complete'), { timeoutMs: 20000, message: 'a finished recording' });
  const file = await ffprobe([`${d.dataDir}/recordings/door/${row.file}`]);
  assert.deepEqual([file.codec_name, file.width, file.height], ['hevc', 640, 360]);

  // A camera configured H264 that sends H.265: a configuration error that says what to set.
  assert.equal((await d.post('/streams/wrong/start', {})).status, 202);
  const bad = await waitFor(async () => {
    const x = await stream(d, 'wrong');
    return x.state === 'error' ? x : null;
  }, { timeoutMs: 15000, message: 'the mismatched camera fails' });
  assert.match(bad.error, /sends H265 video but the camera's source\.codec is H264/);
}));
