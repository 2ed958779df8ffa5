// The recorded browser offers of tests/fixtures/sdp/ POSTed to /streams/demo/whep as they are
// (no browser: the answer is checked, no media flows), inside a network namespace since every
// accepted offer builds a webrtcbin that gathers candidates.
//   * offers with H.264 packetization-mode=1: 201, and an answer per RFC 3264/8829: the same
//     m-lines in the same order with the same mids, the video section on one of the offered
//     H.264 payload types (42e01f preferred, docs/signaling.md), a=setup active|passive,
//     server candidates, the video mid in a=group:BUNDLE;
//   * offers without H.264 but with VP8 (Debian Firefox ESR): 201, the video section on the
//     offer's VP8 payload type (the stream's shared VP8 transcode).
// Regenerate the fixtures with tests/tools/record_offers.mjs (README.md there).
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/whep_fixtures.netns.test.mjs'
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Daemon, waitFor, httpRequest, SOURCE_DIR, BUILD_DIR } from './lib/daemon.mjs';

// GStreamer's SDP parser (tests/tools/sdp_parse.cpp): the answer must parse with it too.
const SDP_PARSE = process.env.CAMRELAY_SDP_PARSE || path.join(BUILD_DIR, 'tests', 'sdp_parse');
const gstParse = (sdp) => JSON.parse(execFileSync(SDP_PARSE, { input: sdp, encoding: 'utf8' }));

const DIR = path.join(SOURCE_DIR, 'tests', 'fixtures', 'sdp');
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.sdp')).sort();

// [{kind, port, pts, mid, rtpmap: {pt: codec}, fmtp: {pt: line}, lines}] per m-section.
function sections(sdp) {
  return sdp.split(/\r?\n(?=m=)/).slice(1).map((sec) => {
    const m = /^m=(\w+) (\d+) \S+ ?(.*)/.exec(sec);
    return {
      kind: m[1],
      port: Number(m[2]),
      pts: m[3].split(' ').filter(Boolean),
      mid: (/a=mid:(\S+)/.exec(sec) || [])[1],
      rtpmap: Object.fromEntries([...sec.matchAll(/a=rtpmap:(\d+) ([^/\r\n]+)/g)].map((x) => [x[1], x[2]])),
      fmtp: Object.fromEntries([...sec.matchAll(/a=fmtp:(\d+) ([^\r\n]*)/g)].map((x) => [x[1], x[2]])),
      text: sec,
    };
  });
}

const h264pm1 = (s) => Object.entries(s.rtpmap)
  .filter(([pt, c]) => /^H264$/i.test(c) && /packetization-mode=1/.test(s.fmtp[pt] || ''))
  .map(([pt]) => pt);
const vp8pts = (s) => Object.entries(s.rtpmap).filter(([, c]) => /^VP8$/i.test(c)).map(([pt]) => pt);

let d;
before(async () => {
  d = new Daemon({
    name: 'camrelay(fixtures)',
    config: { cameras: [{ id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 2 } }] },
  });
  await d.start();
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', { timeoutMs: 10000, message: 'demo active' });
});
after(async () => {
  if (d) await d.cleanup();
});

describe('recorded offers POSTed to /streams/demo/whep', () => {
  for (const file of FILES) {
    const offer = fs.readFileSync(path.join(DIR, file), 'utf8');
    const offered = sections(offer);
    const video = offered.find((s) => s.kind === 'video');
    const h264 = video ? h264pm1(video) : [];
    const vp8 = h264.length || !video ? [] : vp8pts(video);
    const pm1 = h264.length ? h264 : vp8;  // the payload types the video may be answered on
    const codec = h264.length ? 'H264' : 'VP8';
    const title = `${file}: 201, answer mirrors the offer's m-lines (${offered.map((s) => `${s.kind}:${s.mid}`).join(', ')}), ${codec} on one of ${pm1.join('/')}`;
    it(title, async () => {
      const r = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: offer,
        headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 12000 });
      try {
        assert.equal(r.status, 201, `${r.status} ${r.text.slice(0, 400)}`);
        const answer = r.text;
        const parsed = gstParse(answer);
        assert.equal(parsed.media.length, offered.length, 'GStreamer parses as many m-lines as were offered');
        const pv = parsed.media.find((m) => m.media === 'video' && m.port !== 0 && m.direction === 'sendonly');
        assert.ok(pv, `GStreamer sees a sendonly video m-line: ${JSON.stringify(parsed)}`);
        assert.ok(pm1.includes(pv.formats[0]) && new RegExp(`^${codec}/90000$`, 'i').test(pv.rtpmap[pv.formats[0]]), JSON.stringify(pv));
        // Our video SSRC (and, for some offers with rtx, the RTX one: retransmissions for NACKs).
        assert.ok(pv.ssrcs === 1 || pv.ssrcs === 2, `our video SSRC is announced (${pv.ssrcs})`);
        for (const m of parsed.media.filter((x) => x.media === 'audio')) {
          assert.equal(m.direction, 'inactive', 'the demo camera has no audio: audio m-lines are inactive');
        }
        const got = sections(answer);
        assert.deepEqual(got.map((s) => `${s.kind}:${s.mid}`), offered.map((s) => `${s.kind}:${s.mid}`),
          'same m-lines, same order, same mids (RFC 3264 §6)');
        const av = got.find((s) => s.kind === 'video');
        assert.equal(av.pts.length >= 1, true);
        assert.ok(pm1.includes(av.pts[0]), `answer video PT ${av.pts[0]} is an offered ${codec} PT (${pm1})`);
        const pref = pm1.find((pt) => /profile-level-id=42e01f/i.test(video.fmtp[pt]));
        if (pref) assert.equal(av.pts[0], pref, 'the 42e01f payload type is preferred');
        assert.match(av.text, /a=(sendonly|inactive)/);
        assert.match(answer, /a=setup:(active|passive)/);
        assert.match(answer, /a=candidate:/);
        const bundle = (/a=group:BUNDLE ([^\r\n]*)/.exec(answer) || [])[1] || '';
        assert.ok(bundle.split(' ').includes(av.mid), `video mid ${av.mid} in BUNDLE (${bundle})`);
        if (got.filter((s) => s.kind === 'audio' || s.kind === 'video').length > 1) {
          // With more than one RTP m-line on the bundled transport the browser must be able to tell
          // which section the video RTP belongs to (RFC 8843 §9.2): by the sdes:mid header
          // extension or by the SSRC announced in the answer. Without either, Chromium drops
          // the video (connected, no inbound-rtp at all: webrtc_clients.netns.test.mjs).
          const midExt = /a=extmap:\d+(\/\w+)? urn:ietf:params:rtp-hdrext:sdes:mid/.test(av.text);
          const ssrc = /a=ssrc:\d+ /.test(av.text);
          assert.ok(midExt || ssrc, `the answer's video section (mid ${av.mid}) has neither a=ssrc nor the sdes:mid extension:\n${av.text}`);
        }
      } finally {
        if (r.headers.location) await httpRequest({ port: d.port, method: 'DELETE', target: r.headers.location });
      }
    });
  }
  it('an offer without BUNDLE (each m-line its own transport) is answered per m-line', async () => {
    const offer = fs.readFileSync(path.join(DIR, 'chromium_audio_video.sdp'), 'utf8')
      .split('\r\n').filter((l) => !l.startsWith('a=group:BUNDLE')).join('\r\n');
    const r = await httpRequest({ port: d.port, method: 'POST', target: '/streams/demo/whep', body: offer,
      headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 12000 });
    try {
      assert.equal(r.status, 201, `${r.status} ${r.text.slice(0, 400)}`);
      const parsed = gstParse(r.text);
      assert.deepEqual(parsed.media.map((m) => [m.media, m.mid, m.direction]), [['video', '0', 'sendonly'], ['audio', '1', 'inactive']]);
      assert.equal(parsed.media[0].formats[0], '108');
      assert.doesNotMatch(r.text, /a=group:BUNDLE/);
    } finally {
      if (r.headers.location) await httpRequest({ port: d.port, method: 'DELETE', target: r.headers.location });
    }
  });
  it('the daemon is healthy afterwards, no viewer left', async () => {
    assert.equal((await d.get('/health')).status, 200);
    await waitFor(async () => (await d.get('/viewers')).body.count === 0, { timeoutMs: 5000, message: 'no viewer left' });
  });
});
