// Self-check of the Firefox harness (lib/firefox.mjs), inside a loopback-only network
// namespace: two RTCPeerConnections in one Firefox ESR page connect to each other over
// 127.0.0.1 and carry video (a canvas captureStream). If this fails, every other Firefox
// WebRTC test would fail for reasons that have nothing to do with camrelay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { waitFor } from './lib/daemon.mjs';
import { launchFirefox } from './lib/firefox.mjs';

test('Firefox ESR: two peer connections in one page exchange video over loopback', { timeout: 90000 }, async (t) => {
  // A page of our own on 127.0.0.1 (a secure context for WebRTC, like the daemon's pages).
  const srv = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><meta charset="utf-8"><title>firefox harness</title><body></body>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => srv.close());
  const ff = await launchFirefox();
  t.after(() => ff.close());
  assert.ok(ff.pid > 0, 'the browser process has a pid');
  const page = await ff.newPage();
  await page.goto(`http://127.0.0.1:${srv.address().port}/`);

  const ua = await page.evaluate(() => navigator.userAgent);
  assert.match(ua, /Firefox\//);

  await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 320;
    c.height = 240;
    document.body.append(c);
    const ctx = c.getContext('2d');
    let i = 0;
    window.drawTimer = setInterval(() => {
      ctx.fillStyle = `hsl(${(i++ * 7) % 360},80%,50%)`;
      ctx.fillRect(0, 0, 320, 240);
      ctx.fillStyle = '#000';
      ctx.fillText(String(i), 10, 20);
    }, 33);
    const stream = c.captureStream(30);
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    window.h = { a, b, candsA: [], candsB: [], video: null };
    a.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) window.h.candsA.push(e.candidate.candidate); b.addIceCandidate(e.candidate); };
    b.onicecandidate = (e) => { if (e.candidate && e.candidate.candidate) window.h.candsB.push(e.candidate.candidate); a.addIceCandidate(e.candidate); };
    for (const track of stream.getTracks()) a.addTrack(track, stream);
    b.ontrack = (e) => {
      const v = document.createElement('video');
      v.muted = true;
      v.autoplay = true;
      v.srcObject = e.streams[0];
      document.body.append(v);
      window.h.video = v;
    };
    const offer = await a.createOffer();
    await a.setLocalDescription(offer);
    await b.setRemoteDescription(offer);
    const answer = await b.createAnswer();
    await b.setLocalDescription(answer);
    await a.setRemoteDescription(answer);
  });

  const state = () => page.evaluate(async () => {
    let frames = 0;
    (await window.h.b.getStats()).forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'video') frames = x.framesDecoded || 0; });
    return { a: window.h.a.connectionState, b: window.h.b.connectionState, candsA: window.h.candsA,
      candsB: window.h.candsB, frames, width: window.h.video ? window.h.video.videoWidth : 0 };
  });
  const connected = await waitFor(async () => {
    const s = await state();
    if (s.a === 'failed' || s.b === 'failed') throw new Error(`ICE failed: ${JSON.stringify(s)}`);
    return s.a === 'connected' && s.b === 'connected' ? s : null;
  }, { timeoutMs: 15000, intervalMs: 100, message: 'both peer connections connected' });
  // Host candidates on loopback, with real addresses (no mDNS .local names).
  assert.ok(connected.candsA.some((c) => / 127\.0\.0\.1 \d+ typ host/.test(c)), JSON.stringify(connected.candsA));
  assert.ok(!connected.candsA.some((c) => /\.local /.test(c)), 'no mDNS candidates');
  const first = await waitFor(async () => {
    const s = await state();
    return s.frames > 10 && s.width === 320 ? s : null;
  }, { timeoutMs: 15000, intervalMs: 100, message: 'video frames decoded' });
  await waitFor(async () => (await state()).frames > first.frames + 30, { timeoutMs: 6000, intervalMs: 100, message: 'frames keep coming' });
  await page.evaluate(() => { clearInterval(window.drawTimer); window.h.a.close(); window.h.b.close(); });
});
