// Every reader kind counts (service/reader.hpp): MJPEG and HLS clients appear in GET /viewers
// with their protocol, in the stream's viewer counts, in /health, in the viewer limits and
// in viewer_sessions; they leave when their connection closes (MJPEG), when they stop
// fetching (HLS), or when the stream stops. Clients: Node's HTTP client (MJPEG multipart
// parser) and plain playlist/segment GETs as an HLS player makes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, sqlite } from './lib/daemon.mjs';
import { mjpegClient } from './lib/rtsp_camera.mjs';

const viewers = async (d) => (await d.get('/viewers')).body.viewers;
const byKind = async (d, kind) => (await viewers(d)).filter((v) => v.kind === kind);

async function hlsFetch(d, ua, { segment = true } = {}) {
  const pl = await d.get('/streams/demo/hls/index.m3u8', { headers: { 'User-Agent': ua }, timeoutMs: 15000 });
  if (pl.status !== 200 || !segment) return pl;
  const seg = pl.text.split('\n').filter((l) => /^segment\d+\.ts/.test(l)).pop();
  return d.get(`/streams/demo/hls/${seg}`, { headers: { 'User-Agent': ua }, timeoutMs: 15000 });
}

test('MJPEG and HLS clients are readers: listed, counted, limited, recorded', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      webrtc: { max_viewers_per_stream: 2, max_viewers_total: 10 },
      hls: { target_duration_s: 1 },
      cameras: [{ id: 'demo', source: { type: 'test' }, auto_start: true }],
    },
  });
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', { timeoutMs: 15000 });

  // An MJPEG client: listed while it reads, with what it was sent.
  const mj = mjpegClient(d.port, '/streams/demo/mjpeg', { keepBodies: 0 });
  await mj.ready;
  assert.equal(mj.status, 200);
  t.after(() => mj.close());
  await waitFor(() => mj.parts.length >= 3, { timeoutMs: 15000, message: 'MJPEG pictures' });
  let [m] = await byKind(d, 'mjpeg');
  assert.ok(m, 'the MJPEG client is in /viewers');
  assert.equal(m.protocol, 'mjpeg');
  assert.equal(m.camera_id, 'demo');
  assert.equal(m.state, 'connected');
  assert.equal(m.ip_address, '127.0.0.1');
  assert.deepEqual(m.video, { codec: 'JPEG', mode: 'transcoded' });
  await waitFor(async () => ((await byKind(d, 'mjpeg'))[0].stats.frames_sent >= 3), { timeoutMs: 5000 });
  m = (await byKind(d, 'mjpeg'))[0];
  assert.ok(m.stats.bytes_sent > 1000, JSON.stringify(m.stats));

  // An HLS player: joins with its first request.
  const r = await hlsFetch(d, 'player-A');
  assert.equal(r.status, 200);
  const [hA] = await byKind(d, 'hls');
  assert.ok(hA, 'the HLS client is in /viewers');
  assert.equal(hA.protocol, 'hls');
  assert.equal(hA.user_agent, 'player-A');
  assert.equal(hA.stats.segments_sent, 1);
  assert.ok(hA.stats.requests >= 2 && hA.stats.bytes_sent > 1000, JSON.stringify(hA.stats));
  assert.equal(hA.stats.segments_missed, 0);
  // Its next requests are the same reader.
  assert.equal((await hlsFetch(d, 'player-A', { segment: false })).status, 200);
  assert.equal((await byKind(d, 'hls')).length, 1);
  // A player asks for a segment that is not (or no longer) on disk: 404, counted as missed.
  const missing = await d.get('/streams/demo/hls/segment999999999.ts', { headers: { 'User-Agent': 'player-A' } });
  assert.equal(missing.status, 404);
  assert.equal((await byKind(d, 'hls'))[0].stats.segments_missed, 1);

  const s = (await d.get('/streams/demo')).body;
  assert.equal(s.viewers, 2);
  assert.deepEqual(s.viewers_by_protocol, { webrtc: 0, hls: 1, mjpeg: 1, rtsp: 0, composite: 0 });
  assert.equal((await d.get('/health')).body.total_viewers, 2);

  // The per-camera limit (2) holds for every kind.
  const refusedHls = await hlsFetch(d, 'player-B', { segment: false });
  assert.equal(refusedHls.status, 503);
  assert.equal(refusedHls.body.error.code, 'limit_reached');
  const refusedMjpeg = mjpegClient(d.port, '/streams/demo/mjpeg', { keepBodies: 0 });
  await refusedMjpeg.ready;
  assert.equal(refusedMjpeg.status, 503);
  refusedMjpeg.close();
  const refusedWhep = await d.post('/streams/demo/whep', 'v=0\r\n', { headers: { 'Content-Type': 'application/sdp' } });
  assert.equal(refusedWhep.status, 503, refusedWhep.text);

  // The MJPEG client leaves: gone from the list, its row closed.
  const mjId = m.viewer_id;
  mj.close();
  await waitFor(async () => (await byKind(d, 'mjpeg')).length === 0, { timeoutMs: 5000, message: 'MJPEG reader gone' });
  await waitFor(async () => {
    const rows = await sqlite(d.dbPath, `SELECT kind, disconnected_at, close_reason FROM viewer_sessions WHERE viewer_id='${mjId}'`);
    return rows.length === 1 && rows[0].disconnected_at && rows[0].kind === 'mjpeg' && rows[0].close_reason === 'client left';
  }, { timeoutMs: 5000, message: 'MJPEG viewer row closed' });

  // The HLS player stops fetching: it leaves after 10 s (max(10 s, 6 target durations)).
  const t0 = Date.now();
  await waitFor(async () => (await byKind(d, 'hls')).length === 0, { timeoutMs: 20000, intervalMs: 250, message: 'HLS reader gone' });
  const idleMs = Date.now() - t0;
  assert.ok(idleMs >= 8000, `HLS reader left after ${idleMs} ms (expected ~10 s)`);
  const hRows = await sqlite(d.dbPath, `SELECT kind, close_reason FROM viewer_sessions WHERE viewer_id='${hA.viewer_id}'`);
  assert.deepEqual(hRows, [{ kind: 'hls', close_reason: 'no HLS request for 10 s' }]);
}));

test('stopping a stream ends its MJPEG and HLS readers', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [{ id: 'demo', source: { type: 'test' }, auto_start: false }] } });
  // MJPEG starts a stopped camera on demand.
  const mj = mjpegClient(d.port, '/streams/demo/mjpeg', { keepBodies: 0 });
  await mj.ready;
  t.after(() => mj.close());
  assert.equal(mj.status, 200);
  await waitFor(() => mj.parts.length >= 1, { timeoutMs: 15000, message: 'first MJPEG picture' });
  assert.equal((await hlsFetch(d, 'player-C')).status, 200);
  assert.equal((await viewers(d)).length, 2);

  assert.equal((await d.post('/streams/demo/stop')).status, 200);
  await waitFor(() => mj.ended, { timeoutMs: 5000, message: 'the MJPEG response ends' });
  assert.equal((await viewers(d)).length, 0);
  const rows = await sqlite(d.dbPath, 'SELECT kind, close_reason FROM viewer_sessions ORDER BY kind');
  assert.deepEqual(rows, [{ kind: 'hls', close_reason: 'stream stopped' }, { kind: 'mjpeg', close_reason: 'stream stopped' }]);
}));
