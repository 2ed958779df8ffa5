// ONVIF both ways (docs/onvif.md), inside a network namespace of its own (multicast on lo):
//   * camrelay as a device: the npm `onvif` client (an implementation we did not write)
//     finds it by WS-Discovery, connects with the ONVIF credential (PasswordDigest), reads
//     the profiles and the stream URI; ffprobe decodes that URI with the same credentials;
//     no or wrong credentials → HTTP 400 with the SOAP fault ter:NotAuthorized (ONVIF Core);
//   * camrelay as a client: a second camrelay adds the first as an ONVIF camera
//     (POST /cameras, source.type "onvif") and streams it; GET /onvif/discover lists the
//     first one with its profiles;
//   * a camera answering with the hand-made Hikvision-style fixtures of
//     tests/fixtures/onvif (served here over HTTP, digest required): camrelay resolves its
//     RTSP URI and streams it, and POST /streams/{id}/ptz moves, stops and lists presets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import onvif from 'onvif';
import { withDaemons, waitFor, freePort, httpRequest, SOURCE_DIR } from './lib/daemon.mjs';
import { startRtspCamera } from './lib/rtsp_camera.mjs';
import { run } from './lib/run.mjs';

const ONVIF_USER = 'nvr';
const ONVIF_PASS = 'onvif-' + crypto.randomBytes(6).toString('hex');
const PICTURE = ['--width', '320', '--height', '240', '--fps', '15', '--key-int', '15'];

// Multicast over lo (the namespace has nothing else): WS-Discovery's group routed there.
function multicastOnLo() {
  spawnSync('ip', ['link', 'set', 'lo', 'multicast', 'on']);
  spawnSync('ip', ['route', 'replace', '224.0.0.0/4', 'dev', 'lo']);
}

async function ffprobe(url) {
  const r = await run('ffprobe', ['-v', 'error', '-rtsp_transport', 'tcp', '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height', '-of', 'json', url]);
  assert.equal(r.code, 0, `ffprobe ${url}: ${r.stderr}`);
  const s = JSON.parse(r.stdout).streams[0];
  assert.deepEqual([s.codec_name, s.width, s.height], ['h264', 320, 240]);
}

const promisify = (fn) => new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

function probe() {
  return new Promise((resolve, reject) => {
    // Errors are answers it could not read (none expected here); the devices come either way.
    onvif.Discovery.probe({ timeout: 2000, resolve: false }, (errs, found) => resolve({ errs, found: found || [] }));
  });
}

function soap(port, pathName, body, header = '') {
  return httpRequest({ port, method: 'POST', target: pathName, headers: { 'Content-Type': 'application/soap+xml' },
    body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>' + header +
      '</s:Header><s:Body>' + body + '</s:Body></s:Envelope>' });
}

test('camrelay as an ONVIF device (npm onvif, ffprobe) and as an ONVIF client of it', withDaemons(async (t, h) => {
  multicastOnLo();
  const rtspPort = await freePort();
  const adminPw = 'admin-pw-' + crypto.randomBytes(6).toString('hex');
  const dev = await h.start({
    config: {
      auth: { disabled: false },
      rtsp: { enabled: true, port: rtspPort, grace_s: 2 },
      onvif: { enabled: true, username: ONVIF_USER, password: ONVIF_PASS, manufacturer: 'Test Works', model: 'Relay 1' },
      cameras: [{ id: 'yard', name: 'Yard', auto_start: true,
        source: { type: 'test', width: 320, height: 240, fps: 15 } }],
    },
    env: { CAMRELAY_ADMIN_PASSWORD: adminPw },
  });

  // WS-Discovery: the npm client's Probe is answered with the device service's address.
  const { errs, found } = await probe();
  const ours = found.find((d) => String(d.probeMatches.probeMatch.XAddrs).includes(`:${dev.port}/onvif/device_service`));
  assert.ok(ours, `camrelay not discovered: ${JSON.stringify({ errs, found }).slice(0, 800)}`);
  assert.equal(errs, null, 'every answer was a ProbeMatch the client could read');
  const xaddr = new URL(String(ours.probeMatches.probeMatch.XAddrs).split(' ')[0]);
  assert.match(JSON.stringify(ours), /onvif:\/\/www\.onvif\.org\/hardware\/Relay%201/);

  // The npm client connects with a digest, reads the device, its profiles and the stream URI.
  const cam = new onvif.Cam({ hostname: xaddr.hostname, port: Number(xaddr.port), path: xaddr.pathname,
    username: ONVIF_USER, password: ONVIF_PASS, autoconnect: false });
  await promisify((cb) => cam.connect(cb));
  const info = await promisify((cb) => cam.getDeviceInformation(cb));
  assert.equal(info.manufacturer, 'Test Works');
  assert.equal(info.model, 'Relay 1');
  const profiles = [].concat(cam.profiles);
  assert.deepEqual(profiles.map((p) => p.$.token), ['yard']);
  assert.equal(profiles[0].name, 'Yard');
  const stream = await promisify((cb) => cam.getStreamUri({ protocol: 'RTSP', profileToken: 'yard' }, cb));
  assert.equal(stream.uri, `rtsp://127.0.0.1:${rtspPort}/yard`);
  const snap = await promisify((cb) => cam.getSnapshotUri({ profileToken: 'yard' }, cb));
  assert.equal(snap.uri, `http://127.0.0.1:${dev.port}/streams/yard/snapshot.jpg`);
  // An NVR plays the URI with the credentials it was given for ONVIF.
  await ffprobe(stream.uri.replace('rtsp://', `rtsp://${ONVIF_USER}:${ONVIF_PASS}@`));

  // Without a UsernameToken, or with a wrong password: 400 and ter:NotAuthorized.
  const bare = await soap(dev.port, '/onvif/media_service', '<GetProfiles xmlns="http://www.onvif.org/ver10/media/wsdl"/>');
  assert.equal(bare.status, 400);
  assert.match(bare.text, /ter:NotAuthorized/);
  const wrong = new onvif.Cam({ hostname: xaddr.hostname, port: Number(xaddr.port), path: xaddr.pathname,
    username: ONVIF_USER, password: 'wrong-password', autoconnect: false });
  await assert.rejects(promisify((cb) => wrong.connect(cb)), /NotAuthorized|not authorized|401/i);
  // The clock is open (clients read it before they can compute a digest).
  const clock = await soap(dev.port, '/onvif/device_service', '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/>');
  assert.equal(clock.status, 200);

  // A second camrelay: discovers the first, then adds it as an ONVIF camera and streams it.
  const client = await h.start({ config: { cameras: [] } });
  const disc = await client.get('/onvif/discover?wait_ms=1500', { timeoutMs: 10000 });
  assert.equal(disc.status, 200);
  const listed = disc.body.devices.find((d) => d.address === xaddr.href);
  assert.ok(listed, JSON.stringify(disc.body));
  assert.equal(listed.manufacturer, 'Test Works');  // from the scopes: the profiles need credentials
  assert.equal(listed.profiles, null);
  assert.match(listed.error, /NotAuthorized/);
  assert.equal((await client.get('/onvif/discover?wait_ms=5')).status, 400);

  const add = await client.post('/cameras', { id: 'relayed', auto_start: true,
    source: { type: 'onvif', url: xaddr.href, username: ONVIF_USER, password: ONVIF_PASS, profile: 'yard' } });
  assert.equal(add.status, 201, add.text);
  assert.equal(add.body.camera.source.password, '***');
  await waitFor(async () => {
    const s = (await client.get('/streams/relayed')).body;
    return s.state === 'active' && s.stats && s.stats.width === 320;
  }, 20000, 200, 'the ONVIF camera streams');
  // A profile the device does not have is a configuration error, not an endless retry.
  await client.post('/cameras', { id: 'noprofile', auto_start: true,
    source: { type: 'onvif', url: xaddr.href, username: ONVIF_USER, password: ONVIF_PASS, profile: 'nope' } });
  await waitFor(async () => (await client.get('/streams/noprofile')).body.state === 'error', 15000, 200);
  assert.match((await client.get('/streams/noprofile')).body.error, /no profile "nope"/);
  // Bad bodies name the key.
  const bad = await client.post('/cameras', { id: 'bad', source: { type: 'onvif', url: 'ftp://x' } });
  assert.equal(bad.status, 400);
  assert.match(bad.text, /source\.url/);
  // PTZ of a camera that is not an ONVIF one: 409; unknown camera: 404.
  const ptzTest = await client.post('/streams/relayed/ptz', { action: 'stop' });
  assert.equal(ptzTest.status, 409, ptzTest.text);  // camrelay's device has no PTZ service
  assert.equal((await client.post('/streams/nosuch/ptz', { action: 'stop' })).status, 404);
  assert.equal((await client.post('/streams/relayed/ptz', { action: 'spin' })).status, 400);
}));

// A fake camera answering with the fixtures; every operation but the clock needs a digest.
async function fixtureCamera(rtspHostPort, user, pass) {
  const dir = path.join(SOURCE_DIR, 'tests', 'fixtures', 'onvif', 'hikvision');
  const calls = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const op = (body.match(/<s:Body>\s*<(?:\w+:)?(\w+)/) || body.match(/Body[^>]*>\s*<(?:\w+:)?(\w+)/) || [])[1];
      calls.push({ path: req.url, op, body });
      const send = (status, file) => {
        const now = new Date();
        const pad = (n) => String(n);
        let xml = fs.readFileSync(path.join(dir, file), 'utf8')
          .replaceAll('{{HTTP}}', `127.0.0.1:${server.address().port}`).replaceAll('{{RTSP}}', rtspHostPort)
          .replaceAll('{{NOW_YEAR}}', pad(now.getUTCFullYear())).replaceAll('{{NOW_MONTH}}', pad(now.getUTCMonth() + 1))
          .replaceAll('{{NOW_DAY}}', pad(now.getUTCDate())).replaceAll('{{NOW_HOUR}}', pad(now.getUTCHours()))
          .replaceAll('{{NOW_MINUTE}}', pad(now.getUTCMinutes())).replaceAll('{{NOW_SECOND}}', pad(now.getUTCSeconds()));
        res.writeHead(status, { 'Content-Type': 'application/soap+xml; charset=utf-8' });
        res.end(xml);
      };
      if (op === 'GetSystemDateAndTime') return send(200, 'GetSystemDateAndTime.xml');
      const nonce = (body.match(/<(?:\w+:)?Nonce[^>]*>([^<]+)</) || [])[1];
      const created = (body.match(/<(?:\w+:)?Created[^>]*>([^<]+)</) || [])[1];
      const digest = (body.match(/<(?:\w+:)?Password[^>]*>([^<]+)</) || [])[1];
      const who = (body.match(/<(?:\w+:)?Username>([^<]+)</) || [])[1];
      const expected = nonce && created ? crypto.createHash('sha1')
        .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created + pass)])).digest('base64') : null;
      if (who !== user || digest !== expected) return send(400, 'NotAuthorized.xml');
      if (!fs.existsSync(path.join(dir, `${op}.xml`))) return send(400, 'NotAuthorized.xml');
      return send(200, `${op}.xml`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, calls, close: () => server.close() };
}

test('camrelay as an ONVIF client of a Hikvision-style camera (hand-made fixtures): stream and PTZ', withDaemons(async (t, h) => {
  const user = 'admin';
  const pass = 'cam-' + crypto.randomBytes(4).toString('hex');
  const rtsp = await startRtspCamera({ path: '/Streaming/Channels/101', user, pass, extraArgs: PICTURE });
  t.after(() => rtsp.stop());
  const cam = await fixtureCamera(`127.0.0.1:${rtsp.port}`, user, pass);
  t.after(() => cam.close());
  const d = await h.start({ config: { cameras: [] } });
  const url = `http://127.0.0.1:${cam.port}/onvif/device_service`;

  const add = await d.post('/cameras', { id: 'hik', auto_start: true,
    source: { type: 'onvif', url, username: user, password: pass } });
  assert.equal(add.status, 201, add.text);
  await waitFor(async () => {
    const s = (await d.get('/streams/hik')).body;
    return s.state === 'active' && s.stats && s.stats.width === 320;
  }, 20000, 200, 'the fixture camera streams');
  // The first profile was chosen, and its URI asked from the Media service's own address.
  assert.ok(cam.calls.some((c) => c.op === 'GetStreamUri' && c.path === '/onvif/Media' && /Profile_1/.test(c.body)));

  const move = await d.post('/streams/hik/ptz', { action: 'move', pan: 0.5, tilt: -0.25, zoom: 0, timeout_s: 1 });
  assert.equal(move.status, 200, move.text);
  const moved = cam.calls.find((c) => c.op === 'ContinuousMove');
  assert.equal(moved.path, '/onvif/PTZ');
  assert.match(moved.body, /PanTilt x="0.5" y="-0.25"/);
  assert.equal((await d.post('/streams/hik/ptz', { action: 'stop' })).status, 200);
  const presets = await d.post('/streams/hik/ptz', { action: 'presets' });
  assert.deepEqual(presets.body.presets, [{ token: '1', name: 'Gate' }, { token: '2', name: 'Driveway' }]);
  assert.equal((await d.post('/streams/hik/ptz', { action: 'goto_preset', preset: '2' })).status, 200);
  assert.equal((await d.post('/streams/hik/ptz', { action: 'move', pan: 3 })).status, 400);

  // Wrong credentials: a configuration error (state error), said plainly.
  await d.post('/cameras', { id: 'hikwrong', auto_start: true,
    source: { type: 'onvif', url, username: user, password: 'not-the-password' } });
  await waitFor(async () => (await d.get('/streams/hikwrong')).body.state === 'error', 15000, 200);
  assert.match((await d.get('/streams/hikwrong')).body.error, /NotAuthorized/);
  // A profile whose encoding is not source.codec: refused, saying which codec to set.
  await d.post('/cameras', { id: 'hikcodec', auto_start: true,
    source: { type: 'onvif', url, username: user, password: pass, codec: 'H265' } });
  await waitFor(async () => (await d.get('/streams/hikcodec')).body.state === 'error', 15000, 200);
  assert.match((await d.get('/streams/hikcodec')).body.error, /sends H264: set source\.codec to "H264"/);
}));
