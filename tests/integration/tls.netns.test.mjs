// HTTPS and WSS on camrelay's own ports (docs/security.md "TLS"), with a test CA made here by
// openssl and clients that are not ours:
//   * curl trusting the CA gets /health; curl without it refuses the certificate; TLS 1.1 is
//     refused; plain http:// on the TLS port is redirected (308) to https://;
//   * Chromium trusting the CA (NSS database, as a user installs one) logs in over https://,
//     and the viewer page plays over https + wss; the session cookie is Secure;
//   * the npm `ws` client over wss:// gets an offer;
//   * SIGHUP with a renewed certificate: new connections get it, the playing viewer is not
//     dropped; a broken key on reload keeps the running certificate;
//   * the seed's environment variables (API_USE_SSL, SSL_CERT, SSL_KEY, SIGNALING_USE_SSL
//     with SIGNALING_SERVER_PORT); a missing, world-readable or mismatched key stops the
//     start with a clear message (exit 2).
// The viewer opens ICE: this file runs in its own network namespace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import { withDaemons, waitFor, freePort, sleep } from './lib/daemon.mjs';
import { makeCerts, signServerCert, serialOf } from './lib/certs.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';

const ADMIN_PW = 'admin-pw-' + crypto.randomBytes(6).toString('hex');
const CAMERA = { id: 'a', auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 15, overlay_clock: false } };

function certsIn(h) {
  const c = makeCerts(h.tempDir('camrelay-tls-'));
  fs.chmodSync(c.key, 0o600);  // camrelay refuses a key file every user can read
  return { ...c, caPem: fs.readFileSync(c.ca, 'utf8') };
}

const curl = (...args) => spawnSync('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8' });

// The npm `ws` client trusting `ca`: opens `url`, watches camera a, waits for the offer.
async function offerOverWss(url, ca, message) {
  const ws = new WebSocket(url, { ca });
  try {
    const msgs = [];
    ws.on('message', (m) => msgs.push(JSON.parse(m.toString())));
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.send(JSON.stringify({ type: 'watch', camera: 'a' }));
    await waitFor(() => msgs.some((m) => m.type === 'offer'), { timeoutMs: 15000, message });
  } finally {
    ws.close();
  }
}

// The serial number of the certificate a new TLS connection is served.
function servedSerial(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: undefined }, () => {
      const serial = s.getPeerCertificate().serialNumber.toUpperCase();
      s.end();
      resolve(serial);
    });
    s.setTimeout(5000, () => s.destroy(new Error('TLS connect timed out')));
    s.on('error', reject);
  });
}

test('HTTPS and WSS: curl, Chromium (viewer over https + wss), ws; SIGHUP renews the certificate without dropping the viewer',
  withDaemons(async (t, h) => {
    const c = certsIn(h);
    const d = await h.start({
      config: { auth: { disabled: false }, cameras: [CAMERA], http: { tls: { enabled: true, cert: c.cert, key: c.key } } },
      env: { CAMRELAY_ADMIN_PASSWORD: ADMIN_PW },
      tls: { ca: c.caPem },
    });
    assert.match(d.log, /listening on https:\/\/127\.0\.0\.1:/);

    // curl: trusted with the CA, refused without it; TLS ≤ 1.1 refused.
    const ok = curl('--cacert', c.ca, '-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', d.url('/health'));
    assert.equal(ok.stdout, '200 0', ok.stderr);
    const untrusted = curl('-o', '/dev/null', d.url('/health'));
    assert.equal(untrusted.status, 60, `curl without the CA: ${untrusted.stderr}`);
    const old = curl('--cacert', c.ca, '--tlsv1.0', '--tls-max', '1.1', '-o', '/dev/null', d.url('/health'));
    assert.notEqual(old.status, 0, 'TLS 1.1 is refused');
    const tls12 = curl('--cacert', c.ca, '--tlsv1.2', '--tls-max', '1.2', '-o', '/dev/null', '-w', '%{http_code}', d.url('/health'));
    assert.equal(tls12.stdout, '200', `TLS 1.2 works: ${tls12.stderr}`);
    // Plain HTTP on the TLS port: a redirect to the same URL over https.
    const plain = curl('-i', `http://127.0.0.1:${d.port}/viewer?camera=a`);
    assert.match(plain.stdout, /^HTTP\/1\.1 308/);
    assert.match(plain.stdout, new RegExp(`\\r\\nLocation: https://127\\.0\\.0\\.1:${d.port}/viewer\\?camera=a\\r\\n`, 'i'));

    // The session cookie set over HTTPS is Secure.
    const login = await d.post('/auth/login', { username: 'admin', password: ADMIN_PW }, { timeoutMs: 10000 });
    assert.equal(login.status, 200, login.text);
    const setCookie = [].concat(login.headers['set-cookie'])[0];
    assert.match(setCookie, /; Secure/);
    assert.match(setCookie, /HttpOnly/);

    // The npm `ws` client over wss://, with a viewer token.
    const vt = await d.post('/auth/viewer-tokens', { cameras: ['a'], ttl_s: 600 }, { headers: { Cookie: setCookie.split(';')[0] } });
    assert.equal(vt.status, 201, vt.text);
    await offerOverWss(`wss://127.0.0.1:${d.port}/signaling?token=${vt.body.token}`, c.caPem, 'an offer over wss');

    // Chromium trusting the CA: log in, then the viewer plays over https + wss.
    const browser = await launchBrowser({ trustCa: c.ca });
    t.after(() => browser.close());
    const page = await browser.newPage();
    const wsUrls = [];
    page.on('websocket', (w) => wsUrls.push(w.url()));
    await page.goto(d.url('/viewer?camera=a'));
    await page.waitForURL(/\/login\?next=/);
    assert.ok(page.url().startsWith('https://'), page.url());
    await page.fill('#username', 'admin');
    await page.fill('#password', ADMIN_PW);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/viewer\?camera=a/);
    const playing = await waitFor(async () => {
      const s = await viewerState(page);
      return s.framesDecoded > 10 ? s : null;
    }, { timeoutMs: 20000, intervalMs: 200, message: 'the viewer plays over https' });
    assert.ok(wsUrls.some((u) => u.startsWith(`wss://127.0.0.1:${d.port}/signaling`)), `signaling over wss: ${wsUrls}`);
    assert.equal(await page.evaluate(() => window.isSecureContext), true);
    // The page's Content-Security-Policy: an injected inline script does not run.
    const injected = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = 1;';
      document.head.appendChild(s);
      return window.__injected === 1;
    });
    assert.equal(injected, false, 'inline scripts are blocked by the CSP');

    // SIGHUP with a renewed certificate (same key, new serial): new connections get it and the
    // viewer keeps playing on its connections.
    const before = await servedSerial(d.port, c.caPem);
    assert.equal(before, serialOf(c.cert));
    const renewed = signServerCert(c.dir, path.join(c.dir, 'renewed.crt'));
    fs.renameSync(renewed, c.cert);
    const want = serialOf(c.cert);
    assert.notEqual(want, before);
    d.child.kill('SIGHUP');
    await waitFor(async () => (await servedSerial(d.port, c.caPem)) === want,
      { timeoutMs: 5000, message: 'the renewed certificate is served' });
    assert.match(d.log, /TLS certificate reloaded from/);
    const framesThen = (await viewerState(page)).framesDecoded;
    await waitFor(async () => {
      const s = await viewerState(page);
      return s.framesDecoded > framesThen + 15 ? s : null;
    }, { timeoutMs: 10000, intervalMs: 200, message: 'the viewer keeps playing after the reload' });
    const after = await viewerState(page);
    assert.equal(after.viewerId, playing.viewerId, 'same viewer session (not reconnected)');
    assert.equal(after.status, playing.status);

    // A reload with a key every user can read keeps the running certificate.
    fs.chmodSync(c.key, 0o644);
    d.child.kill('SIGHUP');
    await waitFor(() => /keeping the running TLS certificate: .*readable by every user/.test(d.log),
      { timeoutMs: 5000, message: 'the refused reload is logged' });
    fs.chmodSync(c.key, 0o600);
    assert.equal(await servedSerial(d.port, c.caPem), want);
    assert.equal((await d.get('/health')).status, 200);
  }));

test('the seed\'s variables: API_USE_SSL, SSL_CERT, SSL_KEY, SIGNALING_USE_SSL on a separate signaling port', withDaemons(async (t, h) => {
  const c = certsIn(h);
  const sigPort = await freePort();
  const d = await h.start({
    config: { cameras: [CAMERA] },
    env: { API_USE_SSL: 'true', SSL_CERT: c.cert, SSL_KEY: c.key, SIGNALING_SERVER_PORT: String(sigPort), SIGNALING_USE_SSL: 'true' },
    tls: { ca: c.caPem },
  });
  assert.match(d.log, new RegExp(`listening on https://127\\.0\\.0\\.1:${sigPort} \\(signaling\\)`));
  await offerOverWss(`wss://127.0.0.1:${sigPort}/signaling`, c.caPem, 'an offer on the WSS signaling port');
  // Plain ws:// to the WSS port does not get a WebSocket.
  const plainWs = new WebSocket(`ws://127.0.0.1:${sigPort}/signaling`);
  const refused = await new Promise((resolve) => {
    plainWs.once('open', () => resolve(false));
    plainWs.once('error', () => resolve(true));
    plainWs.once('unexpected-response', () => resolve(true));
  });
  plainWs.terminate();
  assert.ok(refused, 'plain ws:// is not served on the WSS port');
}));

test('a certificate or key that cannot be used stops the start with a clear message (exit 2)', withDaemons(async (t, h) => {
  const c = certsIn(h);
  const run = async (env, config = {}) => {
    const d = await h.spawn({ config: { cameras: [CAMERA], ...config }, env });
    const r = await d.waitExit(15000);
    return { code: r.code, log: d.log };
  };
  let r = await run({ API_USE_SSL: 'true' });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /http\.tls\.cert: is required with TLS on/);
  r = await run({ API_USE_SSL: 'maybe' });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /API_USE_SSL: must be true or false/);
  fs.chmodSync(c.key, 0o644);
  r = await run({ API_USE_SSL: '1', SSL_CERT: c.cert, SSL_KEY: c.key });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /readable by every user/);
  fs.chmodSync(c.key, 0o600);
  // The other CA's key does not match the server certificate.
  const otherKey = path.join(c.dir, 'other-ca.key');
  fs.chmodSync(otherKey, 0o600);
  r = await run({ API_USE_SSL: 'yes', SSL_CERT: c.cert, SSL_KEY: otherKey });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /does not match the certificate|key values mismatch/);
  r = await run({ API_USE_SSL: 'on', SSL_CERT: path.join(c.dir, 'missing.crt'), SSL_KEY: c.key });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /certificate file .*missing\.crt/);
  // WSS on the shared port while the API port is plain: a configuration error.
  r = await run({ SIGNALING_USE_SSL: 'true', SSL_CERT: c.cert, SSL_KEY: c.key });
  assert.equal(r.code, 2, r.log);
  assert.match(r.log, /http\.tls\.signaling: cannot differ/);
  await sleep(0);
}));
