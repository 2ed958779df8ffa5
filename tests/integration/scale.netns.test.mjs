// Scale-out behind nginx (docs/scaling.md), inside a network namespace: two camrelay
// instances on their own loopback addresses (127.0.0.2, 127.0.0.3), each owning one camera,
// a bridged mosquitto pair, and the nginx front that scripts/gen-nginx.sh generates from the
// instances' configuration files. Checks, through nginx only: routing by camera (REST, WHEP
// and its resource URL, signaling with ?camera=, HLS), the aggregated lists, the HLS cache
// (CAMRELAY_SCALE_CLIENTS HLS clients — curl — cost the origin about one request per
// playlist version and segment), MQTT offer/answer of instance b's BCGH camera through the
// bridge with per-instance client ids and subscriptions, Chromium playing a camera of each
// instance by WHEP, signaling and HLS, and killing one instance: 503 for its cameras while
// the other's viewers keep playing.
//   CAMRELAY_SCALE_CLIENTS=200 CAMRELAY_SCALE_ROUNDS=20: the longer cache measurement.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withDaemons, waitFor, httpRequest, freePort, SOURCE_DIR } from './lib/daemon.mjs';
import { Broker, Proc, startFakecam, rtpRange } from './lib/bcgh.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';
import { rawWhep, pageFrames } from './lib/whep_page.mjs';

const CLIENTS = Number(process.env.CAMRELAY_SCALE_CLIENTS) || 100;
const ROUNDS = Number(process.env.CAMRELAY_SCALE_ROUNDS) || 3;
const GEN = path.join(SOURCE_DIR, 'scripts', 'gen-nginx.sh');

// Sum of camrelay_http_requests_total for one route pattern, read from the origin's /metrics.
async function originRequests(d, route) {
  const text = (await d.get('/metrics')).text;
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('camrelay_http_requests_total{') && line.includes(`route="${route}"`)) {
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return n;
}

// CPU ticks (utime + stime) of nginx's master and its workers.
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
function nginxTicks(masterPid) {
  let n = 0;
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let st;
    try { st = fs.readFileSync(`/proc/${e}/stat`, 'utf8'); } catch { continue; }
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    if (Number(e) === masterPid || Number(f[1]) === masterPid) n += Number(f[11]) + Number(f[12]);
  }
  return n;
}

// `count` concurrent GETs of `url` by one curl process (--parallel: one connection each, as
// many players would); returns the status codes and the first body.
function curlMany(dir, url, count) {
  const cfg = path.join(dir, 'curl.cfg');
  const first = path.join(dir, 'first.body');
  let text = '';
  for (let i = 0; i < count; ++i) text += `url = "${url}"\noutput = "${i === 0 ? first : '/dev/null'}"\n`;
  fs.writeFileSync(cfg, text);
  const r = spawnSync('curl', ['-s', '--parallel', '--parallel-immediate', '--parallel-max', String(count),
    '-w', '%{http_code}\\n', '-K', cfg], { encoding: 'utf8', timeout: 30000 });
  const codes = r.stdout.trim().split('\n').filter(Boolean).map(Number);
  return { codes, body: fs.existsSync(first) ? fs.readFileSync(first, 'utf8') : '' };
}

// Generates the front for `instances` ({name: Daemon}) with scripts/gen-nginx.sh and starts
// nginx (as this user, temp prefix; pushed on `procs`, stopped by PID).
async function startFront(dir, instances, procs) {
  const ngDir = path.join(dir, 'nginx');
  const port = await freePort();
  const genArgs = ['--standalone', ngDir, '--listen', `127.0.0.1:${port}`,
    ...(process.getuid() === 0 ? ['--user', 'root'] : []),
    ...Object.entries(instances).map(([n, d]) => `${n}=${d.configPath}`)];
  const gen = spawnSync(GEN, genArgs, { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`gen-nginx.sh failed (${gen.status}): ${gen.stderr}`);
  const nginx = new Proc('nginx', 'nginx', ['-p', ngDir, '-c', path.join(ngDir, 'nginx.conf'), '-g', 'daemon off;']);
  procs.push(nginx);
  const front = (target, opts = {}) => httpRequest({ port, target, ...opts });
  await waitFor(async () => {
    if (!nginx.running) throw new Error(`nginx exited: ${nginx.log}`);
    try { return (await front('/health')).status < 500; } catch { return false; }
  }, { timeoutMs: 10000, message: 'nginx answers' });
  return { port, nginx, front };
}

test('two instances behind nginx: routing, lists, HLS cache, MQTT bridge, browsers, an instance killed',
  withDaemons(async (t, h) => {
    const dir = h.tempDir('camrelay-scale-');
    const procs = [];
    let passed = false;
    t.after(async () => {
      if (!passed) for (const p of procs) process.stderr.write(`\n===== ${p.name} =====\n${p.log.slice(-4000)}\n`);
      // nginx by SIGTERM: its master then ends its worker (a SIGKILLed master leaves it running)
      for (const p of procs.reverse()) await p.stop(p.name === 'nginx' ? 'SIGTERM' : 'SIGKILL');
    });

    // --- MQTT: broker 1 (instance a, the BCGH camera) bridged to broker 2 (instance b) ---
    const b1 = await new Broker(dir).start();
    procs.push(b1.proc);
    const b2 = await new Broker(dir, { extraConf:
      `connection to-broker1\naddress 127.0.0.1:${b1.port}\ntopic cameras/# both 1\n` +
      'cleansession true\nbridge_protocol_version mqttv311\n' }).start();
    procs.push(b2.proc);
    await waitFor(() => /Received CONNACK on connection|Connecting bridge/.test(b2.proc.log) &&
      /New bridge connected .* as [^ ]*to-broker1/.test(b1.proc.log), { timeoutMs: 10000, message: 'the bridge connects' });
    const fakecam = await startFakecam(b1, 'cam-b', ['--fps', '15']);
    procs.push(fakecam);

    // --- the instances: own address, own WebRTC and RTP port ranges, own MQTT client id ---
    const common = { auth: { disabled: true }, log_level: 'info' };
    const a = await h.start({ name: 'a', host: '127.0.0.2', config: { ...common,
      webrtc: { local_ips: ['127.0.0.2'], udp_port_min: 41000, udp_port_max: 41099, max_viewers_per_ip: 0 },
      mqtt: { url: b1.url, client_id: 'camrelay-a' }, rtp: rtpRange(1),
      cameras: [{ id: 'cam-a', name: 'A', auto_start: true,
        source: { type: 'test', width: 640, height: 360, fps: 15, bitrate_kbps: 800, keyframe_interval_s: 1 } }] } });
    const bRtp = rtpRange(2);
    const b = await h.start({ name: 'b', host: '127.0.0.3', config: { ...common,
      webrtc: { local_ips: ['127.0.0.3'], udp_port_min: 41100, udp_port_max: 41199, max_viewers_per_ip: 0 },
      mqtt: { url: b2.url, client_id: 'camrelay-b' }, rtp: { port_min: bRtp.port_min + 100, port_max: bRtp.port_max + 100 },
      cameras: [{ id: 'cam-b', name: 'B', auto_start: true, source: { type: 'rtp', negotiation: 'mqtt' } }] } });

    // --- the generator refuses a camera on two instances, then writes the front ---
    const dup = spawnSync(GEN, ['a=' + a.configPath, 'b=' + a.configPath], { encoding: 'utf8' });
    assert.equal(dup.status, 2, dup.stderr);
    assert.match(dup.stderr, /camera cam-a is on instances a, b/);
    const { port, nginx, front } = await startFront(dir, { a, b }, procs);
    const base = `http://127.0.0.1:${port}`;

    // --- MQTT: b's BCGH camera went active through the bridge; each instance has its own
    // client id on its broker, and only b subscribed to cam-b's answer topic ---
    await waitFor(async () => (await front('/streams/cam-b')).body.state === 'active',
      { timeoutMs: 20000, message: 'cam-b (BCGH via the bridge) is active' });
    assert.match(b1.proc.log, /New client connected .* as camrelay-a /);
    assert.match(b2.proc.log, /New client connected .* as camrelay-b /);
    // mosquitto -v logs every granted subscription as "<client> <qos> <topic>"
    assert.match(b2.proc.log, /: camrelay-b \d cameras\/cam-b\/stream\/answer\n/);
    for (const log of [b1.proc.log, b2.proc.log]) assert.doesNotMatch(log, /: camrelay-a \d cameras\/cam-b\//);

    // --- routing by camera; unknown cameras; the aggregated lists ---
    for (const id of ['cam-a', 'cam-b']) {
      const r = await front(`/streams/${id}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.camera_id, id);
    }
    assert.equal((await front('/streams/nope')).status, 404);
    assert.equal((await front('/api/stream/status/cam-b')).body.camera_id, 'cam-b');
    const list = await front('/streams');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.streams.map((s) => s.camera_id), ['cam-a', 'cam-b']);
    assert.equal(list.body.count, 2);
    assert.deepEqual(list.body.instances.map((i) => i.state), ['ok', 'ok']);
    assert.equal(list.headers['access-control-allow-origin'], '*', 'the instances\' CORS headers on the merged list');
    const pre = await front('/streams', { method: 'OPTIONS', headers: { Origin: 'http://elsewhere', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.deepEqual((await front('/cameras')).body.cameras.map((c) => c.id), ['cam-a', 'cam-b']);
    assert.equal((await front('/cameras', { method: 'POST', body: { id: 'x' } })).status, 405);
    assert.equal((await front('/signaling')).status, 400);
    assert.equal((await front('/instances/b/streams/cam-b')).body.camera_id, 'cam-b');

    // --- the HLS cache: CLIENTS players poll cam-a's playlist and fetch each new segment ---
    const playlistRoute = '/streams/{id}/hls/index.m3u8';
    const segmentRoute = '/streams/{id}/hls/{name}';
    await waitFor(async () => (await front('/streams/cam-a/hls/index.m3u8')).status === 200,
      { timeoutMs: 15000, message: 'cam-a HLS is ready' });
    const before = { p: await originRequests(a, playlistRoute), s: await originRequests(a, segmentRoute) };
    const ngCpu0 = nginxTicks(nginx.pid);
    const tCache = Date.now();
    const seen = new Set();
    let clientRequests = 0;
    let versions = new Set();
    for (let round = 0; round < ROUNDS; ++round) {
      const t0 = Date.now();
      const pl = curlMany(dir, `${base}/streams/cam-a/hls/index.m3u8`, CLIENTS);
      clientRequests += pl.codes.length;
      assert.equal(pl.codes.filter((c) => c === 200).length, CLIENTS, `playlist answers: ${pl.codes.join(',')}`);
      versions.add(pl.body);
      for (const seg of pl.body.split('\n').filter((l) => /^segment\d+\.ts/.test(l))) {
        if (seen.has(seg)) continue;
        seen.add(seg);
        const sg = curlMany(dir, `${base}/streams/cam-a/hls/${seg}`, CLIENTS);
        clientRequests += sg.codes.length;
        assert.equal(sg.codes.filter((c) => c === 200).length, CLIENTS, `segment answers: ${sg.codes.join(',')}`);
      }
      // a player polls about once per target duration (1 s)
      const left = 1000 - (Date.now() - t0);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
    const origin = { p: await originRequests(a, playlistRoute) - before.p, s: await originRequests(a, segmentRoute) - before.s };
    const cacheS = (Date.now() - tCache) / 1000;
    const ngPct = (100 * (nginxTicks(nginx.pid) - ngCpu0)) / CLK_TCK / cacheS;
    t.diagnostic(`HLS cache: ${CLIENTS} clients x ${ROUNDS} rounds = ${clientRequests} requests to nginx in ${cacheS.toFixed(1)} s; ` +
      `origin got ${origin.p} playlist requests (${versions.size} playlist versions seen) and ${origin.s} segment ` +
      `requests (${seen.size} distinct segments); nginx used ${ngPct.toFixed(1)} % of a core`);
    assert.ok(origin.s <= seen.size, `origin segment requests ${origin.s} <= distinct segments ${seen.size}`);
    assert.ok(origin.p <= ROUNDS + 1, `origin playlist requests ${origin.p} <= rounds ${ROUNDS} + 1`);
    assert.ok(clientRequests >= 50 * (origin.p + origin.s), 'the cache absorbs the clients');

    // --- low-latency HLS through the cache: CLIENTS players blocking on the same next part
    // cost one held request to the origin, and so do CLIENTS requests for the hinted part ---
    const llRoute = '/streams/{id}/hls/fmp4.m3u8';
    const llFirst = await waitFor(async () => {
      const r = await front('/streams/cam-a/hls/fmp4.m3u8', { timeoutMs: 10000 });
      return r.status === 200 ? r.text : null;
    }, { timeoutMs: 20000, message: 'cam-a LL-HLS is ready' });
    const seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(llFirst)[1]);
    const tail = llFirst.slice(llFirst.lastIndexOf('#EXTINF'));
    const msn = seq + (llFirst.match(/#EXTINF/g) || []).length;
    const nextPart = (tail.match(/#EXT-X-PART:/g) || []).length;
    const llBefore = { p: await originRequests(a, llRoute), s: await originRequests(a, segmentRoute) };
    const reload = curlMany(dir, `${base}/streams/cam-a/hls/fmp4.m3u8?_HLS_msn=${msn}&_HLS_part=${nextPart}`, CLIENTS);
    assert.equal(reload.codes.filter((c) => c === 200).length, CLIENTS, `blocking reloads: ${reload.codes.join(',')}`);
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(reload.body)[1];
    const part = curlMany(dir, `${base}/streams/cam-a/hls/${hint}`, CLIENTS);
    // A hint guessed wrong at a segment boundary is 404 for everybody (never cached).
    assert.ok(part.codes.every((c) => c === 200) || part.codes.every((c) => c === 404), `hinted part: ${part.codes.join(',')}`);
    const llOrigin = { p: await originRequests(a, llRoute) - llBefore.p, s: await originRequests(a, segmentRoute) - llBefore.s };
    t.diagnostic(`LL-HLS cache: ${CLIENTS} blocking reloads and ${CLIENTS} requests for the hinted part ${hint} ` +
      `(${part.codes[0]}) cost the origin ${llOrigin.p} playlist and ${llOrigin.s} part requests`);
    assert.ok(llOrigin.p <= 2, `origin LL playlist requests ${llOrigin.p}`);
    assert.ok(llOrigin.s <= 2, `origin part requests ${llOrigin.s}`);

    // --- Chromium through nginx: WHEP for both cameras (its resource URL too), the viewer
    // page over signaling (?camera=) for cam-a, HLS (hls.js) for cam-b ---
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const whepPage = await browser.newPage();
    await whepPage.goto(`${base}/health`);  // a document of the front's origin
    for (const id of ['cam-a', 'cam-b']) {
      const r = await rawWhep(whepPage, `${base}/streams/${id}/whep`, { name: id });
      assert.equal(r.status, 201, r.body);
      assert.match(r.location, new RegExp(`/streams/${id}/whep/`));
    }
    const sigPage = await browser.newPage();
    await sigPage.goto(`${base}/viewer?camera=cam-a`);
    const hlsPages = {};
    for (const id of ['cam-a', 'cam-b']) {
      hlsPages[id] = await browser.newPage();
      await hlsPages[id].goto(`${base}/viewer?camera=${id}&mode=hls`);
    }
    const hlsTime = (id) => hlsPages[id].evaluate(() => document.getElementById('video').currentTime);
    const decoding = async (name) => (await pageFrames(whepPage, name)).framesDecoded;
    await waitFor(async () => (await decoding('cam-a')) > 20 && (await decoding('cam-b')) > 20,
      { timeoutMs: 20000, intervalMs: 200, message: 'WHEP viewers of both instances decode video' });
    await waitFor(async () => (await viewerState(sigPage)).framesDecoded > 20,
      { timeoutMs: 20000, intervalMs: 200, message: 'the viewer page (signaling) decodes cam-a' });
    await waitFor(async () => (await hlsTime('cam-a')) > 1 && (await hlsTime('cam-b')) > 1,
      { timeoutMs: 25000, intervalMs: 200, message: 'hls.js plays both cameras' });
    const viewers = (await front('/viewers')).body.viewers;
    assert.ok(viewers.some((v) => v.camera_id === 'cam-a' && v.kind === 'webrtc'), 'signaling viewer on a');
    assert.ok(viewers.some((v) => v.camera_id === 'cam-b' && v.kind === 'whep'), 'WHEP viewer on b');
    // the WHEP resource URL routes to the owner as well
    const res = await whepPage.evaluate(() => window.whepViewers['cam-b'].location);
    const del = await httpRequest({ port, method: 'PATCH', target: new URL(res).pathname,
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'a=end-of-candidates\r\n' });
    assert.ok([204, 400].includes(del.status), `PATCH via nginx reached b: ${del.status}`);

    // --- instance b dies: its cameras answer 503, a's viewers keep playing ---
    await b.kill9();
    const down = await waitFor(async () => {
      const r = await front('/streams/cam-b');
      return r.status === 503 ? r : null;
    }, { timeoutMs: 5000, message: 'cam-b answers 503' });
    assert.equal(down.body.error.code, 'unavailable');
    assert.equal(down.headers['retry-after'], '5');
    assert.equal((await front('/streams/cam-b/whep', { method: 'POST', body: 'v=0',
      headers: { 'Content-Type': 'application/sdp' } })).status, 503);
    await waitFor(async () => (await front('/streams/cam-b/hls/index.m3u8')).status === 503,
      { timeoutMs: 5000, message: 'cam-b HLS answers 503 once its cached playlist expired' });
    const partial = (await front('/streams')).body;
    assert.deepEqual(partial.streams.map((s) => s.camera_id), ['cam-a']);
    assert.deepEqual(partial.instances.map((i) => i.state), ['ok', 'unavailable']);
    const fa = await decoding('cam-a');
    const fs0 = (await viewerState(sigPage)).framesDecoded;
    const ha = await hlsTime('cam-a');
    await waitFor(async () => (await decoding('cam-a')) > fa + 30 && (await viewerState(sigPage)).framesDecoded > fs0 + 30 &&
      (await hlsTime('cam-a')) > ha + 2,
      { timeoutMs: 10000, intervalMs: 200, message: "a's viewers (WHEP, signaling, HLS) keep playing after b died" });
    assert.equal((await front('/streams/cam-a')).body.state, 'active');
    passed = true;
  }));

// Accounts are per instance (docs/scaling.md, "Not done"); what works across the front: a
// login on the first instance for its cameras (cookie WebSocket included: nginx forwards
// Host, which camrelay compares with Origin), and viewer tokens on every instance when the
// instances share auth.key and the user.
test('accounts behind nginx: shared auth.key makes viewer tokens valid on every instance',
  withDaemons(async (t, h) => {
    const dir = h.tempDir('camrelay-scale-auth-');
    const procs = [];
    t.after(async () => { for (const p of procs.reverse()) await p.stop('SIGTERM'); });
    const env = { CAMRELAY_ADMIN_PASSWORD: 'scale-admin-pass-1' };
    const inst = (name, host, extra = {}) => ({ name, host, env, ...extra, config: { auth: { disabled: false },
      webrtc: { local_ips: [host], max_viewers_per_ip: 0 }, mqtt: { client_id: `camrelay-${name}` },
      rtp: rtpRange(name === 'a' ? 3 : 4),
      cameras: [{ id: `cam-${name}`, auto_start: false, source: { type: 'test', width: 320, height: 240, fps: 10 } }] } });
    const a = await h.start(inst('a', '127.0.0.2'));
    const bDir = h.tempDir('camrelay-scale-b-');
    fs.copyFileSync(path.join(a.dataDir, 'auth.key'), path.join(bDir, 'auth.key'));
    fs.chmodSync(path.join(bDir, 'auth.key'), 0o600);
    const b = await h.start(inst('b', '127.0.0.3', { dataDir: bDir }));
    const { port, front } = await startFront(dir, { a, b }, procs);

    const login = await front('/auth/login', { method: 'POST', body: { username: 'admin', password: env.CAMRELAY_ADMIN_PASSWORD } });
    assert.equal(login.status, 200, login.text);
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    assert.equal((await front('/streams/cam-a', { headers: { Cookie: cookie } })).status, 200);
    assert.equal((await front('/streams/cam-b', { headers: { Cookie: cookie } })).status, 401, 'a login is per instance');
    const list = (await front('/streams', { headers: { Cookie: cookie } })).body;
    assert.deepEqual(list.streams.map((s) => s.camera_id), ['cam-a']);
    assert.deepEqual(list.instances.map((i) => i.state), ['ok', 'refused']);

    // the cookie WebSocket through nginx (Origin = the front)
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/signaling?camera=cam-a`,
      { headers: { Cookie: cookie, Origin: `http://127.0.0.1:${port}` } });
    const hello = await new Promise((resolve, reject) => {
      ws.once('message', (m) => resolve(JSON.parse(String(m))));
      ws.once('unexpected-response', (req, res) => reject(new Error(`WebSocket refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    assert.equal(hello.type, 'hello');
    ws.close();

    const vt = await front('/auth/viewer-tokens', { method: 'POST', headers: { Cookie: cookie, Origin: `http://127.0.0.1:${port}` },
      body: { cameras: ['cam-a', 'cam-b'], ttl_s: 600 } });
    assert.equal(vt.status, 201, vt.text);
    for (const id of ['cam-a', 'cam-b']) {
      const r = await front(`/streams/${id}?token=${vt.body.token}`);
      assert.equal(r.status, 200, `viewer token on ${id}'s instance: ${r.text}`);
    }
    assert.equal((await front('/streams/cam-b')).status, 401);
  }));
