// Accounts and access (docs/security.md), against the real daemon with auth on:
//   * first start: a generated admin password printed once and stored as an Argon2id hash;
//     the login page, the session cookie (HttpOnly, SameSite=Strict), logout;
//   * every route the server knows (GET /auth/routes, not a hand-written list): without
//     credentials 401 (pages: a redirect to /login), with a viewer token of another camera
//     403, an admin route with a viewer's credentials 403, with the right credentials
//     neither (GET routes: 2xx);
//   * viewer tokens (JWT): expired, tampered, unsigned ("alg":"none") and foreign-key tokens
//     are refused; ?token= works for HLS (segment URIs carry it) and MJPEG;
//   * WHEP PATCH/DELETE only by the viewer's owner; WebSocket "watch" of a camera not granted;
//   * a login brute force gets 429 + Retry-After;
//   * `camrelay user …` / `camrelay token …` while the daemon runs; a key file others can
//     read stops the start (exit 2);
//   * the test passwords and token secrets never appear in the daemon's log.
// WHEP and WebSocket viewers open ICE: this file runs in its own network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import WebSocket from 'ws';
import { withDaemons, waitFor, sqlite, SOURCE_DIR, defaultBin, sleep } from './lib/daemon.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';

const ADMIN_PW = 'admin-pw-' + crypto.randomBytes(6).toString('hex');
const VIC_PW = 'vic-pw-' + crypto.randomBytes(6).toString('hex');
const small = (id) => ({ id, auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 10, overlay_clock: false } });
const CONFIG = {
  auth: { disabled: false, login_failures_before_backoff: 3 },
  hls: { target_duration_s: 0.5 },
  cameras: [small('a'), small('b')],
};
const OFFER = fs.readFileSync(path.join(SOURCE_DIR, 'tests/fixtures/sdp/chromium_video_only.sdp'), 'utf8');

const bearer = (t) => ({ Authorization: `Bearer ${t}` });
const cookieOf = (res) => {
  const sc = [].concat(res.headers['set-cookie'] || []);
  const c = sc.find((x) => x.startsWith('camrelay_session='));
  return c ? c.split(';')[0] : null;
};

// The status line and headers of a response that never ends (MJPEG), then hang up.
function statusOf(port, target, headers = {}) {
  return new Promise((resolve) => {
    const q = http.get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      resolve({ status: res.statusCode, headers: res.headers, text: res.headers['content-type'] || '' });
      res.destroy();
    });
    q.setTimeout(20000, () => q.destroy(new Error('no answer')));
    q.on('error', (e) => resolve({ status: 0, headers: {}, text: e.message }));
  });
}

// A WebSocket handshake: 101 when it goes through, else the refusal's status.
function upgradeStatus(port, target, headers = {}) {
  return new Promise((resolve) => {
    const q = http.request({ host: '127.0.0.1', port, path: target, agent: false, headers: { ...headers,
      Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64') } });
    q.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode, headers: res.headers, text: '' });
    });
    q.on('response', (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    q.setTimeout(10000, () => q.destroy(new Error('no answer')));
    q.on('error', (e) => resolve({ status: 0, headers: {}, text: e.message }));
    q.end();
  });
}

async function login(d, username, password) {
  const r = await d.post('/auth/login', { username, password }, { timeoutMs: 10000 });
  assert.equal(r.status, 200, `login ${username}: ${r.text}`);
  return { Cookie: cookieOf(r) };
}

// A daemon with accounts: admin (password from CAMRELAY_ADMIN_PASSWORD), viewer "vic" who may
// watch camera a, an admin API token, viewer tokens for a and for b.
async function setup(h, extra = {}) {
  const d = await h.start({ config: { ...CONFIG, ...extra }, env: { CAMRELAY_ADMIN_PASSWORD: ADMIN_PW } });
  const admin = await login(d, 'admin', ADMIN_PW);
  const tok = await d.post('/auth/tokens', { label: 'test' }, { headers: admin });
  assert.equal(tok.status, 201, tok.text);
  const adminToken = tok.body.token;
  const u = await d.post('/auth/users', { name: 'vic', password: VIC_PW, role: 'viewer', cameras: ['a'] },
    { headers: bearer(adminToken), timeoutMs: 10000 });
  assert.equal(u.status, 201, u.text);
  const vic = await login(d, 'vic', VIC_PW);
  const va = await d.post('/auth/viewer-tokens', { cameras: ['a'], ttl_s: 600 }, { headers: vic });
  assert.equal(va.status, 201, va.text);
  const vbRefused = await d.post('/auth/viewer-tokens', { cameras: ['b'], ttl_s: 600 }, { headers: vic });
  assert.equal(vbRefused.status, 403, 'vic may not mint a token for camera b');
  const vb = await d.post('/auth/viewer-tokens', { cameras: ['b'], ttl_s: 600 }, { headers: bearer(adminToken) });
  assert.equal(vb.status, 201, vb.text);
  return { d, admin, adminToken, vic, tokenA: va.body.token, tokenB: vb.body.token };
}

function secretsAbsent(d, secrets) {
  for (const s of secrets) assert.ok(!d.log.includes(s), `a secret appears in the daemon log: ${s.slice(0, 12)}…`);
}

test('first start: a generated admin password, printed once, stored hashed; login page, cookie, logout', withDaemons(async (t, h) => {
  const d = await h.start({ config: CONFIG });
  const m = d.log.match(/created the first account: user "admin", password "([^"]+)"/);
  assert.ok(m, `the first start prints the admin password:\n${d.log}`);
  const pw = m[1];
  assert.ok(pw.length >= 16, 'a strong generated password');
  const rows = await sqlite(d.dbPath, 'SELECT name, role, password_hash FROM users');
  assert.deepEqual(rows.map((r) => [r.name, r.role]), [['admin', 'admin']]);
  assert.match(rows[0].password_hash, /^\$argon2id\$/, 'stored as an Argon2id hash');
  assert.ok(!JSON.stringify(rows).includes(pw), 'the password itself is not stored');
  const key = fs.statSync(path.join(d.dataDir, 'auth.key'));
  assert.equal(key.mode & 0o077, 0, 'the signing key is readable by its owner only');

  // Pages send the browser to the login page; the API answers 401 with WWW-Authenticate.
  const page = await d.get('/viewer?camera=a');
  assert.equal(page.status, 302);
  assert.equal(page.headers.location, '/login?next=/viewer%3Fcamera%3Da');
  assert.equal((await d.get('/index.html')).status, 302, 'the dashboard file is a page too');
  for (const trick of ['/viewer.html/', '/viewer%2Ehtml', '//index.html']) {
    assert.equal((await d.get(trick)).status, 302, `${trick} is the page too`);
  }
  assert.equal((await d.get('/style.css')).status, 200, 'assets the login page needs are open');
  const api = await d.get('/streams');
  assert.equal(api.status, 401);
  assert.match(api.headers['www-authenticate'], /^Bearer realm="camrelay"/);
  const lp = await d.get('/login');
  assert.equal(lp.status, 200);
  assert.match(lp.text, /<form id="login" method="post" action="\/auth\/login">/);
  const health = await d.get('/health');
  assert.equal(health.status, 200, '/health stays open for monitors');
  assert.deepEqual(Object.keys(health.body).sort(), ['status', 'version'], 'without credentials: the status only');

  const wrong = await d.post('/auth/login', { username: 'admin', password: 'not-it' }, { timeoutMs: 10000 });
  assert.equal(wrong.status, 401);
  const ok = await d.post('/auth/login', { username: 'admin', password: pw }, { timeoutMs: 10000 });
  assert.equal(ok.status, 200, ok.text);
  const setCookie = [].concat(ok.headers['set-cookie']).join('\n');
  assert.match(setCookie, /camrelay_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+/);
  const cookie = { Cookie: cookieOf(ok) };
  assert.equal((await d.get('/viewer?camera=a', { headers: cookie })).status, 200);
  const me = await d.get('/auth/me', { headers: cookie });
  assert.deepEqual([me.body.user, me.body.role, me.body.via], ['admin', 'admin', 'session']);
  const full = await d.get('/health', { headers: cookie });
  assert.ok('streams' in full.body || 'active_streams' in full.body, `an admin gets the details: ${full.text}`);

  // The HTML form (no JavaScript): 303 to ?next=, never to another site.
  const form = await d.request('POST', '/auth/login', {
    body: `username=admin&password=${encodeURIComponent(pw)}&next=${encodeURIComponent('//evil.example/')}`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, timeoutMs: 10000,
  });
  assert.equal(form.status, 303);
  assert.equal(form.headers.location, '/', 'no open redirect');

  // Restart: no new password, the old one and the session still work.
  await d.stop();
  const d2 = await h.start({ config: CONFIG, dataDir: d.dataDir });
  assert.ok(!/created the first account/.test(d2.log), 'the password is printed once only');
  assert.equal((await d2.get('/auth/me', { headers: cookie })).status, 200, 'sessions survive a restart');
  const out = await d2.post('/auth/logout', undefined, { headers: cookie });
  assert.equal(out.status, 204);
  assert.match([].concat(out.headers['set-cookie']).join(), /camrelay_session=; .*Max-Age=0/);
  assert.equal((await d2.get('/auth/me', { headers: cookie })).status, 401, 'logged out');
}));

test('every route: 401 without credentials, 403 with another camera\'s token or a viewer on admin routes, allowed with the right ones',
  withDaemons(async (t, h) => {
    const { d, adminToken, vic, tokenA, tokenB } = await setup(h);
    const list = await d.get('/auth/routes', { headers: bearer(adminToken) });
    assert.equal(list.status, 200, list.text);
    const routes = list.body.routes;
    assert.ok(routes.length >= 40, `the route table is complete (${routes.length})`);
    // Nothing is open by accident: the open routes are exactly these (/openapi.yaml describes
    // the routes, which are no secret: the same file is in the source). The ONVIF SOAP
    // services authenticate inside the message (WS-Security UsernameToken, as NVRs send it;
    // integration.onvif checks that a message without one gets ter:NotAuthorized), and
    // answer 404 while onvif.enabled is false, as here.
    const open = routes.filter((r) => r.access === 'open').map((r) => `${r.method} ${r.path}`).sort();
    assert.deepEqual(open, ['GET /health', 'GET /login', 'GET /openapi.yaml', 'GET /vendor/hls.min.js', 'POST /auth/login',
      'POST /auth/logout', 'POST /onvif/device_service', 'POST /onvif/media_service']);
    for (const p of ['/onvif/device_service', '/onvif/media_service']) {
      assert.equal((await d.post(p, '<x/>')).status, 404, `${p} answers nothing while ONVIF is off`);
    }
    // Cameras are managed by admins only (docs/cameras.md); the seed-004 check is a list.
    const accessOf = (method, p) => routes.find((r) => r.method === method && r.path === p)?.access;
    for (const [method, p] of [['POST', '/cameras'], ['GET', '/cameras/{id}'], ['PUT', '/cameras/{id}'], ['DELETE', '/cameras/{id}']]) {
      assert.equal(accessOf(method, p), 'admin', `${method} ${p}`);
    }
    assert.equal(accessOf('GET', '/cameras'), 'user');
    assert.equal(accessOf('GET', '/camera/status'), 'user');

    const fill = (p) => p.replace('{id}', 'a').replace('{vid}', 'v_000000000000000000000000').replace('{name}', 'nobody')
      .replace('{tid}', 'tok_000000000000000000000000').replace('{p0}', 'style.css').replace(/\{p\d\}/g, 'x');
    const bodyFor = (r) => (r.method === 'POST' && r.path.endsWith('/whep') ? OFFER : r.method === 'GET' ? undefined : {});
    const headersFor = (r, auth) => ({ ...auth, ...(r.path.endsWith('/whep') ? { 'Content-Type': 'application/sdp' } : {}) });
    const call = async (r, auth) => {
      const target = fill(r.path);
      if (r.kind === 'websocket') return upgradeStatus(d.port, target, auth);
      if (r.kind === 'stream') return statusOf(d.port, target, auth);  // MJPEG: status and headers suffice
      return d.request(r.method, target, { body: bodyFor(r), headers: headersFor(r, auth), timeoutMs: 20000 });
    };
    const none = {};
    // Reads first, then changes; stops last (a stopped camera has no snapshot to show).
    const rank = (r) => (/\/stop$/.test(r.path) ? 2 : r.method === 'GET' ? 0 : 1);
    const ordered = routes.map((r, i) => ({ r, i })).sort((x, y) => rank(x.r) - rank(y.r) || x.i - y.i).map((x) => x.r);
    const slow = [];
    for (const r of ordered) {
      const t0 = Date.now();
      const label = `${r.method} ${r.path} (${r.access}, ${r.kind})`;
      if (r.access === 'open') continue;
      if (r.access === 'asset') {
        // Open: a file answers 200, a missing one 404, never 401 or a login redirect.
        const res = await call(r, none);
        assert.equal(res.status, r.path === '/{p0}' ? 200 : 404, `${label}: an asset is open (${res.status})`);
        continue;
      }
      const anon = await call(r, none);
      if (r.access === 'page') {
        assert.equal(anon.status, 302, `${label} without credentials: ${anon.status}`);
        assert.match(anon.headers.location, /^\/login\?next=/);
      } else {
        assert.equal(anon.status, 401, `${label} without credentials: ${anon.status} ${anon.text}`);
      }
      if (r.access === 'camera') {
        const other = await call(r, bearer(tokenB));
        assert.equal(other.status, 403, `${label} with camera b's viewer token: ${other.status} ${other.text}`);
      }
      if (r.access === 'admin') {
        for (const [who, auth] of [['vic (session)', vic], ['a viewer token', bearer(tokenA)]]) {
          const res = await call(r, auth);
          assert.equal(res.status, 403, `${label} as ${who}: ${res.status} ${res.text}`);
        }
      }
      const right = r.access === 'admin' ? bearer(adminToken) : r.access === 'camera' ? bearer(tokenA) : vic;
      let res = await call(r, right);
      // A snapshot or playlist of a camera that just started: 503 "retry" until its first frame.
      for (let i = 0; res.status === 503 && /retry/.test(res.text) && i < 40; ++i) {
        await sleep(500);
        res = await call(r, right);
      }
      assert.ok(![401, 403].includes(res.status), `${label} with the right credentials: ${res.status} ${res.text}`);
      // A GET naming only the camera must work (segments, viewers, recordings and files of
      // other names may 404; so may fmp4.m3u8, an H.265 camera's, of these H.264 cameras).
      if (r.method === 'GET' && r.kind === 'http' && !/\{(vid|name|tid|rid|p\d)\}/.test(r.path) &&
          !r.path.endsWith('/fmp4.m3u8')) {
        assert.ok(res.status >= 200 && res.status < 300, `${label} with the right credentials: ${res.status} ${res.text}`);
      }
      if (r.kind === 'websocket') assert.equal(res.status, 101, `${label}: the upgrade goes through`);
      if (r.kind === 'stream' && !r.path.includes('{rid}')) assert.equal(res.status, 200, `${label}: the MJPEG stream starts`);
      if (Date.now() - t0 > 3000) slow.push(`${label}: ${Date.now() - t0} ms`);
    }
    if (slow.length) t.diagnostic(`slow routes: ${slow.join('; ')}`);
    // Lists show what the caller may watch.
    const cams = await d.get('/cameras', { headers: vic });
    assert.deepEqual(cams.body.cameras.map((c) => c.id), ['a']);
    const all = await d.get('/cameras', { headers: bearer(adminToken) });
    assert.deepEqual(all.body.cameras.map((c) => c.id).sort(), ['a', 'b']);
    secretsAbsent(d, [ADMIN_PW, VIC_PW, adminToken, tokenA, tokenB]);
  }));

test('viewer tokens: expired, tampered, unsigned and foreign ones refused; ?token= plays HLS and MJPEG', withDaemons(async (t, h) => {
  const { d, vic, tokenA } = await setup(h);
  const get = (target, headers = {}) => d.get(target, { headers, timeoutMs: 20000 });
  assert.equal((await get('/streams/a', bearer(tokenA))).status, 200);
  assert.equal((await get('/streams/a?token=' + tokenA)).status, 200);

  const [hdr, payload, sig] = tokenA.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert.deepEqual([claims.sub, claims.cams, claims.typ], ['vic', ['a'], 'viewer']);
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const tampered = `${hdr}.${b64({ ...claims, cams: ['a', 'b'] })}.${sig}`;
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, cams: ['b'] })}.`;
  const foreignSig = crypto.createHmac('sha256', 'not-the-key').update(`${hdr}.${payload}`).digest('base64url');
  const foreign = `${hdr}.${payload}.${foreignSig}`;
  for (const [name, tok] of [['tampered', tampered], ['unsigned', unsigned], ['foreign key', foreign]]) {
    const r = await get('/streams/a', bearer(tok));
    assert.equal(r.status, 401, `${name} token: ${r.status} ${r.text}`);
    assert.match(r.headers['www-authenticate'], /error="invalid_token"/);
    assert.equal((await get('/streams/a?token=' + tok)).status, 401, `${name} token in ?token=`);
  }
  const short = await d.post('/auth/viewer-tokens', { cameras: ['a'], ttl_s: 1 }, { headers: vic });
  assert.equal(short.status, 201);
  await sleep(2100);
  const expired = await get('/streams/a', bearer(short.body.token));
  assert.equal(expired.status, 401);
  assert.match(expired.text, /expired/);
  const tooLong = await d.post('/auth/viewer-tokens', { cameras: ['a'], ttl_s: 10 * 365 * 86400 }, { headers: vic });
  assert.equal(tooLong.status, 400, 'longer than auth.viewer_token_max_ttl_s');
  // API tokens do not go in URLs.
  const api = await d.post('/auth/tokens', {}, { headers: vic });
  assert.equal((await get('/streams/a?token=' + api.body.token)).status, 401);

  // A player that cannot set headers: the playlist's segment URIs carry the token.
  let pl;
  await waitFor(async () => {
    pl = await get(`/streams/a/hls/index.m3u8?token=${tokenA}`);
    return pl.status === 200 && /#EXTINF/.test(pl.text);
  }, { timeoutMs: 20000, message: 'an HLS playlist through ?token=' });
  const seg = pl.text.split('\n').find((l) => l && !l.startsWith('#'));
  assert.ok(seg.endsWith(`?token=${tokenA}`), `segment URI carries the token: ${seg}`);
  const segRes = await get(`/streams/a/hls/${seg}`);
  assert.equal(segRes.status, 200, `segment through its own URI: ${segRes.status}`);
  assert.equal((await get(`/streams/a/hls/${seg.split('?')[0]}`)).status, 401, 'the bare segment URI needs credentials');
  // ffprobe, a player we did not write, reads the stream through the token URL.
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0',
    `http://127.0.0.1:${d.port}/streams/a/hls/index.m3u8?token=${tokenA}`], { encoding: 'utf8', timeout: 30000 });
  assert.match(probe.stdout, /h264/, `ffprobe through ?token=: ${probe.stderr}`);
  // MJPEG in an <img>: a multipart stream.
  const mj = await statusOf(d.port, `/streams/a/mjpeg?token=${tokenA}`);
  const ct = `${mj.status} ${mj.text}`;
  assert.match(ct, /^200 multipart\/x-mixed-replace/);
}));

test('WHEP sessions belong to their creator; a WebSocket watch of another camera is refused', withDaemons(async (t, h) => {
  const { d, adminToken, vic, tokenA } = await setup(h);
  const offer = await d.request('POST', '/streams/a/whep', { body: OFFER, headers: { ...vic, 'Content-Type': 'application/sdp' }, timeoutMs: 20000 });
  assert.equal(offer.status, 201, offer.text);
  const resource = offer.headers.location;
  // Another principal that may watch camera a (a shared link) cannot end or patch vic's session.
  const frag = 'a=ice-ufrag:zzzz\r\na=ice-pwd:zzzzzzzzzzzzzzzzzzzzzz\r\n';
  const patch = await d.request('PATCH', resource, { body: frag, headers: { ...bearer(tokenA), 'Content-Type': 'application/trickle-ice-sdpfrag' } });
  assert.equal(patch.status, 404, `PATCH by another: ${patch.status}`);
  const del = await d.request('DELETE', resource, { headers: bearer(tokenA) });
  assert.equal(del.status, 404, `DELETE by another: ${del.status}`);
  const listed = await d.get('/viewers/a', { headers: bearer(adminToken) });
  assert.ok(listed.body.viewers.some((v) => resource.endsWith(`/${v.viewer_id}`)), `still there: ${resource} ${listed.text}`);
  const own = await d.request('DELETE', resource, { headers: vic });
  assert.equal(own.status, 200, `DELETE by its creator: ${own.status} ${own.text}`);

  // Seed 002's JSON offer API: the camera named in the body (or the first) must be one the
  // caller may watch, and the session is the caller's like a WHEP one.
  const jsonOffer = (camera) => d.request('POST', '/api/webrtc/offer', {
    body: { type: 'offer', sdp: OFFER, ...(camera ? { camera } : {}) }, headers: vic, timeoutMs: 20000 });
  const refused = await jsonOffer('b');
  assert.equal(refused.status, 403, `vic's JSON offer for camera b: ${refused.status} ${refused.text}`);
  const answered = await jsonOffer();
  assert.equal(answered.status, 200, answered.text);
  assert.deepEqual([answered.body.type, answered.body.camera], ['answer', 'a']);
  assert.equal((await d.request('DELETE', answered.body.location, { headers: bearer(tokenA) })).status, 404,
    'another principal cannot end it');
  assert.equal((await d.request('DELETE', answered.body.location, { headers: vic })).status, 200);

  // WebSocket signaling with vic's token in the URL: camera b is refused, camera a offered.
  const ws = new WebSocket(`ws://127.0.0.1:${d.port}/signaling?token=${tokenA}`);
  const msgs = [];
  ws.on('message', (m) => msgs.push(JSON.parse(m.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(JSON.stringify({ type: 'watch', camera: 'b' }));
  await waitFor(() => msgs.some((m) => m.type === 'error'), { timeoutMs: 5000, message: 'an error for camera b' });
  assert.match(JSON.stringify(msgs.find((m) => m.type === 'error')), /forbidden/);
  ws.send(JSON.stringify({ type: 'watch', camera: 'a' }));
  await waitFor(() => msgs.some((m) => m.type === 'offer'), { timeoutMs: 15000, message: 'an offer for camera a' });
  ws.close();
  // A cookie only counts from this server's pages (cross-site WebSocket hijacking).
  const cross = await upgradeStatus(d.port, '/signaling', { ...vic, Origin: 'http://evil.example' });
  assert.equal(cross.status, 403);
}));

test('a login brute force gets 429 with Retry-After', withDaemons(async (t, h) => {
  const d = await h.start({ config: CONFIG, env: { CAMRELAY_ADMIN_PASSWORD: ADMIN_PW } });
  const statuses = [];
  let last;
  for (let i = 0; i < 6; ++i) {
    last = await d.post('/auth/login', { username: 'admin', password: `guess-${i}` }, { timeoutMs: 10000 });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
  assert.ok(statuses.slice(3).every((s) => s === 429), `then 429: ${statuses}`);
  assert.ok(Number(last.headers['retry-after']) >= 1, 'Retry-After');
  // Even the right password waits.
  assert.equal((await d.post('/auth/login', { username: 'admin', password: ADMIN_PW }, { timeoutMs: 10000 })).status, 429);
}));

test('camrelay user/token commands change the accounts of a running daemon; a readable key file stops the start',
  withDaemons(async (t, h) => {
    const d = await h.start({ config: CONFIG, env: { CAMRELAY_ADMIN_PASSWORD: ADMIN_PW } });
    const cli = (args, input) => spawnSync(defaultBin(), ['--config', d.configPath, '--data-dir', d.dataDir, ...args],
      { encoding: 'utf8', input, timeout: 30000 });
    const add = cli(['user', 'add', 'bob', '--role', 'viewer', '--cameras', 'b', '--password-stdin'], 'bob-password-1\n');
    assert.equal(add.status, 0, add.stderr);
    await waitFor(async () => (await d.post('/auth/login', { username: 'bob', password: 'bob-password-1' }, { timeoutMs: 10000 })).status === 200,
      { timeoutMs: 10000, message: 'bob can log in' });
    assert.match(cli(['user', 'list']).stdout, /^bob\tviewer\tb$/m);
    const created = cli(['token', 'create', 'bob', '--label', 'nvr']);
    assert.equal(created.status, 0, created.stderr);
    const secret = created.stdout.trim().split('\n').pop();
    const id = created.stdout.match(/token (tok_[0-9a-f]+)/)[1];
    await waitFor(async () => (await d.get('/streams/b', { headers: bearer(secret) })).status === 200,
      { timeoutMs: 10000, message: 'the new token works' });
    assert.equal((await d.get('/streams/a', { headers: bearer(secret) })).status, 403);
    assert.equal(cli(['token', 'revoke', id]).status, 0);
    await waitFor(async () => (await d.get('/streams/b', { headers: bearer(secret) })).status === 401,
      { timeoutMs: 10000, message: 'the revoked token stops working' });
    const dup = cli(['user', 'add', 'bob', '--password-stdin'], 'whatever-pw\n');
    assert.notEqual(dup.status, 0);
    assert.match(dup.stderr, /exists/);
    const last = cli(['user', 'del', 'admin']);
    assert.notEqual(last.status, 0, 'the last admin stays');
    assert.match(last.stderr, /last admin/);
    assert.equal(cli(['user', 'del', 'bob']).status, 0);
    await waitFor(async () => (await d.post('/auth/login', { username: 'bob', password: 'bob-password-1' }, { timeoutMs: 10000 })).status === 401,
      { timeoutMs: 10000, message: 'bob is gone' });
    secretsAbsent(d, [ADMIN_PW, 'bob-password-1', secret]);

    await d.stop();
    fs.chmodSync(path.join(d.dataDir, 'auth.key'), 0o644);
    const bad = await h.spawn({ config: CONFIG, dataDir: d.dataDir });
    const exit = await bad.waitExit(15000);
    assert.equal(exit.code, 2, `exit status 2:\n${bad.log}`);
    assert.match(bad.log, /auth\.key has mode 644: others could read it; run: chmod 600/);
  }));

test('the audit log: logins, failed logins, changes with who and from where; paging; CLI actions', withDaemons(async (t, h) => {
  const { d, adminToken, vic } = await setup(h);
  await d.post('/auth/login', { username: 'vic', password: 'wrong-one-1' }, { timeoutMs: 10000 });
  assert.equal((await d.post('/streams/b/stop', undefined, { headers: bearer(adminToken) })).status, 200);
  assert.equal((await d.post('/streams/b/stop', undefined, { headers: vic })).status, 403);
  const add = spawnSync(defaultBin(), ['--config', d.configPath, '--data-dir', d.dataDir, 'user', 'add', 'carol',
    '--password-stdin'], { encoding: 'utf8', input: 'carol-password\n', timeout: 30000 });
  assert.equal(add.status, 0, add.stderr);
  let entries;
  await waitFor(async () => {
    entries = (await d.get('/audit?limit=1000', { headers: bearer(adminToken) })).body.entries;
    return entries.some((e) => e.action === 'user add');
  }, { timeoutMs: 10000, message: 'the CLI action in the audit log' });
  const has = (pred, what) => assert.ok(entries.some(pred), `${what} in the audit log:\n${JSON.stringify(entries, null, 1)}`);
  has((e) => e.action === 'login' && e.user === 'admin' && e.ip === '127.0.0.1' && e.status === 200, 'admin login');
  has((e) => e.action === 'login_failed' && /"vic"/.test(e.detail) && e.status === 401, 'vic failed login');
  has((e) => e.action === 'POST /streams/b/stop' && /^admin \(token tok_/.test(e.user) && e.status === 200, 'the stop');
  has((e) => e.action === 'POST /streams/b/stop' && e.user === 'vic' && e.status === 403, 'the refused stop');
  has((e) => e.action === 'POST /auth/users' && e.target === '/auth/users' && e.status === 201, 'the user creation');
  has((e) => e.action === 'user add' && e.target === 'carol' && /^command line \(uid \d+/.test(e.detail), 'the CLI');
  assert.ok(!JSON.stringify(entries).includes(VIC_PW) && !JSON.stringify(entries).includes(ADMIN_PW), 'no password');
  // Paging: newest first, `next` continues below the last id.
  const p1 = (await d.get('/audit?limit=2', { headers: bearer(adminToken) })).body;
  assert.equal(p1.entries.length, 2);
  assert.ok(p1.entries[0].id > p1.entries[1].id);
  const p2 = (await d.get(p1.next, { headers: bearer(adminToken) })).body;
  assert.ok(p2.entries[0].id < p1.entries[1].id, 'the next page continues');
  assert.equal((await d.get('/audit', { headers: vic })).status, 403);
}));

test('security headers on pages and API answers; a config with passwords must not be world-readable', withDaemons(async (t, h) => {
  const { d, admin } = await setup(h);
  const page = await d.get('/viewer?camera=a', { headers: admin });
  assert.equal(page.status, 200);
  assert.match(page.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  const api = await d.get('/streams', { headers: admin });
  assert.equal(api.headers['x-content-type-options'], 'nosniff');
  assert.equal(api.headers['referrer-policy'], 'no-referrer');

  const dir = h.tempDir('camrelay-secret-');
  const conf = path.join(dir, 'camrelay.json');
  fs.writeFileSync(conf, JSON.stringify({ ...CONFIG, data_dir: dir, http: { host: '127.0.0.1', port: 1 },
    mqtt: { url: 'tcp://127.0.0.1:1', password: 'mqtt-secret-pw' } }));
  fs.chmodSync(conf, 0o644);
  const bad = await h.spawn({ configPath: conf, dataDir: dir });
  const exit = await bad.waitExit(15000);
  assert.equal(exit.code, 2, bad.log);
  assert.match(bad.log, /holds secrets \(mqtt\.password\) and every user can read it \(mode 644\): run chmod 640/);
  assert.ok(!bad.log.includes('mqtt-secret-pw'));
}));

test('per-IP limits: requests beyond the burst get 429, connections and WebRTC viewers are capped', withDaemons(async (t, h) => {
  const d = await h.start({ config: { ...CONFIG, auth: { disabled: true }, http: { rate_limit_per_s: 2, rate_limit_burst: 5 } } });
  // The harness' readiness polling took tokens: let the bucket refill (5 at 2/s: 2.5 s).
  await sleep(3000);
  const statuses = [];
  for (let i = 0; i < 5; ++i) statuses.push((await d.get('/cameras')).status);
  assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
  const limited = await d.get('/cameras');
  assert.equal(limited.status, 429, `beyond the burst: ${statuses}`);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  await waitFor(async () => (await d.get('/cameras')).status === 200, { timeoutMs: 5000, message: 'the bucket refills' });

  const d2 = await h.start({ config: { ...CONFIG, auth: { disabled: true }, http: { max_connections_per_ip: 3 },
    webrtc: { max_viewers_per_ip: 1 } } });
  const net = await import('node:net');
  const idle = [];
  for (let i = 0; i < 2; ++i) {  // idle connections: 2 of the 3
    const s = net.connect(d2.port, '127.0.0.1');
    await new Promise((resolve) => s.once('connect', resolve));
    idle.push(s);
  }
  // The 3rd: an MJPEG stream, which keeps its slot after the server handed the socket over.
  const holder = http.get({ host: '127.0.0.1', port: d2.port, path: '/streams/a/mjpeg', agent: false });
  const held = await new Promise((resolve) => holder.once('response', resolve));
  assert.equal(held.statusCode, 200);
  const over = await new Promise((resolve) => {
    const s = net.connect(d2.port, '127.0.0.1');
    let data = '';
    s.on('data', (c) => { data += c; });
    s.on('close', () => resolve(data));
    s.on('error', () => resolve(data));
  });
  assert.match(over, /^HTTP\/1\.1 429 Too Many Requests/, `the 4th connection: ${over}`);
  holder.destroy();
  for (const s of idle) s.destroy();
  await waitFor(async () => (await d2.get('/health').catch(() => ({ status: 0 }))).status === 200,
    { timeoutMs: 5000, message: 'connections are counted down when they close' });

  const whep = () => d2.request('POST', '/streams/a/whep', { body: OFFER, headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 20000 });
  const first = await whep();
  assert.equal(first.status, 201, first.text);
  const second = await whep();
  assert.equal(second.status, 429, `a second WebRTC viewer of the same address: ${second.status} ${second.text}`);
  assert.match(second.text, /max_viewers_per_ip/);
}));

test('in Chromium: the login page leads back to the viewer, a viewer account plays its camera, a shared link plays without login',
  withDaemons(async (t, h) => {
    const { d, tokenA } = await setup(h);
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const decodes = (page, message) => waitFor(async () => {
      const s = await viewerState(page);
      return s.framesDecoded > 10 ? s : null;
    }, { timeoutMs: 20000, intervalMs: 200, message });

    const page = await browser.newPage();
    await page.goto(d.url('/viewer?camera=a'));
    await page.waitForURL(/\/login\?next=/);
    await page.fill('#username', 'vic');
    await page.fill('#password', VIC_PW);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/viewer\?camera=a/);
    await decodes(page, 'vic sees camera a after logging in');
    await waitFor(async () => /vic \(viewer\)/.test(await page.textContent('header')), { timeoutMs: 5000, message: 'the account in the header' });
    assert.deepEqual(await page.$$eval('#camera option', (os) => os.map((o) => o.value)), ['a'], 'only the granted camera is offered');
    await page.click('#logout');
    await page.waitForURL(/\/login/);
    assert.equal((await page.context().cookies()).filter((c) => c.name === 'camrelay_session' && c.value).length, 0, 'the cookie is gone');

    // A shared link: no account, no cookie; the token stays in the address.
    const p2 = await browser.newPage();
    await p2.goto(d.url(`/viewer?camera=a&token=${tokenA}`));
    await decodes(p2, 'the shared link plays');
    assert.ok(p2.url().includes(`token=${tokenA}`), p2.url());
    const other = await browser.newPage();
    await other.goto(d.url(`/viewer?camera=b&token=${tokenA}`));
    await waitFor(async () => /may not watch camera b|forbidden/i.test((await viewerState(other)).message),
      { timeoutMs: 10000, message: 'the link does not open camera b' });
  }));

test('CORS: "*" by default (WHEP players elsewhere), or an allowlist of origins', withDaemons(async (t, h) => {
  const open = await h.start({ config: { ...CONFIG, auth: { disabled: true } } });
  const any = await open.get('/cameras', { headers: { Origin: 'https://player.example' } });
  assert.equal(any.headers['access-control-allow-origin'], '*');
  const d = await h.start({ config: { ...CONFIG, auth: { disabled: true }, http: { cors_origins: ['https://nvr.example:8443'] } } });
  const ok = await d.get('/cameras', { headers: { Origin: 'https://nvr.example:8443' } });
  assert.equal(ok.headers['access-control-allow-origin'], 'https://nvr.example:8443');
  assert.match(ok.headers.vary, /Origin/);
  const pre = await d.request('OPTIONS', '/streams/a/whep', { headers: { Origin: 'https://nvr.example:8443',
    'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.headers['access-control-allow-origin'], 'https://nvr.example:8443');
  assert.match(pre.headers['access-control-allow-methods'], /POST/);
  const other = await d.get('/cameras', { headers: { Origin: 'https://evil.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined, 'no CORS for an origin not listed');
  assert.equal(other.headers['access-control-allow-methods'], undefined);
  const bad = await h.spawn({ config: { ...CONFIG, http: { cors_origins: ['https://x.example/path'] } } });
  assert.equal((await bad.waitExit(10000)).code, 2);
  assert.match(bad.log, /http\.cors_origins\[0\]: must be "\*" or scheme:\/\/host\[:port\] without a path/);
}));
