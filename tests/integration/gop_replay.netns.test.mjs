// Last-GOP replay: cameras that cannot be made to send a keyframe (RTSP; a plain RTP
// sender that ignores FIR) with a 10 s keyframe interval. A viewer joining in the middle
// of the GOP must see video at once (not at the next keyframe, seconds away), keep
// decoding (the replayed frames are a correct reference chain), and show the live
// picture, not one delayed by the replayed span. Runs in a network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, freePort, SANITIZED } from './lib/daemon.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';
import { RtspCamera } from './lib/rtsp_camera.mjs';
import { startG2G, g2gSamples, summary } from './lib/stamp.mjs';

const GOP_FRAMES = 300;  // 10 s at 30 fps

async function joinMidGop(t, d, cameraId) {
  // Wait until the stream is well inside its first GOP: the next keyframe is > 7 s away.
  const k0 = (await waitFor(async () => {
    const s = (await d.get(`/streams/${cameraId}`)).body;
    return s.state === 'active' && s.stats.frames >= 45 && s.stats.keyframes > 0 ? s : null;
  }, { timeoutMs: 8000, message: 'stream active, 1.5 s into its GOP' })).stats.keyframes;
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url(`/viewer?camera=${cameraId}`));
  const s = await waitFor(async () => {
    const v = await viewerState(page);
    return v.framesDecoded > 0 && v.videoWidth > 0 && v.firstFrameMs !== null ? v : null;
  }, { timeoutMs: 15000, intervalMs: 50, message: 'first decoded frame' });
  const keyframes = (await d.get(`/streams/${cameraId}`)).body.stats.keyframes;
  assert.equal(keyframes, k0, 'the camera sent no new keyframe: the first picture came from the cache');
  // The replayed frames are decodable references: decoding goes on, still without a new
  // keyframe from the camera.
  const start = s.framesDecoded;
  await waitFor(async () => (await viewerState(page)).framesDecoded >= start + 45,
    { timeoutMs: 4000, message: 'decoding continues after the replay' });
  const viewers = (await d.get(`/viewers/${cameraId}`)).body.viewers;
  assert.equal(viewers.length, 1);
  assert.ok(viewers[0].stats.replayed_frames >= 40, `replayed ${viewers[0].stats.replayed_frames} frames`);
  assert.equal((await d.get(`/streams/${cameraId}`)).body.stats.keyframes, k0);
  return { page, firstFrameMs: s.firstFrameMs, replayed: viewers[0].stats.replayed_frames };
}

test('RTSP camera with a 10 s GOP: a viewer joining mid-GOP decodes at once', withDaemons(async (t, h) => {
  const cam = await new RtspCamera({ port: await freePort(), extraArgs: ['--key-int', String(GOP_FRAMES)] }).start();
  t.after(() => cam.stop());
  const d = await h.start({
    config: { cameras: [{ id: 'door', auto_start: true, source: { type: 'rtsp', url: cam.url, transport: 'tcp' } }] },
  });
  const r = await joinMidGop(t, d, 'door');
  console.log(`RTSP, GOP 10 s, joined 1.5 s in: first frame ${Math.round(r.firstFrameMs)} ms, ${r.replayed} frames replayed`);
  assert.ok(r.firstFrameMs < 2000, `first frame after ${r.firstFrameMs} ms`);
}));

test('RTP camera ignoring FIR, 10 s GOP: first frame at once, live latency after the replay', withDaemons(async (t, h) => {
  const port = (await freePort()) & ~1;  // RTP on an even port, RTCP on the next
  const d = await h.start({
    config: { cameras: [{ id: 'gate', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: port } }] },
  });
  // The camera starts after the daemon listens, so the daemon sees its first keyframe.
  const cam = await new RtspCamera({
    port: 1,
    // SPS/PPS before every slice of a keyframe, as some senders do: the picture must
    // still arrive whole (the stamp is read from it).
    extraArgs: ['--rtp-to', `127.0.0.1:${port}`, '--key-int', String(GOP_FRAMES), '--stamp', '--params-every-slice'],
  }).start();
  t.after(() => cam.stop());
  const r = await joinMidGop(t, d, 'gate');
  // The replayed span (~1.5 s) must not become delay: the picture is live.
  await startG2G(r.page, '#video');
  await waitFor(async () => (await g2gSamples(r.page)).length >= 30, { timeoutMs: 5000, message: 'stamps read from the picture' });
  const g2g = summary(await g2gSamples(r.page));
  console.log(`RTP (no FIR), GOP 10 s, joined 1.5 s in: first frame ${Math.round(r.firstFrameMs)} ms, ` +
    `${r.replayed} frames replayed; glass-to-glass median ${g2g.median} ms, p95 ${g2g.p95} ms`);
  assert.ok(r.firstFrameMs < 2000, `first frame after ${r.firstFrameMs} ms`);
  // A sanitizer build decodes and stamps too slowly for a latency bound: reported only there.
  if (!SANITIZED) assert.ok(g2g.median < 500, `glass-to-glass median ${g2g.median} ms (the replay added delay)`);
}));
