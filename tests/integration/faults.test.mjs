// Faults at run time and at start, each without a restart by hand:
//   * SIGHUP reloads the configuration: added, removed and changed cameras are applied and
//     the other cameras (and their clients) are not touched; a broken file is refused.
//   * A full disk (a tiny tmpfs as the data directory, in a private mount namespace): the
//     database writes fail and are kept, /health says so, live video goes on; once space
//     returns the kept writes are applied (nothing lost) and /health is healthy again.
//   * A damaged or locked database at start: a clear message and exit status 2 (the
//     systemd unit does not restart-loop on it); a torn WAL after kill -9 is recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { withDaemons, waitFor, sleep, sqlite, writeConfig } from './lib/daemon.mjs';
import { mjpegClient } from './lib/rtsp_camera.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
const testCam = (id, extra = {}) => ({ id, auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 15, bitrate_kbps: 300 }, ...extra });

test('SIGHUP: added, removed and changed cameras are applied; the others and their clients are not touched', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [testCam('a'), testCam('b'), testCam('c', { auto_start: false })] } });
  const a0 = await waitFor(async () => { const s = await stream(d, 'a'); return s.state === 'active' ? s : null; },
    { timeoutMs: 8000, message: 'a active' });
  const b0 = await waitFor(async () => { const s = await stream(d, 'b'); return s.state === 'active' ? s : null; },
    { timeoutMs: 8000, message: 'b active' });
  const client = mjpegClient(d.port, '/streams/a/mjpeg', { keepBodies: 0 });
  t.after(() => client.close());
  await waitFor(() => client.parts.length >= 2, { timeoutMs: 10000, message: 'the MJPEG client on a gets pictures' });

  // The new file: a unchanged, b changed (size), c removed, d added (auto_start), order d first.
  const cfg = JSON.parse(fs.readFileSync(d.configPath, 'utf8'));
  const bNew = testCam('b');
  bNew.source.width = 480;
  bNew.source.height = 272;
  cfg.cameras = [testCam('d'), testCam('a'), bNew];
  fs.writeFileSync(d.configPath, JSON.stringify(cfg));
  const logAt = d.log.length;
  process.kill(d.pid, 'SIGHUP');
  await waitFor(() => /reload: cameras added: d; removed: c; changed: b; unchanged: 1/.test(d.log.slice(logAt)),
    { timeoutMs: 5000, message: 'the reload summary is logged' });

  const dUp = await waitFor(async () => { const s = await stream(d, 'd'); return s.state === 'active' ? s : null; },
    { timeoutMs: 8000, message: 'the added auto_start camera d is active' });
  assert.equal(dUp.stats.width, 320);
  assert.equal((await d.get('/streams/c')).status, 404, 'the removed camera is gone');
  const b1 = await waitFor(async () => {
    const s = await stream(d, 'b');
    return s.state === 'active' && s.stats.width === 480 ? s : null;
  }, { timeoutMs: 10000, message: 'b runs again with its new size' });
  assert.notEqual(b1.session_id, b0.session_id, 'b was restarted');
  // a: the same session, never stopped; its MJPEG client still gets pictures.
  const a1 = await stream(d, 'a');
  assert.equal(a1.session_id, a0.session_id);
  assert.equal(a1.state, 'active');
  const parts = client.parts.length;
  await waitFor(() => client.parts.length >= parts + 3, { timeoutMs: 10000, message: 'a\'s client goes on' });
  assert.equal(client.ended, false);
  assert.doesNotMatch(d.log.slice(logAt), /camera a: /, 'nothing happened to camera a');
  // The listing follows the new file's order; the seed-004 aliases follow the first camera.
  const cams = (await d.get('/cameras')).body.cameras.map((c) => c.id);
  assert.deepEqual(cams, ['d', 'a', 'b']);
  assert.equal((await d.get('/live/status')).body.camera_id, 'd');
  const rows = await sqlite(d.dbPath, "select id from cameras where id = 'd'");
  assert.equal(rows.length, 1, 'the added camera is recorded');

  // A broken file is refused with a reason; everything keeps running.
  fs.writeFileSync(d.configPath, '{"cameras": [');
  const at2 = d.log.length;
  process.kill(d.pid, 'SIGHUP');
  await waitFor(() => /reload failed, keeping the running configuration/.test(d.log.slice(at2)),
    { timeoutMs: 5000, message: 'a broken file is refused' });
  for (const id of ['a', 'b', 'd']) assert.equal((await stream(d, id)).state, 'active', id);
  assert.equal((await d.get('/health')).status, 200);
}));

test('disk full: database writes are kept and applied when space returns, /health says so, live video goes on', withDaemons(async (t, h) => {
  const dir = h.tempDir();
  const dbDir = path.join(dir, 'db');
  fs.mkdirSync(dbDir);
  // The daemon runs in its own mount namespace on a 4 MB tmpfs: nothing to unmount afterwards.
  const d = await h.start({
    dataDir: dir,
    dataDirArg: dbDir,
    wrap: ['unshare', '-m', 'sh', '-c', `mount -t tmpfs -o size=4m tmpfs '${dbDir}' && exec "$@"`, 'sh'],
    config: { hls: { always: false }, cameras: [testCam('live'), testCam('other', { auto_start: false })] },
  });
  const ns = (cmd) => execFileSync('nsenter', [`--mount=/proc/${d.pid}/ns/mnt`, '--', 'sh', '-c', cmd], { encoding: 'utf8' });
  const nsSql = (sql) => JSON.parse(ns(`sqlite3 -json -cmd '.timeout 3000' '${dbDir}/camrelay.db' "${sql}"`).trim() || '[]');
  await waitFor(async () => (await stream(d, 'live')).state === 'active', { timeoutMs: 8000, message: 'live active' });
  assert.match(ns(`df -k '${dbDir}' | tail -1`), /tmpfs/);

  // Fill the disk.
  ns(`dd if=/dev/zero of='${dbDir}/fill' bs=64k 2>/dev/null || true`);
  assert.match(ns(`df -k '${dbDir}' | tail -1`), /\s100%\s/);
  // Writes while full: sessions of a camera started and stopped several times.
  const sessions = [];
  for (let i = 0; i < 3; ++i) {
    const r = await d.post('/streams/other/start');
    assert.equal(r.status, 202, JSON.stringify(r.body));
    sessions.push(r.body.session_id);
    await waitFor(async () => (await stream(d, 'other')).state === 'active', { timeoutMs: 8000, message: 'other active' });
    assert.equal((await d.post('/streams/other/stop')).status, 200);
  }
  const degraded = await waitFor(async () => {
    const hb = (await d.get('/health')).body;
    return hb.subsystems.database !== 'ok' ? hb : null;
  }, { timeoutMs: 5000, message: '/health reports the database problem' });
  console.log(`while full: /health ${degraded.status}, database "${degraded.subsystems.database}"`);
  assert.equal(degraded.status, 'degraded');
  assert.match(degraded.subsystems.database, /full/i);
  assert.match(degraded.subsystems.database, /waiting to be retried/);
  assert.match(d.log, /keeping the write for later; live streaming is not affected/);
  // Live video is not disturbed.
  const f0 = (await stream(d, 'live')).stats.frames;
  await sleep(1500);
  assert.ok((await stream(d, 'live')).stats.frames > f0 + 10, 'live frames keep flowing');
  assert.equal((await stream(d, 'live')).state, 'active');

  // Space returns: the kept writes are applied in order, /health is healthy again.
  ns(`rm -f '${dbDir}/fill'`);
  await waitFor(async () => (await d.get('/health')).body.subsystems.database === 'ok',
    { timeoutMs: 10000, message: 'the database is ok again' });
  assert.match(d.log, /takes writes again: \d+ delayed write\(s\) applied/);
  const rows = nsSql(`select session_id, status from stream_sessions where camera_id = 'other' order by created_at`);
  for (const s of sessions) {
    const row = rows.find((r) => r.session_id === s);
    assert.ok(row, `session ${s} written after all (${JSON.stringify(rows)})`);
    assert.equal(row.status, 'stopped', `session ${s} has its last state`);
  }
  assert.equal((await d.get('/health')).body.status, 'healthy');
}));

test('damaged or locked database at start: a clear message and exit status 2; a torn WAL is recovered', withDaemons(async (t, h) => {
  // Damaged: not a database.
  const bad = h.tempDir();
  fs.writeFileSync(path.join(bad, 'camrelay.db'), Buffer.alloc(8192, 0x5a));
  const d1 = await h.spawn({ dataDir: bad, config: { cameras: [] } });
  const r1 = await d1.exited;
  assert.equal(r1.code, 2, d1.log);
  assert.match(d1.log, /camrelay\.db is damaged \(.*not a database.*\)\. Move it aside/);

  // Locked: another process holds an exclusive lock.
  const locked = h.tempDir();
  const db = path.join(locked, 'camrelay.db');
  execFileSync('sqlite3', [db, 'PRAGMA journal_mode=WAL; CREATE TABLE x(a);']);
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'ignore', 'ignore'] });
  t.after(() => { try { holder.kill('SIGKILL'); } catch { /* gone */ } });
  holder.stdin.write('PRAGMA locking_mode=EXCLUSIVE;\nBEGIN EXCLUSIVE;\nINSERT INTO x VALUES (1);\n');
  await sleep(300);
  const d2 = await h.spawn({ dataDir: locked, config: { cameras: [] } });
  const r2 = await d2.exited;
  assert.equal(r2.code, 2, d2.log);
  assert.match(d2.log, /is locked by another process .*: is another camrelay running with the same data directory\?/);
  holder.kill('SIGKILL');

  // kill -9 mid-stream, then a torn write at the end of the WAL: SQLite recovers the
  // committed frames and ignores the torn one; the daemon starts and closes the old session.
  const dir = h.tempDir();
  const d3 = await h.start({ dataDir: dir, config: { cameras: [testCam('cam')] } });
  const s3 = await waitFor(async () => { const s = await stream(d3, 'cam'); return s.state === 'active' ? s : null; },
    { timeoutMs: 8000, message: 'cam active' });
  await d3.kill9();
  const wal = path.join(dir, 'camrelay.db-wal');
  assert.ok(fs.existsSync(wal), 'a WAL is left by the killed daemon');
  fs.appendFileSync(wal, Buffer.alloc(3000, 0xa5));
  const d4 = await h.start({ dataDir: dir, config: { cameras: [testCam('cam')] } });
  assert.equal((await d4.get('/health')).body.subsystems.database, 'ok');
  const rows = await sqlite(d4.dbPath, `select status, ended_at from stream_sessions where session_id = '${s3.session_id}'`);
  assert.equal(rows.length, 1, 'the committed session survived');
  assert.ok(rows[0].ended_at > 0, 'and was closed at the next start');
}));
