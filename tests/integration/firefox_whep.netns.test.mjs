// Firefox ESR (Debian, headless, puppeteer-core/WebDriver BiDi) inside a network namespace.
// Debian's Firefox ESR offers no H.264 for WebRTC (no OpenH264 plugin: the harness forbids
// downloading it), only VP8/VP9/AV1. camrelay gives such browsers a VP8 transcode made ONCE
// per stream and shared by all of them, while H.264 browsers keep the camera's stream as is:
//   * the viewer page (WebSocket signaling, the page lists its codecs) plays in Firefox;
//   * a WHEP viewer in Firefox (its own audio+video offer) plays;
//   * one VP8 transcoder serves both, stops a few seconds after both leave;
//   * a Chromium viewer of the same camera meanwhile receives H.264, passed through.
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/firefox_whep.netns.test.mjs'
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, SLOW } from './lib/daemon.mjs';
import { launchFirefox } from './lib/firefox.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';
import { rawWhep, pageFrames, whepDelete, installPageLib } from './lib/whep_page.mjs';

// The codecs of the video m-section of an offer: [{pt, codec, fmtp}].
function videoCodecs(sdp) {
  const sec = sdp.split(/\r\n(?=m=)/).find((s) => s.startsWith('m=video'));
  if (!sec) return [];
  const fmtp = Object.fromEntries([...sec.matchAll(/a=fmtp:(\d+) ([^\r\n]*)/g)].map((m) => [m[1], m[2]]));
  return [...sec.matchAll(/a=rtpmap:(\d+) ([^/\r\n]+)\//g)].map((m) => ({ pt: Number(m[1]), codec: m[2], fmtp: fmtp[m[1]] || '' }));
}

// After the first frame, framesDecoded grows over a 3 s window (by 15+: the stream is 30 fps;
// the margin is for a loaded 2-core machine running two browsers and the VP8 encoder).
async function decodes(read, what) {
  const first = await waitFor(async () => {
    const x = await read();
    return x.framesDecoded > 0 ? x : null;
  }, { timeoutMs: 20000, intervalMs: 100, message: `${what}: a first video frame` });
  const a = await read();
  await new Promise((r) => setTimeout(r, 3000 * SLOW));  // longer for a sanitizer build
  const b = await read();
  assert.ok(b.framesDecoded >= a.framesDecoded + 15,
    `${what}: framesDecoded grows over ${3 * SLOW} s (${a.framesDecoded} → ${b.framesDecoded}, first at ${first.framesDecoded})`);
  return b;
}

// The viewer page's decoded frames and the codec it receives (Firefox and Chromium alike).
const pageStats = (page) => page.evaluate(async () => {
  const pc = window.camrelayViewer && window.camrelayViewer.pc;
  const out = { framesDecoded: 0, mime: null };
  if (!pc) return out;
  const st = await pc.getStats();
  st.forEach((x) => {
    if (x.type === 'inbound-rtp' && x.kind === 'video') {
      out.framesDecoded = x.framesDecoded || 0;
      const c = x.codecId && st.get(x.codecId);
      if (c) out.mime = c.mimeType;
    }
  });
  return out;
});

test('Firefox without H.264 plays through one shared VP8 transcode; Chromium keeps H.264', { timeout: 120000 }, withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [{ id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 2 } }] } });
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', { timeoutMs: 10000, message: 'demo active' });
  const ff = await launchFirefox();
  t.after(() => ff.close());
  const chromium = await launchBrowser();
  t.after(() => chromium.close());

  // 1. A Chromium viewer first: H.264, passed through.
  const cpage = await chromium.newPage();
  await cpage.goto(d.url('/viewer?camera=demo'));
  await waitFor(async () => (await viewerState(cpage)).framesDecoded > 20, { timeoutMs: 15000, message: 'Chromium viewer decodes' });

  // 2. Firefox's WHEP offer: no H.264, VP8 offered → 201 and video decodes.
  const wpage = await ff.newPage();
  await wpage.goto(d.url('/login'));
  await installPageLib(wpage);
  t.diagnostic(await wpage.evaluate(() => navigator.userAgent));
  const r = await rawWhep(wpage, d.url('/streams/demo/whep'), { shape: 'audio_video', gather: 'complete', name: 'ff' });
  const codecs = videoCodecs(r.offer || '');
  t.diagnostic(`Firefox video codecs: ${codecs.map((c) => `${c.codec}/${c.pt}`).join(' ')}; answered ${r.status}`);
  const h264 = codecs.some((c) => c.codec === 'H264' && /packetization-mode=1/.test(c.fmtp));
  assert.equal(r.status, 201, String(r.body));
  const vp8pt = codecs.find((c) => c.codec === 'VP8')?.pt;
  // (followed by its RTX payload type: retransmissions for NACKs)
  if (!h264) assert.match(r.answer, new RegExp(`m=video \\d+ \\S+ ${vp8pt}( \\d+)?\\r\\n`), 'answered with Firefox\'s VP8 payload type');
  await decodes(() => pageFrames(wpage, 'ff'), 'Firefox WHEP viewer');

  // 3. The viewer page in Firefox (server offer; the page says it has no H.264).
  const fpage = await ff.newPage();
  await fpage.goto(d.url('/viewer?camera=demo'));
  const fs = await decodes(() => pageStats(fpage), 'Firefox viewer page');
  if (!h264) assert.equal(fs.mime, 'video/VP8');

  // One transcoder for both Firefox viewers; Chromium untouched.
  const vs = (await d.get('/viewers/demo')).body.viewers;
  assert.equal(vs.length, 3);
  const byCodec = (c) => vs.filter((v) => v.video.codec === c);
  if (!h264) {
    assert.equal(byCodec('VP8').length, 2, JSON.stringify(vs.map((v) => v.video)));
    for (const v of byCodec('VP8')) assert.equal(v.video.mode, 'transcoded');
    const tx = (await d.get('/streams/demo')).body.source.outputs['webrtc-vp8'];
    assert.ok(tx, 'a webrtc-vp8 transcoder runs');
    assert.equal(tx.viewers, 2, 'ONE transcoder shared by the two Firefox viewers');
    assert.equal(tx.codec, 'vp8');
    assert.ok(tx.frames_out > 30, JSON.stringify(tx));
    // Their keyframe requests (on connect, PLIs) went to the VP8 encoder.
    assert.ok(tx.keyframes_requested >= 1, JSON.stringify(tx));
  }
  const ch = byCodec('H264');
  assert.equal(ch.length, h264 ? 3 : 1);
  assert.equal(ch[0].video.mode, 'passthrough');
  const cs = await pageStats(cpage);
  assert.equal(cs.mime, 'video/H264');
  await decodes(() => pageStats(cpage), 'Chromium keeps decoding H.264');

  // Both Firefox viewers leave: the transcoder stops a few seconds later; Chromium plays on.
  await whepDelete(wpage, 'ff');
  await fpage.close();
  await waitFor(async () => (await d.get('/viewers/demo')).body.count === 1, { timeoutMs: 12000, message: 'Firefox viewers gone' });
  await waitFor(async () => !(await d.get('/streams/demo')).body.source.outputs?.['webrtc-vp8'],
    { timeoutMs: 12000, message: 'the VP8 transcoder stops after its last viewer' });
  await decodes(() => pageStats(cpage), 'Chromium still decodes after the transcoder stopped');
}));
