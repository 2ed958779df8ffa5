// Camera audio into the stream's audio tee (no viewers): RTSP cameras with AAC or PCMU
// audio, an RTSP camera with "audio": false, a static RTP camera pushing Opus on
// audio_port, and a BCGH fakecam answering the offer's m=audio with Opus. GET
// /streams/{id} shows audio.codec / clock_rate / channels / packets / webrtc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, freePort } from './lib/daemon.mjs';
import { RtspCamera, startRtspCamera } from './lib/rtsp_camera.mjs';
import { Broker, processGroup, startFakecam, stream, waitState, rtpRange } from './lib/bcgh.mjs';

// Waits until the stream is active with audio of `codec`, then until its packet count has
// grown by `more` (audio keeps flowing, not just one caps event).
// The source figures are published about once a second: `sourceKey` waits for one of them.
async function waitAudio(d, id, codec, { more = 20, timeoutMs = 15000, sourceKey = 'audio_encoding' } = {}) {
  const first = await waitFor(async () => {
    const s = await stream(d, id);
    return s.state === 'active' && s.audio && s.audio.codec === codec && s.audio.packets > 0 ? s : null;
  }, { timeoutMs, message: `${id}: active with ${codec} audio` });
  const later = await waitFor(async () => {
    const s = await stream(d, id);
    return s.audio && s.audio.packets >= first.audio.packets + more && s.source[sourceKey] != null ? s : null;
  }, { timeoutMs, message: `${id}: audio packets grow past ${first.audio.packets + more}, source.${sourceKey} shown` });
  return { first, later };
}

test('RTSP: AAC → transcode:opus, PCMU → passthrough, audio: false → null with video active', withDaemons(async (t, h) => {
  const aac = await startRtspCamera({ extraArgs: ['--audio', 'aac', '--width', '320', '--height', '240'] });
  t.after(() => aac.stop());
  const pcmu = await startRtspCamera({ extraArgs: ['--audio', 'pcmu', '--width', '320', '--height', '240'] });
  t.after(() => pcmu.stop());
  // Its own server: gst-rtsp-server's shared media answers 503 to a SETUP of a track that
  // an earlier client of the same media did not set up.
  const aac2 = await startRtspCamera({ extraArgs: ['--audio', 'aac', '--width', '320', '--height', '240'] });
  t.after(() => aac2.stop());
  const refuses = await startRtspCamera({
    extraArgs: ['--audio', 'pcma', '--refuse-audio-setup', '--width', '320', '--height', '240'],
  });
  t.after(() => refuses.stop());
  const d = await h.start({
    config: {
      cameras: [
        { id: 'aac', auto_start: true, source: { type: 'rtsp', url: aac.url, transport: 'tcp' } },
        { id: 'muted', auto_start: true, audio: false, source: { type: 'rtsp', url: aac2.url, transport: 'tcp' } },
        { id: 'pcmu', auto_start: true, source: { type: 'rtsp', url: pcmu.url, transport: 'tcp' } },
        { id: 'refuses', auto_start: true, source: { type: 'rtsp', url: refuses.url, transport: 'tcp' } },
      ],
    },
  });

  const { later: a } = await waitAudio(d, 'aac', 'aac');
  assert.equal(a.audio.webrtc, 'transcode:opus');
  assert.equal(a.audio.clock_rate, 48000);
  assert.equal(a.audio.channels, 1);
  assert.equal(a.source.audio_encoding, 'MPEG4-GENERIC');
  assert.ok(a.stats.frames > 0);

  const { later: u } = await waitAudio(d, 'pcmu', 'pcmu');
  assert.equal(u.audio.webrtc, 'passthrough');
  assert.equal(u.audio.clock_rate, 8000);
  assert.equal(u.audio.channels, 1);

  // The camera is lost and comes back: the rebuilt source bin relinks video and audio.
  await pcmu.kill9();
  await waitFor(async () => (await stream(d, 'pcmu')).state === 'reconnecting',
    { timeoutMs: 10000, message: 'pcmu: reconnecting' });
  const before = await stream(d, 'pcmu');
  await pcmu.restart();
  const back = await waitFor(async () => {
    const s = await stream(d, 'pcmu');
    return s.state === 'active' && s.stats.frames > before.stats.frames + 30 ? s : null;
  }, { timeoutMs: 20000, message: 'pcmu: active again, frames grow' });
  await waitFor(async () => (await stream(d, 'pcmu')).audio.packets > back.audio.packets + 20,
    { timeoutMs: 10000, message: 'pcmu: audio flows again after the reconnect' });
  assert.equal((await stream(d, 'pcmu')).source.reconnects, 1);

  // Audio off: the same camera, video only; its frames keep growing.
  const m0 = await waitFor(async () => {
    const s = await stream(d, 'muted');
    return s.state === 'active' && s.stats.frames > 0 ? s : null;
  }, { timeoutMs: 10000, message: 'muted: active' });
  const m1 = await waitFor(async () => {
    const s = await stream(d, 'muted');
    return s.stats.frames > m0.stats.frames + 30 ? s : null;
  }, { timeoutMs: 10000, message: 'muted: frames grow' });
  assert.equal(m1.audio, null);
  assert.equal(m1.source.audio_encoding, null);
  assert.equal(m1.state, 'active');

  // A camera that refuses the SETUP of its audio track (503) still gives video.
  const r = await waitFor(async () => {
    const s = await stream(d, 'refuses');
    return s.state === 'active' && s.stats.frames > 30 ? s : null;
  }, { timeoutMs: 15000, message: 'refuses: active, video only after the refused audio' });
  assert.equal(r.audio, null);
  assert.equal(r.source.audio_encoding, null);
  assert.match(d.log, /camera refuses: .* failed with its audio track .*; trying again video only/);

  // Stopped: no audio shown.
  assert.equal((await d.post('/streams/aac/stop')).status, 200);
  assert.equal((await stream(d, 'aac')).audio, null);
}));

test('static RTP: Opus on audio_port → opus/passthrough, packets grow; audio stopping does not stall video', withDaemons(async (t, h) => {
  const video = (await freePort()) & ~1;
  let audio = (await freePort()) & ~1;
  if (Math.abs(audio - video) < 2) audio = video + 4;
  const d = await h.start({
    config: {
      cameras: [{ id: 'st', auto_start: true,
        source: { type: 'rtp', negotiation: 'static', video_port: video, audio_port: audio, audio_payload_type: 111,
          audio_codec: 'OPUS', rtp_timeout_s: 2 } }],
    },
  });
  const small = ['--width', '320', '--height', '240'];
  const cam = await new RtspCamera({ port: 1, extraArgs: ['--rtp-to', `127.0.0.1:${video}`, ...small] }).start();
  t.after(() => cam.stop());
  // The audio from a second sender (its video goes to a port nobody listens on), so that
  // the audio alone can stop.
  const sink = await freePort();
  const mic = await new RtspCamera({
    port: 1,
    extraArgs: ['--rtp-to', `127.0.0.1:${sink}`, '--audio', 'opus', '--audio-to', `127.0.0.1:${audio}`, ...small],
  }).start();
  t.after(() => mic.stop());
  const { later: s } = await waitAudio(d, 'st', 'opus');
  assert.equal(s.audio.webrtc, 'passthrough');
  assert.equal(s.audio.clock_rate, 48000);
  assert.equal(s.source.audio_port, audio);
  assert.equal(s.source.audio_encoding, 'OPUS');
  assert.ok(s.source.audio_packets > 0);
  assert.ok(s.stats.frames > 0);

  // The audio stops: the video goes on well past rtp_timeout_s (2 s), still active.
  await mic.kill9();
  // Stopped: the audio count stays put while ≥ 15 frames (0.5 s) arrive.
  let ref = await stream(d, 'st');
  const a0 = await waitFor(async () => {
    const x = await stream(d, 'st');
    if (x.audio.packets !== ref.audio.packets) {
      ref = x;
      return null;
    }
    return x.stats.frames >= ref.stats.frames + 15 ? x : null;
  }, { timeoutMs: 5000, message: 'audio stopped' });
  let notActive = null;
  const v1 = await waitFor(async () => {
    const x = await stream(d, 'st');
    if (x.state !== 'active') notActive = notActive ?? `${x.state}: ${x.error}`;
    return x.stats.frames > a0.stats.frames + 120 ? x : null;  // ≥ 4 s at 30 fps
  }, { timeoutMs: 15000, intervalMs: 200, message: 'video goes on without audio' });
  assert.equal(notActive, null, 'video stays active without audio');
  assert.equal(v1.state, 'active');
  assert.equal(v1.audio.packets, a0.audio.packets);
}));

test('BCGH: the fakecam answers m=audio with Opus → opus/passthrough; --no-audio → null', withDaemons(async (t, h) => {
  const g = processGroup();
  try {
    const brk = await new Broker(h.tempDir()).start();
    g.add(brk.proc);
    g.add(await startFakecam(brk, 'cam1'));
    g.add(await startFakecam(brk, 'cam2', ['--no-audio']));
    const d = await h.start({
      config: {
        mqtt: { url: brk.url, answer_timeout_s: 10, keepalive_interval_s: 1 },
        rtp: rtpRange(41),
        cameras: [
          { id: 'cam1', source: { type: 'rtp', negotiation: 'mqtt', audio: true } },
          { id: 'cam2', source: { type: 'rtp', negotiation: 'mqtt', audio: true } },
        ],
      },
    });
    await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
    assert.equal((await d.post('/streams/cam1/start')).status, 202);
    assert.equal((await d.post('/streams/cam2/start')).status, 202);

    const { later: s } = await waitAudio(d, 'cam1', 'opus', { sourceKey: 'audio_port' });
    assert.equal(s.audio.webrtc, 'passthrough');
    assert.equal(s.audio.clock_rate, 48000);
    assert.equal(s.source.answer_audio, 'OPUS/48000 pt 111');
    assert.equal(s.source.audio_port, s.source.video_port + 2);

    // Audio refused by the camera: video only, audio null.
    const v = await waitState(d, 'cam2', 'active', 10000);
    await waitFor(async () => (await stream(d, 'cam2')).stats.frames > v.stats.frames + 30,
      { timeoutMs: 10000, message: 'cam2 frames grow' });
    const n = await waitFor(async () => {
      const x = await stream(d, 'cam2');
      return x.source.audio_port != null ? x : null;
    }, { timeoutMs: 5000, message: 'cam2 source figures' });
    assert.equal(n.audio, null);
    assert.equal(n.source.answer_audio, null);
    assert.equal(n.source.audio_packets, 0);
  } catch (e) {
    g.printLogs(`test "${t.name}" failed`);
    throw e;
  } finally {
    await g.killAll();
  }
}));
