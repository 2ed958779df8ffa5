// Camera audio to WebRTC viewers, in headless Debian Chromium inside a network namespace:
//   * an RTSP camera sending AAC: WHEP viewers (audio + video) get Opus made by ONE shared
//     transcoder, with a real level (audioLevel > 0); the transcoder stops after they leave;
//   * a static RTP camera sending Opus: the viewer page (WebSocket signaling, server offer)
//     plays video and audio, muted until "Unmute" is pressed (then audioLevel > 0);
//   * a G.711 (PCMU) RTSP camera: passed through as PCMU;
//   * a viewer whose offer has no audio gets video only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, freePort } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { RtspCamera, startRtspCamera } from './lib/rtsp_camera.mjs';
import { rawWhep, pageFrames, whepDelete, installPageLib } from './lib/whep_page.mjs';

const small = ['--width', '320', '--height', '240'];
const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
const viewersOf = async (d, id) => (await d.get(`/viewers/${id}`)).body.viewers;

async function whepPage(browser, d) {
  const page = await browser.newPage();
  await page.goto(d.url('/login'));
  await installPageLib(page);
  return page;
}

// Video decodes and the audio is really heard: packets arrive and the level is above zero.
async function waitAudioAndVideo(page, name, what) {
  return waitFor(async () => {
    const s = await pageFrames(page, name);
    return s.framesDecoded > 20 && s.audioPackets > 50 && s.audioLevel > 0 && s.totalAudioEnergy > 0 ? s : null;
  }, { timeoutMs: 20000, intervalMs: 200, message: `${what}: video decodes and audio has a level` });
}

test('RTSP camera with AAC: one shared Opus transcoder, audioLevel > 0 in the browser, stopped after the viewers leave', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--audio', 'aac', ...small] });
  t.after(() => cam.stop());
  const d = await h.start({ config: { cameras: [{ id: 'aac', auto_start: true, source: { type: 'rtsp', url: cam.url, transport: 'tcp' } }] } });
  await waitFor(async () => (await stream(d, 'aac')).audio?.codec === 'aac', { timeoutMs: 15000, message: 'AAC audio in the stream' });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await whepPage(browser, d);

  for (const name of ['a1', 'a2']) {
    const r = await rawWhep(page, d.url('/streams/aac/whep'), { shape: 'audio_video', gather: 'complete', name });
    assert.equal(r.status, 201, String(r.body));
    assert.match(r.answer, /m=audio[^\n]*\r\n(.*\r\n)*?a=rtpmap:111 OPUS\/48000\/2/i, 'Opus on the audio m-line');
    const s = await waitAudioAndVideo(page, name, name);
    console.log(`${name}: ${s.audioPackets} audio packets, audioLevel ${s.audioLevel.toFixed(3)}, ${s.framesDecoded} frames`);
  }
  const vs = await viewersOf(d, 'aac');
  assert.equal(vs.length, 2);
  for (const v of vs) assert.deepEqual(v.audio, { codec: 'opus', mode: 'transcoded' });
  // Once per stream: one transcoder output however many viewers.
  const st = await stream(d, 'aac');
  assert.equal(st.audio.webrtc, 'transcode:opus');
  const tx = st.source.outputs?.['webrtc-opus'];
  assert.ok(tx, `a webrtc-opus output: ${JSON.stringify(st.source)}`);
  assert.equal(tx.viewers, 2);

  for (const name of ['a1', 'a2']) assert.equal(await whepDelete(page, name), 200);
  await waitFor(async () => !(await stream(d, 'aac')).source.outputs?.['webrtc-opus'],
    { timeoutMs: 15000, message: 'the transcoder stops a few seconds after the last viewer' });
  assert.equal((await stream(d, 'aac')).state, 'active');
}));

test('static RTP camera with Opus: the viewer page plays audio (muted until Unmute); PCMU passed through; no audio m-line → video only', withDaemons(async (t, h) => {
  const video = (await freePort()) & ~1;
  let audio = (await freePort()) & ~1;
  if (Math.abs(audio - video) < 2) audio = video + 4;
  const pcmu = await startRtspCamera({ extraArgs: ['--audio', 'pcmu', ...small] });
  t.after(() => pcmu.stop());
  const d = await h.start({
    config: {
      cameras: [
        { id: 'opus', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: video, audio_port: audio, audio_codec: 'OPUS', audio_payload_type: 111 } },
        { id: 'g711', auto_start: true, source: { type: 'rtsp', url: pcmu.url, transport: 'tcp' } },
      ],
    },
  });
  const cam = await new RtspCamera({ port: 1, extraArgs: ['--rtp-to', `127.0.0.1:${video}`, '--audio', 'opus', '--audio-to', `127.0.0.1:${audio}`, ...small] }).start();
  t.after(() => cam.stop());
  await waitFor(async () => (await stream(d, 'opus')).audio?.codec === 'opus', { timeoutMs: 15000, message: 'Opus audio in the stream' });

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/viewer?camera=opus'));
  let seen = null;
  const s = await waitFor(async () => {
    seen = await page.evaluate(async () => {
    const st = window.camrelayViewer;
    const v = document.getElementById('video');
    if (!st || !st.pc) return null;
    let frames = 0, audioPackets = 0, level = 0;
    (await st.pc.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') frames = x.framesDecoded || 0;
      if (x.type === 'inbound-rtp' && x.kind === 'audio') { audioPackets = x.packetsReceived || 0; level = x.totalAudioEnergy || 0; }
    });
    const tracks = v.srcObject ? v.srcObject.getTracks().map((x) => x.kind).sort().join(',') : '';
    return { frames, audioPackets, level, tracks, muted: v.muted, button: document.getElementById('mute').textContent };
    });
    return seen && seen.frames > 20 && seen.audioPackets > 50 ? seen : null;
  }, { timeoutMs: 20000, intervalMs: 200, message: 'viewer page: video and audio' }).catch((e) => {
    throw new Error(`${e.message}\nlast seen on the page: ${JSON.stringify(seen)}`);
  });
  assert.equal(s.tracks, 'audio,video', 'one MediaStream with both tracks on the <video>');
  assert.equal(s.muted, true, 'muted by default so autoplay works');
  assert.equal(s.button, 'Unmute');
  // Muted, the browser does not play the audio out (no energy); unmuted it does.
  await page.click('#mute');
  assert.deepEqual(await page.evaluate(() => [document.getElementById('video').muted, document.getElementById('mute').textContent]), [false, 'Mute']);
  await waitFor(async () => page.evaluate(async () => {
    let level = 0, energy = 0;
    (await window.camrelayViewer.pc.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'audio') { level = x.audioLevel || 0; energy = x.totalAudioEnergy || 0; }
    });
    return level > 0 && energy > 0;
  }), { timeoutMs: 10000, intervalMs: 200, message: 'unmuted: the audio is heard (audioLevel > 0)' });
  await page.click('#mute');
  assert.equal(await page.evaluate(() => document.getElementById('video').muted), true);
  const [pv] = await viewersOf(d, 'opus');
  assert.deepEqual(pv.audio, { codec: 'opus', mode: 'passthrough' });

  // G.711: the browser's PCMU payload type, no transcoder.
  const wp = await whepPage(browser, d);
  const r = await rawWhep(wp, d.url('/streams/g711/whep'), { shape: 'audio_first', gather: 'complete', name: 'g' });
  assert.equal(r.status, 201, String(r.body));
  assert.match(r.answer, /m=audio 9 UDP\/TLS\/RTP\/SAVPF 0\r\n/, 'PCMU (static PT 0) on the audio m-line');
  await waitAudioAndVideo(wp, 'g', 'PCMU viewer');
  const gv = (await viewersOf(d, 'g711'))[0];
  assert.deepEqual(gv.audio, { codec: 'pcmu', mode: 'passthrough' });
  assert.ok(!(await stream(d, 'g711')).source.outputs?.['webrtc-opus'], 'no transcoder for G.711');

  // An offer without audio: video only, the viewer has no audio.
  const rv = await rawWhep(wp, d.url('/streams/opus/whep'), { shape: 'video', gather: 'complete', name: 'vo' });
  assert.equal(rv.status, 201);
  assert.doesNotMatch(rv.answer, /m=audio/);
  await waitFor(async () => (await pageFrames(wp, 'vo')).framesDecoded > 20, { timeoutMs: 15000, message: 'video-only viewer decodes' });
  const vo = (await viewersOf(d, 'opus')).find((v) => v.kind === 'whep');
  assert.equal(vo.audio, null);
}));
