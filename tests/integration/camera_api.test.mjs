// Cameras managed through the REST API (docs/cameras.md "Cameras through the API"), against
// the real daemon with real clients (HTTP, ffprobe, an RTSP camera with basic auth):
//   * POST /cameras adds a camera that streams (HLS read by ffprobe, the seed-003 routes);
//     it is stored in SQLite with its password sealed, and is back after a restart;
//   * GET shows passwords as ***; a PUT that sends *** back keeps the stored password (the
//     RTSP camera still lets us in); a PUT restarts that camera only;
//   * DELETE stops and forgets it, and with ?recordings=delete its files (checked: keep|delete); the configuration
//     file's cameras refuse PUT and DELETE (409);
//   * bad bodies get the configuration loader's own messages;
//   * SIGHUP: a file camera taking an API camera's id wins; the API camera is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { withDaemons, waitFor, sqlite } from './lib/daemon.mjs';
import { startRtspCamera, rtspServerBin } from './lib/rtsp_camera.mjs';

const small = (id, extra = {}) => ({
  id, auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 10, overlay_clock: false }, ...extra,
});
const put = (d, target, body) => d.request('PUT', target, { body, timeoutMs: 15000 });
const del = (d, target) => d.request('DELETE', target, { timeoutMs: 15000 });
const post = (d, target, body) => d.post(target, body, { timeoutMs: 15000 });
const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
const flowing = (d, id, minFrames = 1) => waitFor(async () => {
  const s = await stream(d, id);
  return s.state === 'active' && s.stats.frames >= minFrames ? s : null;
}, { timeoutMs: 20000, message: `${id} delivers frames` });

function ffprobe(url) {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url],
      { timeout: 30000 }, (err, stdout, stderr) => (err ? reject(new Error(`ffprobe ${url}: ${stderr || err.message}`))
        : resolve(JSON.parse(stdout).streams)));
  });
}

function haveRtspServer() {
  try {
    rtspServerBin();
    return true;
  } catch {
    return false;
  }
}

test('an API camera streams, survives a restart, restarts alone when replaced, and goes when deleted', withDaemons(async (t, h) => {
  let d = await h.start({ config: { cameras: [small('file1')] } });
  await flowing(d, 'file1');

  const made = await post(d, '/cameras', small('cam2', { name: 'Garage' }));
  assert.equal(made.status, 201, made.text);
  assert.equal(made.headers.location, '/cameras/cam2');
  assert.equal(made.body.origin, 'api');
  assert.equal(made.body.applied, 'added');
  assert.equal(made.body.camera.name, 'Garage');
  assert.equal(made.body.camera.source.pattern, 'smpte', 'every key is shown, defaults included');
  await flowing(d, 'cam2', 5);
  const list = (await d.get('/cameras')).body.cameras;
  assert.deepEqual(list.map((c) => [c.id, c.origin]), [['file1', 'config'], ['cam2', 'api']]);

  // A player we did not write reads it: HLS, and the seed-003 routes of an API camera.
  const hls = await ffprobe(`http://127.0.0.1:${d.port}/streams/cam2/hls/index.m3u8`);
  assert.deepEqual(hls.map((s) => [s.codec_name, s.width, s.height]), [['h264', 320, 240]]);
  const seedStart = await post(d, '/api/cameras/cam2/stream/start', {});
  assert.ok([200, 202].includes(seedStart.status), seedStart.text);
  assert.equal((await d.get('/api/cameras/cam2/stream/status')).body.camera_id, 'cam2');
  const seedHls = await ffprobe(`http://127.0.0.1:${d.port}/api/cameras/cam2/stream/playlist.m3u8`);
  assert.equal(seedHls[0].codec_name, 'h264');

  // Stored: the row and the registry's camera table.
  const rows = await sqlite(d.dbPath, "select id, position, config_json from api_cameras");
  assert.equal(rows.length, 1);
  assert.equal(JSON.parse(rows[0].config_json).name, 'Garage');

  // Restart on the same data: still there, still streaming.
  await d.stop();
  d = await h.start({ config: { cameras: [small('file1')] }, dataDir: d.dataDir });
  await flowing(d, 'cam2', 5);
  assert.equal((await d.get('/cameras/cam2')).body.origin, 'api');
  const file1 = await flowing(d, 'file1');

  // PUT: only cam2 restarts, with its new pattern; file1 keeps its session.
  const before = await stream(d, 'cam2');
  const replaced = await put(d, '/cameras/cam2', small('cam2', { name: 'Garage', source: { ...small('x').source, pattern: 'ball' } }));
  assert.equal(replaced.status, 200, replaced.text);
  assert.equal(replaced.body.applied, 'changed');
  assert.equal(replaced.body.camera.source.pattern, 'ball');
  const after = await waitFor(async () => {
    const s = await stream(d, 'cam2');
    return s.state === 'active' && s.session_id !== before.session_id && s.stats.frames > 0 ? s : null;
  }, { timeoutMs: 20000, message: 'cam2 restarted with its new settings' });
  assert.ok(after.session_id);
  assert.equal((await stream(d, 'file1')).session_id, file1.session_id, 'the other camera was not touched');
  const same = await put(d, '/cameras/cam2', replaced.body.camera);
  assert.equal(same.body.applied, 'unchanged', 'the same settings again: nothing restarts');
  assert.equal((await stream(d, 'cam2')).session_id, after.session_id);

  // The configuration file's cameras are read-only here; unknown ones are 404.
  const putFile = await put(d, '/cameras/file1', small('file1'));
  assert.equal(putFile.status, 409, putFile.text);
  assert.match(putFile.body.error.message, /defined in the configuration file/);
  assert.equal((await del(d, '/cameras/file1')).status, 409);
  assert.equal((await put(d, '/cameras/nope', small('nope'))).status, 404);
  assert.equal((await del(d, '/cameras/nope')).status, 404);
  const otherId = await put(d, '/cameras/cam2', small('cam9'));
  assert.equal(otherId.status, 400);
  assert.equal(otherId.body.error.message, 'id: must be "cam2", the camera of the URL (got "cam9")');

  // DELETE: the value of ?recordings= is checked; the stream stops and the camera is gone.
  const badRec = await del(d, '/cameras/cam2?recordings=maybe');
  assert.equal(badRec.status, 400);
  assert.equal(badRec.body.error.message, 'recordings: must be keep or delete (got "maybe")');
  assert.equal((await stream(d, 'cam2')).state, 'active', 'a refused DELETE changes nothing');
  // It records (a file on disk, a row), then DELETE ?recordings=delete takes the files too,
  // the one still being written included.
  assert.equal((await post(d, '/streams/cam2/record/start', {})).status, 202);
  const row = await waitFor(async () => (await d.get('/recordings?camera=cam2')).body.recordings[0],
    { timeoutMs: 20000, message: 'cam2 records' });
  const file = `${d.dataDir}/recordings/cam2/${row.file}`;
  await waitFor(() => fs.existsSync(file) && fs.statSync(file).size > 0, { timeoutMs: 10000 });
  const gone = await del(d, '/cameras/cam2?recordings=delete');
  assert.equal(gone.status, 200, gone.text);
  assert.deepEqual(gone.body, { id: 'cam2', deleted: true, origin: 'api', recordings: 'deleted' });
  await waitFor(async () => (await d.get('/recordings?camera=cam2')).body.count === 0,
    { timeoutMs: 15000, message: 'the recordings of cam2 are gone' });
  assert.equal(fs.existsSync(file), false);
  assert.equal((await d.get('/streams/cam2')).status, 404);
  assert.deepEqual((await d.get('/cameras')).body.cameras.map((c) => c.id), ['file1']);
  assert.equal((await sqlite(d.dbPath, 'select id from api_cameras')).length, 0);
  assert.match(d.log, /camera cam2: removed from the configuration/, 'the registry dropped it');
  assert.equal((await stream(d, 'file1')).session_id, file1.session_id);
  await d.stop();
  d = await h.start({ config: { cameras: [small('file1')] }, dataDir: d.dataDir });
  assert.equal((await d.get('/streams/cam2')).status, 404, 'still gone after a restart');
}));

test('credentials: sealed at rest, shown as ***, kept by a PUT that sends *** back', { skip: !haveRtspServer() && 'no RTSP test server' },
  withDaemons(async (t, h) => {
    const cam = await startRtspCamera({ user: 'viewer', pass: 'Pw-4-rtsp' });
    t.after(() => cam.stop());
    const d = await h.start({ config: { cameras: [] } });
    const url = `rtsp://viewer:Pw-4-rtsp@127.0.0.1:${cam.port}/test`;
    const body = { id: 'door', source: { type: 'rtsp', url }, auto_start: true };
    const made = await post(d, '/cameras', body);
    assert.equal(made.status, 201, made.text);
    const masked = `rtsp://viewer:***@127.0.0.1:${cam.port}/test`;
    assert.equal(made.body.camera.source.url, masked);
    await flowing(d, 'door', 3);
    assert.equal((await d.get('/cameras/door')).body.camera.source.url, masked);
    assert.doesNotMatch((await d.get('/cameras')).text, /Pw-4-rtsp/);

    // At rest: the settings without the credentials, and a sealed blob that does not hold them.
    const [row] = await sqlite(d.dbPath, 'select config_json, hex(secrets) as sealed from api_cameras');
    assert.equal(JSON.parse(row.config_json).source.url, `rtsp://127.0.0.1:${cam.port}/test`);
    assert.doesNotMatch(row.config_json, /viewer|Pw-4/);
    assert.ok(row.sealed.length > 80, 'a sealed blob');
    assert.ok(!row.sealed.includes(Buffer.from('Pw-4-rtsp').toString('hex').toUpperCase()), 'not in clear');
    for (const f of [d.dbPath, `${d.dbPath}-wal`].filter((x) => fs.existsSync(x))) {
      assert.ok(!fs.readFileSync(f).includes('Pw-4-rtsp'), `the password is nowhere in ${f}`);
    }
    assert.equal(fs.statSync(`${d.dataDir}/secret.key`).mode & 0o777, 0o600);

    // The masked camera sent back with a change: the stored password is kept — the camera
    // still lets camrelay in after the restart this PUT causes.
    const before = await stream(d, 'door');
    const changed = await put(d, '/cameras/door', { ...made.body.camera, name: 'Front door' });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.body.applied, 'changed');
    await waitFor(async () => {
      const s = await stream(d, 'door');
      return s.state === 'active' && s.session_id !== before.session_id && s.stats.frames > 0;
    }, { timeoutMs: 20000, message: 'door streams again with the kept password' });
    const fresh = await post(d, '/cameras', { id: 'door2', source: { type: 'rtsp', url: masked } });
    assert.equal(fresh.status, 400, 'a new camera has no stored password for ***');
    assert.match(fresh.body.error.message, /^source\.url: the password "\*\*\*" keeps the stored one/);
    assert.doesNotMatch(d.log, /Pw-4-rtsp/, 'never in the log');
  }));

test('bad bodies get the configuration loader\'s messages; a taken id is 409', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [small('file1', { auto_start: false })] } });
  const cases = [
    { id: 'a', source: { type: 'foo' } },
    { id: 'a', colour: 'red' },
    { id: 'a b' },
    { name: 'no id' },
    { id: 'a', source: { type: 'test', width: 33 } },
    { id: 'a', bandwidth: { min_kbps: 900, max_kbps: 800 } },
    { id: 'a', source: { type: 'rtsp', url: 'http://x/' } },
  ];
  for (const cam of cases) {
    const res = await post(d, '/cameras', cam);
    assert.equal(res.status, 400, `${JSON.stringify(cam)}: ${res.text}`);
    const apiMsg = res.body.error.message;
    // The same camera in a configuration file: the daemon refuses to start, saying the same.
    const bad = await h.spawn({ rawConfig: { cameras: [cam] } });
    assert.equal((await bad.waitExit(10000)).code, 2);
    const fileMsg = /configuration error: (.*)/.exec(bad.log)[1];
    assert.ok(fileMsg.endsWith(`cameras[0].${apiMsg}`), `file: ${fileMsg}\napi:  ${apiMsg}`);
  }
  // Malformed JSON: the file's message without the file name.
  const text = '{"id": "a", "source": ';
  const res = await d.request('POST', '/cameras', { body: text, headers: { 'Content-Type': 'application/json' } });
  assert.equal(res.status, 400);
  assert.match(res.body.error.message, /^invalid JSON at byte \d+, /);
  const bad = await h.spawn({ rawConfig: text });
  assert.equal((await bad.waitExit(10000)).code, 2);
  assert.ok(bad.log.includes(`: ${res.body.error.message}`), `${bad.log}\napi: ${res.body.error.message}`);
  // An id the file has, or the API has: 409 with the file's duplicate message.
  const dup = await post(d, '/cameras', { id: 'file1' });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.message, 'id: duplicate id "file1"');
  assert.equal((await post(d, '/cameras', small('api1', { auto_start: false }))).status, 201);
  const dup2 = await post(d, '/cameras', { id: 'api1' });
  assert.equal(dup2.status, 409);
  assert.equal(dup2.body.error.message, 'id: duplicate id "api1"');
  assert.equal((await d.get('/health')).status, 200, 'the daemon is fine');
}));

test('SIGHUP: a file camera that takes an API camera\'s id wins; GET /camera/status answers', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [small('file1', { auto_start: false })] } });
  assert.equal((await post(d, '/cameras', small('cam2', { name: 'From the API' }))).status, 201);
  await flowing(d, 'cam2');
  const status = await d.get('/camera/status');
  assert.equal(status.status, 200, 'seed 004: the first camera\'s status');
  assert.deepEqual(status.body, (await d.get('/live/status')).body);
  assert.equal(status.body.camera_id, 'file1');

  const cfg = JSON.parse(fs.readFileSync(d.configPath, 'utf8'));
  cfg.cameras.push(small('cam2', { name: 'From the file' }));
  fs.writeFileSync(d.configPath, JSON.stringify(cfg), { mode: 0o600 });
  const at = d.log.length;
  process.kill(d.pid, 'SIGHUP');
  await waitFor(() => /API camera cam2: skipped: the configuration file now defines/.test(d.log.slice(at)),
    { timeoutMs: 5000, message: 'the shadowed API camera is logged' });
  const cams = await waitFor(async () => {
    const b = (await d.get('/cameras')).body;
    return b.cameras.find((c) => c.id === 'cam2' && c.name === 'From the file') ? b : null;
  }, { timeoutMs: 5000, message: 'the file\'s cam2 runs' });
  assert.equal(cams.cameras.find((c) => c.id === 'cam2').origin, 'config');
  assert.deepEqual(cams.skipped, [{ id: 'cam2', origin: 'api', reason: 'the configuration file defines a camera with this id, which wins' }]);
  assert.equal((await put(d, '/cameras/cam2', small('cam2'))).status, 409, 'now a file camera');

  // The file gives the id up again: the stored API camera comes back.
  cfg.cameras.pop();
  fs.writeFileSync(d.configPath, JSON.stringify(cfg), { mode: 0o600 });
  process.kill(d.pid, 'SIGHUP');
  await waitFor(async () => {
    const b = (await d.get('/cameras')).body;
    const c = b.cameras.find((x) => x.id === 'cam2');
    return c && c.origin === 'api' && c.name === 'From the API' && !b.skipped;
  }, { timeoutMs: 5000, message: 'the API camera is back' });
}));
