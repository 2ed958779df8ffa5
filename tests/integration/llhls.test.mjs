// Low-latency HLS (fmp4.m3u8 of an H.264 camera): 200 ms partial segments listed with
// EXT-X-PART and a preload hint, blocking playlist reloads for a part (_HLS_msn/_HLS_part)
// answered the moment it exists, the hinted part served as soon as it is written, parts that
// add up to their segment byte for byte, clear errors for bad directives and names, ffprobe
// decoding the playlist, and hls.js in low-latency mode (the viewer page's HLS mode) playing
// it near its PART-HOLD-BACK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { run } from './lib/run.mjs';

const PL = '/streams/cam/hls/fmp4.m3u8';

// The parts after the last whole segment, the hint, and the numbers a blocking reload needs.
function edgeOf(text) {
  const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)[1]);
  const lines = text.split('\n');
  let whole = 0;
  let open = [];
  for (const l of lines) {
    if (l.startsWith('#EXTINF:')) { whole += 1; open = []; }
    if (l.startsWith('#EXT-X-PART:')) open.push(l);
  }
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(text);
  return { msn: seq + whole, parts: open.length, hint: hint && hint[1] };
}
const partsOf = (text) => [...text.matchAll(/#EXT-X-PART:DURATION=([\d.]+),URI="([^"]+)"(,INDEPENDENT=YES)?/g)]
  .map((m) => ({ duration: Number(m[1]), uri: m[2], independent: !!m[3] }));
const fourcc = (buf) => buf.subarray(4, 8).toString('latin1');

test('LL-HLS: parts, preload hints, blocking reloads, ffprobe, hls.js low-latency mode', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      hls: { target_duration_s: 1, playlist_length: 4, max_files: 8, part_ms: 200 },
      cameras: [{ id: 'cam', source: { type: 'test', width: 640, height: 360, fps: 30, keyframe_interval_s: 2 } }],
    },
  });
  const first = await d.get(PL, { timeoutMs: 20000 });
  assert.equal(first.status, 200, first.text);
  assert.match(first.headers['content-type'], /mpegurl/i);
  const pl = first.text;
  assert.match(pl, /^#EXTM3U\n/);
  assert.match(pl, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0\.600\n/);
  const target = Number(/#EXT-X-PART-INF:PART-TARGET=([\d.]+)/.exec(pl)[1]);
  assert.ok(target >= 0.2 && target <= 0.25, `PART-TARGET ${target}`);
  assert.match(pl, /#EXT-X-MAP:URI="init\.mp4"\n/);
  assert.match(pl, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part\d{5}\.\d+\.m4s"\n$/);
  const parts = partsOf(pl);
  assert.ok(parts.length >= 1, pl);
  for (const p of parts) assert.ok(p.duration <= target + 1e-9, `part ${p.uri} ${p.duration} s > PART-TARGET`);

  // A blocking reload for the next part: held until it exists (≈ one part), not polled.
  const e1 = edgeOf(pl);
  const t0 = Date.now();
  const next = await d.get(`${PL}?_HLS_msn=${e1.msn}&_HLS_part=${e1.parts}`, { timeoutMs: 5000 });
  const waited = Date.now() - t0;
  assert.equal(next.status, 200, next.text);
  const e2 = edgeOf(next.text);
  assert.ok(e2.msn > e1.msn || e2.parts > e1.parts, `the reload shows the part asked for:\n${next.text}`);
  assert.ok(waited < 1500, `blocking reload answered after ${waited} ms`);
  t.diagnostic(`blocking reload for part ${e1.msn}.${e1.parts} answered after ${waited} ms`);

  // The hinted part, asked for before it exists, comes the moment it is written. At a
  // segment boundary the hint may be wrong (404, as RFC 8216bis allows): most are right.
  let served = 0;
  for (let i = 0; i < 5; ++i) {
    const cur = (await d.get(PL)).text;
    const { hint } = edgeOf(cur);
    const r = await d.get(`/streams/cam/hls/${hint}`, { timeoutMs: 6000 });
    if (r.status === 200) {
      served += 1;
      assert.equal(r.headers['content-type'], 'video/mp4');
      assert.equal(fourcc(r.raw), 'moof', `${hint} starts with a moof`);
    } else {
      assert.equal(r.status, 404, r.text);
    }
  }
  assert.ok(served >= 3, `${served} of 5 hinted parts served`);

  // A whole segment is its parts, byte for byte, and as long as they are together.
  const withParts = await waitFor(async () => {
    const text = (await d.get(PL)).text;
    const m = /((?:#EXT-X-PART:[^\n]+\n)+)#EXTINF:([\d.]+),\n(segment\d+\.m4s)\n/.exec(text);
    return m ? { parts: partsOf(m[1]), extinf: Number(m[2]), segment: m[3] } : null;
  }, { timeoutMs: 10000, intervalMs: 100, message: 'a whole segment listed with its parts' });
  assert.ok(withParts.parts[0].independent, 'a segment starts with an independent part');
  assert.ok(withParts.extinf >= 1.9 && withParts.extinf <= 2.1, `segment of the 2 s GOP: ${withParts.extinf} s`);
  const sum = withParts.parts.reduce((a, p) => a + p.duration, 0);
  assert.ok(Math.abs(sum - withParts.extinf) < 0.05, `parts ${sum} s vs EXTINF ${withParts.extinf} s`);
  const bytes = [];
  for (const p of withParts.parts) {
    const r = await d.get(`/streams/cam/hls/${p.uri}`);
    assert.equal(r.status, 200, `${p.uri}: ${r.text}`);
    bytes.push(r.raw);
  }
  const seg = await d.get(`/streams/cam/hls/${withParts.segment}`);
  assert.equal(seg.status, 200);
  assert.ok(Buffer.concat(bytes).equals(seg.raw), 'the segment is the concatenation of its parts');
  // An independent part decodes on its own after init.mp4 (what a player joining there does):
  // all its frames, by ffprobe.
  const init = await d.get('/streams/cam/hls/init.mp4');
  assert.equal(init.status, 200);
  assert.equal(fourcc(init.raw), 'ftyp');
  const lone = path.join(h.tempDir('camrelay-llhls-'), 'part.mp4');
  fs.writeFileSync(lone, Buffer.concat([init.raw, bytes[0]]));
  const frames = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
    'stream=nb_read_frames', '-of', 'csv=p=0', lone], 20000);
  assert.equal(frames.code, 0, frames.stderr);
  assert.equal(Number(frames.stdout.trim()), Math.round(withParts.parts[0].duration * 30), 'frames decoded from one part');

  // Bad directives and names: clear errors, no waiting.
  let r = await d.get(`${PL}?_HLS_part=1`);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /_HLS_part: needs _HLS_msn/);
  r = await d.get(`${PL}?_HLS_msn=1&_HLS_part=x`);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /_HLS_part/);
  const t1 = Date.now();
  r = await d.get('/streams/cam/hls/part99999.0.m4s');
  assert.equal(r.status, 404);
  assert.ok(Date.now() - t1 < 1000, 'a part far ahead of the live edge is not waited for');
  assert.equal((await d.get('/streams/cam/hls/part1.m4s')).status, 400);
  assert.equal((await d.get('/streams/cam/hls/part1.1.m4s%2F..')).status, 400);

  // A player that knows nothing of parts: ffprobe reads the whole segments.
  const pr = await run('ffprobe', ['-v', 'error', '-of', 'json', '-show_streams', `http://127.0.0.1:${d.port}${PL}`], 30000);
  assert.equal(pr.code, 0, pr.stderr);
  const probe = JSON.parse(pr.stdout);
  const v = probe.streams.find((s) => s.codec_type === 'video');
  assert.equal(v.codec_name, 'h264');
  assert.deepEqual([v.width, v.height], [640, 360]);

  // hls.js (the viewer page's HLS mode) plays fmp4.m3u8 in low-latency mode, following the
  // playlist's PART-HOLD-BACK.
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/viewer?camera=cam&mode=hls'));
  const st = await waitFor(async () => page.evaluate(() => {
    const vid = document.getElementById('video');
    const p = window.camrelayViewer && window.camrelayViewer.player;
    if (!p || !p.hls || vid.currentTime < 2 || !vid.videoWidth) return null;
    const det = p.hls.latestLevelDetails;
    return { url: p.hls.url, w: vid.videoWidth, partTarget: det && det.partTarget, holdBack: det && det.partHoldBack,
      latency: p.hls.latency, target: p.hls.targetLatency, lowLatency: p.hls.lowLatencyMode };
  }), { timeoutMs: 30000, intervalMs: 200, message: 'hls.js plays the low-latency playlist' });
  t.diagnostic(`hls.js: ${JSON.stringify(st)}`);
  assert.match(st.url, /\/fmp4\.m3u8$/);
  assert.equal(st.w, 640);
  assert.ok(st.lowLatency);
  assert.ok(Math.abs(st.partTarget - target) < 1e-6, JSON.stringify(st));
  assert.ok(Math.abs(st.holdBack - 0.6) < 1e-6, JSON.stringify(st));
  assert.ok(Math.abs(st.target - 0.6) < 0.25, `hls.js aims at PART-HOLD-BACK: ${st.target}`);
  // Latency here is from the player's position to the playlist's end: the page's catch-up
  // (web/hls-player.js) brings it to PART-HOLD-BACK (0.6 s) after the start.
  const settled = await waitFor(async () => {
    const l = await page.evaluate(() => window.camrelayViewer.player.hls.latency);
    return l > 0 && l < 0.9 ? l : null;
  }, { timeoutMs: 20000, intervalMs: 250, message: 'hls.js settles under 0.9 s behind the live edge' });
  t.diagnostic(`hls.js latency ${settled.toFixed(2)} s`);
  await page.close();
}));
