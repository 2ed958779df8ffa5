// Firefox ESR (Debian, headless, puppeteer-core/WebDriver BiDi) as a WHEP viewer, inside a
// network namespace: it offers audio+video recvonly to /streams/demo/whep.
//   * if its offer has H.264 (packetization-mode=1): the answer is 201 and video decodes;
//   * if it has none (Debian's Firefox ESR has no OpenH264; the harness forbids downloading
//     it): camrelay answers today 400 and the message names the missing codec. Decoding the
//     VP8 Firefox does offer is then a todo; once the daemon answers 201 it is a real test.
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/firefox_whep.netns.test.mjs'
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { launchFirefox } from './lib/firefox.mjs';
import { rawWhep, pageFrames, whepDelete, installPageLib } from './lib/whep_page.mjs';

// The codecs of the video m-section of an offer: [{pt, codec, fmtp}].
function videoCodecs(sdp) {
  const sec = sdp.split(/\r\n(?=m=)/).find((s) => s.startsWith('m=video'));
  if (!sec) return [];
  const fmtp = Object.fromEntries([...sec.matchAll(/a=fmtp:(\d+) ([^\r\n]*)/g)].map((m) => [m[1], m[2]]));
  return [...sec.matchAll(/a=rtpmap:(\d+) ([^/\r\n]+)\//g)].map((m) => ({ pt: Number(m[1]), codec: m[2], fmtp: fmtp[m[1]] || '' }));
}

async function decodes(page, name) {
  let last;
  const first = await waitFor(async () => {
    last = await pageFrames(page, name);
    if (last.state === 'failed') throw new Error(`connection failed: ${JSON.stringify(last)}`);
    return last.framesDecoded > 0 ? last : null;
  }, { timeoutMs: 15000, intervalMs: 100, message: 'Firefox decodes a first video frame' });
  return waitFor(async () => {
    last = await pageFrames(page, name);
    return last.framesDecoded >= first.framesDecoded + 20 ? last : null;
  }, { timeoutMs: 3000, intervalMs: 100, message: 'Firefox framesDecoded grows over 3 s' });
}

test('Firefox ESR: audio+video recvonly WHEP offer to /streams/demo/whep', { timeout: 90000 }, withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [{ id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 2 } }] } });
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', { timeoutMs: 10000, message: 'demo active' });
  const ff = await launchFirefox();
  t.after(() => ff.close());
  const page = await ff.newPage();
  await page.goto(d.url('/'));
  await installPageLib(page);
  const ua = await page.evaluate(() => navigator.userAgent);

  const r = await rawWhep(page, d.url('/streams/demo/whep'), { shape: 'audio_video', gather: 'complete', name: 'ff' });
  assert.ok(r.offer, `no offer was sent: ${JSON.stringify(r)}`);
  const codecs = videoCodecs(r.offer);
  const h264 = codecs.filter((c) => c.codec === 'H264' && /packetization-mode=1/.test(c.fmtp));
  const mlines = r.offer.split('\r\n').filter((l) => l.startsWith('m='));
  const cands = (r.offer.match(/\r\na=candidate:/g) || []).length;
  // What Firefox really offered, for the record (tests/fixtures/sdp/README.md).
  t.diagnostic(`${ua}`);
  t.diagnostic(`offer m-lines: ${mlines.join(' | ')}; ${cands} candidates`);
  t.diagnostic(`video codecs: ${codecs.map((c) => `${c.codec}/${c.pt}`).join(' ')}`);
  t.diagnostic(`daemon answered ${r.status}${r.status === 201 ? '' : `: ${r.body}`}`);
  assert.ok(mlines[0].startsWith('m=video') && mlines[1].startsWith('m=audio'), 'video then audio');
  assert.ok(cands > 0, 'the offer holds candidates (gathering completed)');

  if (h264.length) {
    await t.test('the offer has H.264: 201 and video decodes', async () => {
      assert.equal(r.status, 201, String(r.body));
      await decodes(page, 'ff');
    });
  } else {
    assert.ok(codecs.some((c) => c.codec === 'VP8'), `Firefox offers VP8: ${JSON.stringify(codecs)}`);
    if (r.status === 400) {
      await t.test('no H.264 in the offer: today a 400 whose message names the missing codec', () => {
        const body = JSON.parse(r.body);
        assert.equal(body.error.code, 'invalid_argument');
        assert.match(body.error.message, /H\.264/);
      });
      await t.test('Firefox without H.264 (VP8/VP9/AV1 offer) decodes video', {
        todo: 'camrelay sends the camera\'s H.264 only; Debian Firefox ESR offers no H.264 (no OpenH264)',
      }, () => {
        assert.fail(`the daemon answered 400: ${r.body}`);
      });
    } else {
      await t.test('no H.264 in the offer, the daemon answered: video decodes', async () => {
        assert.equal(r.status, 201, String(r.body));
        await decodes(page, 'ff');
      });
    }
  }
  await whepDelete(page, 'ff').catch(() => {});
}));
