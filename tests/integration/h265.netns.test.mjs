// H.265 cameras (issue 17, point 3), with clients we did not write, in a network namespace:
//   * an H.265 RTSP camera (the test camera with --codec h265) and an H.265 static-RTP camera
//     (gst-launch: x265enc → rtph265pay) play in headless Chromium over WHEP — Debian's
//     Chromium decodes no H.265, so through the ONE shared H.265 → H.264 transcode, which
//     /streams/{id} shows (video.codec H265, video.transcode h264, source.outputs.h264) and
//     /viewers too (video H264, transcoded);
//   * HLS: index.m3u8 is a multivariant playlist: fmp4.m3u8 carries the camera's H.265 as it is
//     in fMP4 (ffprobe: hevc; no transcoder for it), ts.m3u8 the transcode's H.264 in MPEG-TS
//     (ffprobe), and hls.js in Chromium (no H.265 decoder) plays the H.264 one from index.m3u8;
//   * MJPEG gives JPEGs (decoded from H.265);
//   * a recording keeps the camera's H.265 (ffprobe: hevc), and so does the RTSP re-serve;
//   * a client that decodes H.265 gets it as it is, no transcode: GStreamer's webrtcbin over
//     WHEP (tests/integration/lib/gst_whep_client.py) decodes the camera's 640x360 H.265, and
//     the signaling offer to a page whose browser lists video/H265 is H.265 (one without it:
//     H.264);
//   * an RTSP camera configured H264 that sends H.265 fails with an error naming source.codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { withDaemons, waitFor, freePort, SOURCE_DIR } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { startRtspCamera, mjpegClient, jpegSize } from './lib/rtsp_camera.mjs';
import { spawnPusher } from './lib/rtp_pusher.mjs';
import { rawWhep, pageFrames, installPageLib } from './lib/whep_page.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

// GStreamer's webrtcbin as a WHEP client (Debian's python3-gi): resolves its JSON line.
function gstWhep(url, codec) {
  const script = path.join(SOURCE_DIR, 'tests', 'integration', 'lib', 'gst_whep_client.py');
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [script, url, '--codec', codec, '--frames', '30', '--timeout', '25'], { timeout: 40000 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1) || '';
        try {
          resolve(JSON.parse(line));
        } catch {
          resolve({ error: `no result (${err ? err.message : 'exit 0'}): ${stderr.slice(-500)}` });
        }
      });
  });
}

// The first offer the signaling WebSocket sends for a watch with these codecs.
function signalingOffer(port, camera, codecs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/signaling?camera=${camera}`);
    const timer = setTimeout(() => { ws.terminate(); reject(new Error('no offer within 10 s')); }, 10000);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data));
      if (m.type === 'hello') ws.send(JSON.stringify({ type: 'watch', camera, codecs }));
      if (m.type === 'error') { clearTimeout(timer); ws.close(); reject(new Error(JSON.stringify(m))); }
      if (m.type === 'offer') { clearTimeout(timer); ws.close(); resolve(m.sdp); }
    });
  });
}

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

  // HLS: index.m3u8 lists the camera's H.265 in fMP4 and the H.264 transcode in MPEG-TS.
  const master = await d.get('/streams/door/hls/index.m3u8');
  assert.equal(master.status, 200, master.text);
  assert.match(master.text, /^#EXTM3U\n#EXT-X-VERSION:7\n/);
  assert.match(master.text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="hvc1\.1\.6\.L93\.B0",RESOLUTION=640x360\nfmp4\.m3u8\n/);
  assert.match(master.text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="avc1\.42e01f",RESOLUTION=640x360\nts\.m3u8\n/);
  // The TS variant: the same transcode's H.264 (one transcoder: it now has a second holder).
  const hls = await ffprobe([`http://127.0.0.1:${d.port}/streams/door/hls/ts.m3u8`], 30000);
  assert.deepEqual([hls.codec_name, hls.width, hls.height], ['h264', 640, 360]);
  assert.equal((await stream(d, 'door')).source.outputs.h264.viewers, 2);
  const hlsReader = (await d.get('/viewers/door')).body.viewers.find((v) => v.kind === 'hls');
  assert.deepEqual(hlsReader.video, { codec: 'H264', mode: 'transcoded' });
  // The fMP4 variant: the camera's H.265 as it is (the transcoder gets no third holder).
  const fm = await d.get('/streams/door/hls/fmp4.m3u8');
  assert.equal(fm.status, 200, fm.text);
  assert.match(fm.text, /#EXT-X-VERSION:7\n/);
  assert.match(fm.text, /#EXT-X-MAP:URI="init\.mp4"\n/);
  assert.match(fm.text, /#EXTINF:[\d.]+,\nsegment\d{5}\.m4s\n/);
  const init = await d.get('/streams/door/hls/init.mp4');
  assert.equal(init.status, 200);
  assert.equal(init.headers['content-type'], 'video/mp4');
  const hevc = await ffprobe([`http://127.0.0.1:${d.port}/streams/door/hls/fmp4.m3u8`], 30000);
  assert.deepEqual([hevc.codec_name, hevc.width, hevc.height], ['hevc', 640, 360]);
  const afterFmp4 = await stream(d, 'door');
  assert.equal(afterFmp4.source.outputs.h264.viewers, 2);
  assert.ok(afterFmp4.source.outputs['hls-fmp4'], JSON.stringify(Object.keys(afterFmp4.source.outputs)));
  const fmp4Reader = (await d.get('/viewers/door')).body.viewers.find((v) => v.kind === 'hls' && v.video.codec === 'H265');
  assert.ok(fmp4Reader, 'the fMP4 HLS reader is listed');
  assert.equal(fmp4Reader.video.mode, 'passthrough');
  // hls.js in Chromium (no H.265 decoder here) plays the H.264 variant of index.m3u8.
  const hlsPage = await browser.newPage();
  await hlsPage.goto(d.url('/viewer?camera=door&mode=hls'));
  const played = await waitFor(async () => hlsPage.evaluate(() => {
    const v = document.getElementById('video');
    const p = window.camrelayViewer && window.camrelayViewer.player;
    if (!p || !p.hls || v.currentTime < 0.5 || !v.videoWidth) return null;
    const level = p.hls.levels[p.hls.currentLevel];
    return { w: v.videoWidth, h: v.videoHeight, codec: level ? level.videoCodec : null, levels: p.hls.levels.length };
  }), { timeoutMs: 30000, intervalMs: 200, message: 'hls.js plays index.m3u8 of the H.265 camera' });
  assert.deepEqual([played.w, played.h], [640, 360]);
  assert.match(String(played.codec), /^avc1/, JSON.stringify(played));
  await hlsPage.close();
  // fmp4.m3u8: 404 for an unknown camera, 400 for the sub stream (H.264 in MPEG-TS only).
  assert.equal((await d.get('/streams/nosuch/hls/fmp4.m3u8')).status, 404);
  assert.equal((await d.get('/streams/door/hls/fmp4.m3u8?quality=sub')).status, 400);

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

  // A client that decodes H.265 gets the camera's H.265 as it is (no transcode): GStreamer's
  // webrtcbin over WHEP, as Chrome/Safari with an H.265 decoder would.
  const running = gstWhep(d.url('/streams/door/whep'), 'H265');
  // Listed while it plays (once it is gone, no RTCP comes: the viewer is reaped).
  const passthrough = await waitFor(async () => (await d.get('/viewers/door')).body.viewers
    .find((v) => v.kind === 'whep' && v.video.codec === 'H265'), { timeoutMs: 20000, intervalMs: 100,
    message: 'the H.265 viewer is listed' });
  assert.equal(passthrough.video.mode, 'passthrough');
  const g = await running;
  assert.ok(!g.error, `GStreamer WHEP client: ${JSON.stringify(g)}`);
  assert.equal(g.status, 201);
  assert.deepEqual(g.answer_codecs, ['H265']);
  assert.ok(g.frames >= 30, JSON.stringify(g));
  assert.deepEqual([g.width, g.height], [640, 360]);
  assert.match(g.caps, /video\/x-h265/);
  console.log(`door: ${g.frames} H.265 frames decoded by GStreamer's webrtcbin at ${g.width}x${g.height}, no transcode`);
  // Signaling: the server's offer follows the codecs the page says its browser decodes.
  const h265Offer = await signalingOffer(d.port, 'door', ['video/H265', 'video/H264', 'video/VP8']);
  assert.match(h265Offer, /a=rtpmap:\d+ H265\/90000/);
  assert.doesNotMatch(h265Offer, /H264\/90000/);
  const h264Offer = await signalingOffer(d.port, 'door', ['video/H264', 'video/VP8']);
  assert.match(h264Offer, /a=rtpmap:\d+ H264\/90000/);

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
