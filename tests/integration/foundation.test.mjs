// Foundation: the demo test-pattern stream, the REST API, the session store, restarts,
// error handling, static files, graceful shutdown and configuration errors.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';

import { withDaemons, waitFor, sqlite, cleanupAll, SLOW } from './lib/daemon.mjs';

after(cleanupAll);

const getStream = async (d, id = 'demo') => {
  const r = await d.get(`/streams/${id}`);
  assert.equal(r.status, 200, `GET /streams/${id}: ${r.text}`);
  return r.body;
};

const waitState = (d, state, timeoutMs = 5000, id = 'demo') =>
  waitFor(async () => {
    const s = await getStream(d, id);
    return s.state === state ? s : false;
  }, { timeoutMs, intervalMs: 50, message: `stream ${id} state "${state}"` });

const sessionRow = async (d, sessionId) => {
  const rows = await sqlite(d.dbPath,
    `select * from stream_sessions where session_id = '${sessionId.replace(/'/g, "''")}'`);
  return rows[0];
};

// Waits for the store (written asynchronously) to show the session with `status`.
const waitSessionStatus = (d, sessionId, status, timeoutMs = 3000) =>
  waitFor(async () => {
    const row = await sessionRow(d, sessionId);
    return row && row.status === status ? row : false;
  }, { timeoutMs, intervalMs: 50, message: `stream_sessions ${sessionId} status '${status}'` });

function assertErrorEnvelope(r, status, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.match(r.headers['content-type'] || '', /application\/json/);
  assert.equal(typeof r.body, 'object', `body is not JSON: ${r.text}`);
  assert.ok(r.body.error, `no "error" in ${r.text}`);
  assert.equal(typeof r.body.error.code, 'string');
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 0);
  if (code) assert.equal(r.body.error.code, code);
}

async function assertHealthy(d, what) {
  const r = await d.get('/health');
  assert.equal(r.status, 200, `/health after ${what}: ${r.status} ${r.text}`);
  assert.ok(d.running, `daemon exited after ${what}`);
}

test('demo auto-starts, produces 1280x720 frames and /health reports it', withDaemons(async (t, h) => {
  const d = await h.start();
  const healthAt = Date.now();

  const active = await waitState(d, 'active', 2000);
  assert.ok(Date.now() - healthAt <= 2500 * SLOW, `active ${Date.now() - healthAt} ms after /health answered`);
  assert.equal(active.camera_id, 'demo');
  assert.equal(active.status, 'active');
  assert.equal(active.active, true);
  assert.equal(active.auto_start, true);
  assert.equal(active.source_type, 'test');
  assert.match(active.session_id, /^ss_/);
  assert.equal(active.error, null);

  // Frames keep coming.
  const f0 = active.stats.frames;
  await waitFor(async () => (await getStream(d)).stats.frames >= f0 + 10,
    { timeoutMs: 1500, message: `stats.frames growing from ${f0}` });

  // After ~2 s of running the encoder statistics settle.
  const settled = await waitFor(async () => {
    const s = await getStream(d);
    return s.uptime_s >= 2 ? s : false;
  }, { timeoutMs: 5000, message: 'uptime_s >= 2' });
  assert.equal(settled.state, 'active');
  assert.equal(settled.stats.width, 1280);
  assert.equal(settled.stats.height, 720);
  assert.ok(settled.stats.bitrate_kbps >= 500 && settled.stats.bitrate_kbps <= 5000,
    `bitrate_kbps ${settled.stats.bitrate_kbps}`);
  assert.ok(settled.stats.frames > 30, `frames ${settled.stats.frames} after 2 s`);
  assert.ok(settled.stats.keyframes >= 1, `keyframes ${settled.stats.keyframes}`);
  assert.ok(settled.stats.bytes > 0);

  const hr = await d.get('/health');
  assert.equal(hr.status, 200);
  const hb = hr.body;
  assert.equal(hb.status, 'healthy', hr.text);
  assert.equal(hb.active_streams, 1);
  assert.equal(hb.total_viewers, 0);
  assert.equal(typeof hb.uptime_s, 'number');
  assert.ok(hb.uptime_s >= 2, `uptime_s ${hb.uptime_s}`);
  assert.equal(typeof hb.version, 'string');
  assert.match(hb.version, /^\d+\.\d+\.\d+/);
  assert.equal(typeof hb.subsystems, 'object');
  assert.match(hb.subsystems.gstreamer, /^ok/);
  assert.equal(hb.subsystems.database, 'ok');
  assert.equal(typeof hb.subsystems.mqtt, 'string');
  assert.equal(hb.subsystems.mqtt, 'disabled');

  // Listing endpoints agree.
  const list = await d.get('/streams');
  assert.equal(list.status, 200);
  assert.equal(list.body.count, 1);
  assert.equal(list.body.streams[0].camera_id, 'demo');
  const cams = await d.get('/cameras');
  assert.equal(cams.status, 200);
  assert.equal(cams.body.count, 1);
  assert.equal(cams.body.cameras[0].id, 'demo');
  assert.equal(cams.body.cameras[0].state, 'active');
  assert.equal(cams.body.cameras[0].auto_start, true);

  // The session and camera are in the database.
  const row = await waitSessionStatus(d, active.session_id, 'active');
  assert.equal(row.camera_id, 'demo');
  assert.equal(row.ended_at, null);
  const camRows = await sqlite(d.dbPath, 'select id, source_type from cameras');
  assert.deepEqual(camRows, [{ id: 'demo', source_type: 'test' }]);
}));

test('stop, idempotent stop, start with bandwidth, idempotent start, aliases', withDaemons(async (t, h) => {
  const d = await h.start();
  const first = await waitState(d, 'active', 3000);

  // Stop.
  const stop = await d.post('/streams/demo/stop');
  assert.equal(stop.status, 200, stop.text);
  assert.equal(stop.body.state, 'stopped');
  assert.equal(stop.body.active, false);
  assert.equal(stop.body.session_id, first.session_id);
  assert.equal(typeof stop.body.stopped_at, 'number');
  assert.equal((await getStream(d)).state, 'stopped');

  const row = await waitSessionStatus(d, first.session_id, 'stopped');
  assert.notEqual(row.ended_at, null);
  assert.ok(row.created_at <= row.ended_at, `created_at ${row.created_at} > ended_at ${row.ended_at}`);
  assert.equal(row.error_message, null);

  const health = await d.get('/health');
  assert.equal(health.body.active_streams, 0);

  // Second stop: still 200, still stopped, nothing changed.
  const stop2 = await d.post('/streams/demo/stop');
  assert.equal(stop2.status, 200, stop2.text);
  assert.equal(stop2.body.state, 'stopped');
  assert.equal('changed' in stop2.body, false);
  assert.equal(stop2.body.session_id, first.session_id);

  // Start with a bandwidth range.
  const start = await d.post('/streams/demo/start', { max_bandwidth: 3000, min_bandwidth: 600 });
  assert.equal(start.status, 202, start.text);
  assert.ok(['starting', 'active'].includes(start.body.state), start.body.state);
  assert.deepEqual(start.body.bandwidth, { min_kbps: 600, max_kbps: 3000 });
  assert.notEqual(start.body.session_id, first.session_id);
  const second = await waitState(d, 'active', 3000);
  assert.deepEqual(second.bandwidth, { min_kbps: 600, max_kbps: 3000 });
  assert.equal(second.session_id, start.body.session_id);
  const row2 = await waitSessionStatus(d, second.session_id, 'active');
  assert.equal(row2.min_kbps, 600);
  assert.equal(row2.max_kbps, 3000);

  // Second start: already running → 200 with the same session.
  const start2 = await d.post('/streams/demo/start');
  assert.equal(start2.status, 200, start2.text);
  assert.equal(start2.body.state, 'active');
  assert.equal(start2.body.session_id, second.session_id);
  assert.deepEqual(start2.body.bandwidth, { min_kbps: 600, max_kbps: 3000 });

  // Aliases.
  const st = await d.get('/api/stream/status/demo');
  assert.equal(st.status, 200);
  assert.equal(st.body.camera_id, 'demo');
  assert.equal(st.body.state, 'active');
  assert.equal(st.body.status, 'active');
  const act = await d.get('/api/stream/active');
  assert.equal(act.status, 200);
  assert.ok(act.body.streams.some((s) => s.camera_id === 'demo'), act.text);
  assert.equal(act.body.count, act.body.streams.length);

  const aliasStop = await d.post('/api/stream/stop/demo');
  assert.equal(aliasStop.status, 200, aliasStop.text);
  assert.equal(aliasStop.body.state, 'stopped');
  const act2 = await d.get('/api/stream/active');
  assert.equal(act2.body.count, 0);
  assert.deepEqual(act2.body.streams, []);
  await waitSessionStatus(d, second.session_id, 'stopped');

  const aliasStart = await d.post('/api/stream/start/demo');
  assert.equal(aliasStart.status, 202, aliasStart.text);
  const third = await waitState(d, 'active', 3000);
  // Without a body the camera's configured bandwidth applies again.
  assert.deepEqual(third.bandwidth, { min_kbps: 500, max_kbps: 5000 });

  // Bad bandwidth values are refused without touching the running stream.
  const bad = await d.post('/streams/demo/start', { max_bandwidth: 'fast' });
  assertErrorEnvelope(bad, 400, 'invalid_argument');
  const unknownField = await d.post('/streams/demo/start', { bandwidth: 1 });
  assertErrorEnvelope(unknownField, 400, 'invalid_argument');

  const sessions = await sqlite(d.dbPath, "select status from stream_sessions order by created_at, rowid");
  assert.equal(sessions.length, 3);
}));

test('kill -9 then restart on the same data dir closes the stale session', withDaemons(async (t, h) => {
  const d1 = await h.start({ name: 'before-kill' });
  const s1 = await waitState(d1, 'active', 3000);
  await waitSessionStatus(d1, s1.session_id, 'active');
  const killed = await d1.kill9();
  assert.equal(killed.signal, 'SIGKILL');

  const d2 = await h.start({ name: 'after-restart', dataDir: d1.dataDir });
  const old = await waitFor(async () => {
    const r = await sessionRow(d2, s1.session_id);
    return r && r.status === 'error' ? r : false;
  }, { timeoutMs: 3000, message: 'old session closed as error' });
  assert.equal(old.error_message, 'daemon restarted');
  assert.notEqual(old.ended_at, null);
  assert.ok(old.ended_at >= old.created_at);

  const s2 = await waitState(d2, 'active', 3000);
  assert.notEqual(s2.session_id, s1.session_id);
  const fresh = await waitSessionStatus(d2, s2.session_id, 'active');
  assert.equal(fresh.ended_at, null);
  assert.equal(fresh.error_message, null);

  const open = await sqlite(d2.dbPath,
    "select session_id from stream_sessions where status in ('starting','active')");
  assert.deepEqual(open, [{ session_id: s2.session_id }]);
}));

test('error handling: 404/400/405/413, path tricks, garbage; the daemon keeps serving', withDaemons(async (t, h) => {
  const d = await h.start();
  await waitState(d, 'active', 3000);

  // Unknown camera.
  for (const [method, target] of [['GET', '/streams/nope'], ['POST', '/streams/nope/start'],
    ['POST', '/streams/nope/stop'], ['GET', '/api/stream/status/nope'],
    ['POST', '/api/stream/start/nope']]) {
    const r = await d.request(method, target);
    assertErrorEnvelope(r, 404, 'not_found');
    assert.equal(r.headers['access-control-allow-origin'], '*');
    await assertHealthy(d, `${method} ${target}`);
  }
  const unknownEndpoint = await d.get('/no/such/endpoint/here/at/all');
  assertErrorEnvelope(unknownEndpoint, 404, 'not_found');

  // Malformed JSON and non-object bodies.
  for (const body of ['{"max_bandwidth": ', 'not json', '[1,2]', '42']) {
    const r = await d.post('/streams/demo/start', body, { headers: { 'Content-Type': 'application/json' } });
    assertErrorEnvelope(r, 400, 'invalid_argument');
    await assertHealthy(d, `malformed body ${JSON.stringify(body)}`);
  }

  // A body over 64 KiB (body_limit_bytes 65536): 413 with the error envelope.
  const big = JSON.stringify({ max_bandwidth: 1000, pad: 'x'.repeat(70 * 1024) });
  const rawBig = await d.raw(
    `POST /streams/demo/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(big)}\r\n\r\n${big}`);
  assert.match(rawBig.data, /^HTTP\/1\.1 413 /, `raw response: ${rawBig.data.slice(0, 300)}`);
  assert.match(rawBig.data, /"error"/);
  assert.match(rawBig.data, /payload_too_large/);
  await assertHealthy(d, '70 KiB body');
  // The same through a regular client, body sent with Content-Length.
  try {
    const r = await d.post('/streams/demo/start', big, { headers: { 'Content-Type': 'application/json' } });
    assertErrorEnvelope(r, 413, 'payload_too_large');
  } catch (e) {
    // The server may close before the client finished writing the body: acceptable.
    assert.match(e.code || e.message, /ECONNRESET|EPIPE/);
  }
  await assertHealthy(d, '70 KiB body via http client');
  // Chunked: the limit applies without Content-Length too.
  const chunk = 'y'.repeat(16 * 1024);
  let chunked = 'POST /streams/demo/start HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (let i = 0; i < 5; ++i) chunked += `${(chunk.length).toString(16)}\r\n${chunk}\r\n`;
  chunked += '0\r\n\r\n';
  const rawChunked = await d.raw(chunked);
  assert.match(rawChunked.data, /^HTTP\/1\.1 413 /, `chunked: ${rawChunked.data.slice(0, 200)}`);
  await assertHealthy(d, '80 KiB chunked body');

  // Wrong method.
  const del = await d.request('DELETE', '/streams');
  assertErrorEnvelope(del, 405, 'method_not_allowed');
  assert.ok(del.headers.allow, 'no Allow header');
  assert.match(del.headers.allow, /GET/);
  const postHealth = await d.post('/health');
  assertErrorEnvelope(postHealth, 405, 'method_not_allowed');
  assert.equal(postHealth.headers.allow, 'GET');
  const putStop = await d.request('PUT', '/streams/demo/stop');
  assertErrorEnvelope(putStop, 405, 'method_not_allowed');
  // The static catch-all route /{p0}/{p1}/{p2} also matches, so GET may be listed too.
  assert.match(putStop.headers.allow, /\bPOST\b/);
  // GET on a POST-only endpoint falls through to the static-file catch-all routes
  // (/{p0}/{p1}/{p2}), so it is a 404 "no such file" rather than a 405; either way no 2xx.
  const getStart = await d.get('/streams/demo/start');
  assert.ok(getStart.status === 404 || getStart.status === 405, getStart.text);
  assertErrorEnvelope(getStart, getStart.status);
  await assertHealthy(d, 'DELETE /streams');

  // Path tricks: never file contents.
  for (const target of ['/..%2F..%2Fetc%2Fpasswd', '/%2e%2e/%2e%2e/etc/passwd',
    '/../../etc/passwd', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/..%5c..%5cetc%5cpasswd',
    '/index.html%00.png', '/%', '/%zz', '/.git/config', '/%2Fetc%2Fpasswd',
    '/js/..%2F..%2F..%2Fetc%2Fpasswd']) {
    const r = await d.get(target);
    assert.ok(r.status === 400 || r.status === 404, `${target}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.doesNotMatch(r.text, /root:/, `${target} leaked /etc/passwd`);
    assertErrorEnvelope(r, r.status);
    await assertHealthy(d, target);
  }

  // An invalid camera id (70 characters).
  const longId = 'a'.repeat(70);
  assertErrorEnvelope(await d.get(`/streams/${longId}`), 404, 'not_found');
  assertErrorEnvelope(await d.post(`/streams/${longId}/start`), 404, 'not_found');
  assertErrorEnvelope(await d.get('/streams/bad%20id!'), 404, 'not_found');
  await assertHealthy(d, 'long camera id');

  // Garbage on a raw socket: a 400 response or a close, never a hang.
  for (const garbage of ['NOT HTTP\r\n\r\n', '\x00\x01\x02\x03\r\n\r\n',
    'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n\r\n`]) {
    const r = await d.raw(garbage, { timeoutMs: 5000 });
    assert.equal(r.timedOut, false, `no answer and no close for ${JSON.stringify(garbage.slice(0, 30))}`);
    assert.ok(r.data === '' || /^HTTP\/1\.[01] (400|413|414|431) /.test(r.data),
      `garbage ${JSON.stringify(garbage.slice(0, 30))} → ${JSON.stringify(r.data.slice(0, 200))}`);
    await assertHealthy(d, `garbage ${JSON.stringify(garbage.slice(0, 30))}`);
  }
  // A client that connects and closes at once.
  const early = await d.raw('', { endAfterWrite: true, timeoutMs: 3000 });
  assert.equal(early.timedOut, false);
  await assertHealthy(d, 'empty connection');

  // The stream was not disturbed by any of this.
  assert.equal((await getStream(d)).state, 'active');
}));

test('static files: / serves the web UI', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [] } });
  const r = await d.get('/');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/html/);
  assert.match(r.text, /camrelay/i);
  assert.match(r.text, /<html/i);
  const css = await d.get('/style.css');
  assert.equal(css.status, 200);
  assert.match(css.headers['content-type'], /^text\/css/);
  const js = await d.get('/dashboard/main.js');
  assert.equal(js.status, 200);
  assert.match(js.headers['content-type'], /^text\/javascript/);
  const missing = await d.get('/missing-file.html');
  assertErrorEnvelope(missing, 404, 'not_found');
  // With no cameras configured the API still works.
  const list = await d.get('/streams');
  assert.deepEqual(list.body, { streams: [], count: 0 });
  const health = await d.get('/health');
  assert.equal(health.body.active_streams, 0);
}));

test('static files: HEAD answers with the file\'s Content-Length and no body', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [] } });
  const full = await d.get('/');
  assert.equal(full.status, 200);
  const head = await d.request('HEAD', '/');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.match(head.headers['content-type'], /^text\/html/);
  // BUG (daemon): StaticFiles::serve already clears the body for HEAD and sets Content-Length
  // to the file size, then Server::dispatch clears it again and overwrites Content-Length with
  // the (now empty) body size, so HEAD / answers "Content-Length: 0" instead of the file size.
  assert.equal(Number(head.headers['content-length']), Buffer.byteLength(full.text),
    'HEAD / Content-Length must equal the GET body length');
  // HEAD on a JSON endpoint (not served by StaticFiles) is correct.
  const hh = await d.request('HEAD', '/health');
  assert.equal(hh.status, 200);
  assert.equal(hh.text, '');
  assert.ok(Number(hh.headers['content-length']) > 0);
}));

test('SIGTERM stops gracefully: exit 0 within 5 s and the session is closed', withDaemons(async (t, h) => {
  const d = await h.start();
  const s = await waitState(d, 'active', 3000);
  await waitSessionStatus(d, s.session_id, 'active');
  // Let the daemon settle (its start-up background work done) before the signal; SIGTERM
  // right after start-up is covered by the next test.
  await waitFor(async () => (await getStream(d)).uptime_s >= 1, { timeoutMs: 5000, message: 'uptime_s >= 1' });
  const res = await d.stop({ timeoutMs: 5000 });
  assert.equal(res.killed, false, `did not exit within 5 s after SIGTERM`);
  assert.equal(res.signal, null);
  assert.equal(res.code, 0);
  assert.ok(res.elapsedMs < 5000, `took ${res.elapsedMs} ms`);
  // The process is gone: the final state is on disk (no waiting needed).
  const row = await sessionRow(d, s.session_id);
  assert.equal(row.status, 'stopped');
  assert.notEqual(row.ended_at, null);
  assert.ok(row.created_at <= row.ended_at);
  assert.equal(row.error_message, null);
  await assert.rejects(d.get('/health', { timeoutMs: 1000 }));
}));

test('SIGTERM right after start-up also exits 0 (3 rounds of 4 daemons)', withDaemons(async (t, h) => {
  // BUG (daemon, intermittent): main() calls media::warm_up_webrtc(), which makes a webrtcbin
  // generate its DTLS certificate on a GStreamer thread (~300 ms). A SIGTERM before that has
  // finished lets main() return while that thread still uses OpenSSL; exit()'s OPENSSL_cleanup
  // then races with it and the process dies with SIGSEGV (RAND_priv_bytes_ex → NULL rwlock)
  // instead of exiting 0. Several daemons at once, for up to 3 rounds, make the window likely.
  for (let round = 1; round <= 3; ++round) {
    const daemons = await Promise.all([1, 2, 3, 4].map((i) => h.start({ name: `early-term-${round}.${i}` })));
    const results = await Promise.all(daemons.map((d) => d.stop({ timeoutMs: 5000 })));
    const summary = results.map((r, i) => `${daemons[i].name}: code ${r.code} signal ${r.signal}`).join('; ');
    for (const r of results) {
      assert.equal(r.killed, false, summary);
      assert.equal(r.signal, null, summary);
      assert.equal(r.code, 0, summary);
    }
  }
}));

test('configuration errors: invalid camera id → exit 2 naming cameras[0].id', withDaemons(async (t, h) => {
  const d = await h.spawn({
    config: { cameras: [{ id: 'bad id!', name: 'Bad', auto_start: true, source: { type: 'test' } }] },
  });
  const res = await d.waitExit(5000);
  assert.equal(res.signal, null);
  assert.equal(res.code, 2, `exit code ${res.code}; stderr: ${d.stderr}`);
  assert.match(d.stderr, /cameras\[0\]\.id/);
  assert.equal(d.stdout.includes('listening'), false);

  // Malformed JSON in the config file is a configuration error too.
  const d2 = await h.spawn({ rawConfig: '{"cameras": [' });
  const res2 = await d2.waitExit(5000);
  assert.equal(res2.code, 2, `exit code ${res2.code}; stderr: ${d2.stderr}`);
  assert.match(d2.stderr, /configuration error/);
}));

