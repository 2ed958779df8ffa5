// The viewer page's fallback when WebRTC cannot start, in headless Debian Chromium inside a
// network namespace: WebRTC → HLS → MJPEG, with the reason in the page's message line.
//   * no shared codec (the browser claims to decode only AV1): the server refuses, the page
//     plays HLS and says why;
//   * ICE that never completes (the page drops every server candidate) and hls.js that does
//     not load: after the connect timeout the page tries HLS, then plays MJPEG, and says both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';

const camera = { id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 1 } };

const pageState = (page) => page.evaluate(() => {
  const v = document.getElementById('video');
  const img = document.getElementById('mjpeg');
  return {
    mode: window.camrelayViewer.mode,
    status: document.getElementById('status').textContent,
    message: document.getElementById('message').textContent,
    videoTime: v.currentTime,
    videoWidth: v.videoWidth,
    mjpegWidth: img.hidden ? 0 : img.naturalWidth,
  };
});

test('no shared video codec: the page falls back to HLS and says why', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera] } });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  // A browser that decodes only AV1 (it tells the server so in its watch message).
  await page.addInitScript(() => {
    RTCRtpReceiver.getCapabilities = () => ({ codecs: [{ mimeType: 'video/AV1', clockRate: 90000 }], headerExtensions: [] });
  });
  await page.goto(d.url('/viewer?camera=demo'));
  const s = await waitFor(async () => {
    const x = await pageState(page);
    return x.mode === 'hls' && x.videoTime > 1 && x.videoWidth === 1280 ? x : null;
  }, { timeoutMs: 30000, intervalMs: 200, message: 'HLS plays after WebRTC was refused' });
  assert.match(s.message, /neither H\.264 nor VP8/, s.message);
  assert.match(s.message, /playing HLS instead/, s.message);
  assert.match(s.status, /HLS/);
}));

test('ICE never completes and HLS cannot load: the page plays MJPEG and says why', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [camera] } });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.addInitScript(() => {
    // No path between the peers: the server's candidates never reach ICE.
    const srd = RTCPeerConnection.prototype.setRemoteDescription;
    RTCPeerConnection.prototype.setRemoteDescription = function (desc) {
      const sdp = desc.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate')).join('\r\n');
      return srd.call(this, { type: desc.type, sdp });
    };
    RTCPeerConnection.prototype.addIceCandidate = async () => {};
  });
  await page.route('**/vendor/hls.min.js', (route) => route.abort());
  const t0 = Date.now();
  await page.goto(d.url('/viewer?camera=demo&connect_timeout=3'));
  const s = await waitFor(async () => {
    const x = await pageState(page);
    return x.mode === 'mjpeg' && x.mjpegWidth === 1280 ? x : null;
  }, { timeoutMs: 30000, intervalMs: 200, message: 'MJPEG plays after WebRTC and HLS failed' });
  console.log(`fell back to MJPEG ${Date.now() - t0} ms after the page opened: "${s.message}"`);
  assert.match(s.message, /WebRTC did not connect within 3 s/, s.message);
  assert.match(s.message, /hls\.min\.js/, s.message);
  assert.match(s.message, /playing MJPEG instead/, s.message);
  assert.match(s.status, /MJPEG/);
}));
