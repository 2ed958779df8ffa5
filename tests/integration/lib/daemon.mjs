// Test harness for driving a real camrelay daemon from node's built-in test runner.
//
// Usage (node 20, ESM, no npm dependencies):
//
//   import { test } from 'node:test';
//   import assert from 'node:assert/strict';
//   import { withDaemons, waitFor, sqlite } from './lib/daemon.mjs';
//
//   test('demo goes active', withDaemons(async (t, h) => {
//     const d = await h.start();                       // free port, temp data dir, waits for /health
//     await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active', 2000);
//     const rows = await sqlite(d.dbPath, 'select status from stream_sessions');
//     await d.stop();                                  // SIGTERM, awaits exit (SIGKILL after a timeout)
//   }));
//
// withDaemons(fn) runs fn(t, h); every daemon started through h is killed afterwards (even when
// the test throws), and when the test fails each daemon's captured stdout/stderr is printed.
// Daemons can also be used directly: `const d = new Daemon(opts); await d.start(); ...
// await d.cleanup()`. Every daemon ever spawned is SIGKILLed by PID at process exit as a
// last resort.
//
// Environment:
//   CAMRELAY_BIN         the daemon binary (ctest sets it). Fallback:
//                        $CAMRELAY_SOURCE_DIR/build/src/camrelay, else <repo>/build/src/camrelay.
//   CAMRELAY_SOURCE_DIR  the repository root (ctest sets it). Fallback: derived from this file.
//   CAMRELAY_KEEP_TMP=1  keep temporary data directories (for debugging).
//   CAMRELAY_TEST_VERBOSE=1  stream daemon output live to stderr.
//   CAMRELAY_TEST_SLOW=<n>   multiplies the timeouts of waitFor, start() (readiness), stop()
//                        and waitExit() by n, for a slower (sanitizer-instrumented) daemon;
//                        default 1. scripts/test.sh --asan sets it.
//   CAMRELAY_TEST_SANITIZE=address  cleanup() stops a still running daemon with SIGTERM
//                        (SIGKILL only if it does not exit) so LeakSanitizer checks it at exit.
//
// Options for Daemon / h.start() / h.spawn():
//   config      object deep-merged over config/camrelay.example.json (arrays are replaced, so
//               `cameras: [...]` replaces the camera list). Defaults applied by the harness:
//               http.host 127.0.0.1, http.web_root <repo>/web, data_dir = the temp dir,
//               auth.disabled true (a test of accounts sets `auth`), the per-IP limits off
//               (http.rate_limit_per_s, http.max_connections_per_ip, webrtc.max_viewers_per_ip 0).
//   rawConfig   a complete config object written as is (no merge, no defaults); or a string
//               written verbatim (to test malformed files).
//   configPath  use an existing config file instead of writing one.
//   dataDir     reuse a data directory (e.g. to restart on the same database); default: a new
//               temp dir from fs.mkdtempSync, removed by cleanup() unless it was passed in.
//   port        API port (default: a free port; the daemon gets it via API_SERVER_PORT).
//   host        the address it binds (http.host) and the harness reaches it at (default
//               127.0.0.1; 127.0.0.2 … inside a network namespace: scale.netns.test.mjs).
//   env         extra environment variables; camrelay's own variables (MQTT_URL, LOG_LEVEL,
//               MAX_VIDEO_BANDWIDTH, ...) are removed from the inherited environment first so
//               tests are hermetic. Set a key to undefined to remove it.
//   args        extra command-line arguments.
//   dataDirArg  the --data-dir given to the daemon (default: dataDir, where the config is).
//   wrap        a command prefix the daemon is exec'd through, e.g. ['unshare', '-m', 'sh',
//               '-c', 'mount … && exec "$@"', 'sh']; it must exec the daemon (same PID).
//   bin         binary path (default: see CAMRELAY_BIN above).
//   readyTimeoutMs  how long start() waits for GET /health to answer 200 (default 10000).
//   name        label used in printed logs.
//   tls         {ca: PEM text}: the daemon serves HTTPS (its config sets http.tls); its requests
//               (readiness included) go over https:// trusting that CA.
//
// Exports: Daemon, withDaemons, startDaemon, spawnDaemon, freePort, makeTempDir, exampleConfig,
//   deepMerge, writeConfig, waitFor, sleep, httpRequest, getJson, postJson, rawRequest, sqlite,
//   cleanupAll, SOURCE_DIR, BUILD_DIR, defaultBin.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.CAMRELAY_SOURCE_DIR || path.resolve(HERE, '..', '..', '..');
export const BUILD_DIR = process.env.CAMRELAY_BUILD_DIR || path.join(SOURCE_DIR, 'build');

export function defaultBin() {
  if (process.env.CAMRELAY_BIN) return process.env.CAMRELAY_BIN;
  return path.join(SOURCE_DIR, 'build', 'src', 'camrelay');
}

// Environment variables the daemon reads (src/config/env.cpp, cli.cpp). Stripped from the
// inherited environment so the developer's shell cannot change test behaviour.
const CAMRELAY_ENV = [
  'API_SERVER_HOST', 'API_SERVER_PORT', 'SIGNALING_SERVER_PORT', 'EXTERNAL_IP', 'STUN_SERVER',
  'TURN_SERVER', 'TURN_USERNAME', 'TURN_PASSWORD', 'WEBRTC_UDP_PORT_MIN', 'WEBRTC_UDP_PORT_MAX',
  'MAX_VIEWERS_PER_STREAM', 'MAX_VIEWERS_TOTAL', 'MQTT_URL', 'MQTT_USERNAME', 'MQTT_PASSWORD',
  'CAMRELAY_DATA_DIR', 'CAMRELAY_CONFIG', 'LOG_LEVEL', 'MAX_VIDEO_BANDWIDTH',
  'MIN_VIDEO_BANDWIDTH',
];

const MAX_LOG_CHARS = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Timeout multiplier for an instrumented (slower) daemon: CAMRELAY_TEST_SLOW, default 1.
export const SLOW = Math.max(1, Number(process.env.CAMRELAY_TEST_SLOW) || 1);
// The daemon is a sanitizer build (scripts/test.sh --asan): memory figures mean nothing there
// (ASan's quarantine keeps freed memory), so RSS bounds are skipped; speed bounds scale by SLOW.
export const SANITIZED = !!process.env.CAMRELAY_TEST_SANITIZE;

// A TCP port that was free a moment ago (bind port 0 on 127.0.0.1, read it, close).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix = 'camrelay-test-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function exampleConfig() {
  return JSON.parse(fs.readFileSync(path.join(SOURCE_DIR, 'config', 'camrelay.example.json'), 'utf8'));
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

// Deep merge: objects merge recursively, arrays and scalars replace, undefined deletes.
export function deepMerge(base, over) {
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}

// Writes `config` (object, or a string written verbatim) to <dir>/<name>; returns the path.
export function writeConfig(dir, config, name = 'camrelay.json') {
  const p = path.join(dir, name);
  // 0600: camrelay refuses a configuration with passwords that every user can read.
  fs.writeFileSync(p, typeof config === 'string' ? config : JSON.stringify(config, null, 2), { mode: 0o600 });
  fs.chmodSync(p, 0o600);
  return p;
}

// Polls `condition` (sync or async) every intervalMs until it returns a truthy value, which is
// returned. Exceptions thrown by the condition count as "not yet" (the last one is reported).
// On timeout throws an Error naming `message` (or the condition's source) and the last value.
//   waitFor(cond, timeoutMs = 5000, intervalMs = 50, message?)
//   waitFor(cond, { timeoutMs, intervalMs, message })
export async function waitFor(condition, timeoutMs = 5000, intervalMs = 50, message) {
  if (isPlainObject(timeoutMs)) {
    ({ timeoutMs = 5000, intervalMs = 50, message } = timeoutMs);
  }
  timeoutMs *= SLOW;
  const start = Date.now();
  let last;
  let lastErr;
  for (;;) {
    try {
      last = await condition();
      lastErr = undefined;
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    const elapsed = Date.now() - start;
    if (elapsed >= timeoutMs) {
      const what = message || String(condition).replace(/\s+/g, ' ').slice(0, 200);
      let detail = lastErr ? `last error: ${lastErr.stack || lastErr}` : `last value: ${safeJson(last)}`;
      throw new Error(`waitFor timed out after ${elapsed} ms: ${what}\n${detail}`);
    }
    await sleep(Math.min(intervalMs, Math.max(1, timeoutMs - elapsed)));
  }
}

function safeJson(v) {
  try {
    return JSON.stringify(v)?.slice(0, 2000);
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------

// One HTTP request on a fresh connection. `target` is sent verbatim (no URL normalisation, so
// "/%2e%2e/x" reaches the server as is). `body`: string/Buffer sent as is, or any other value
// sent as JSON. Resolves {status, headers, text, body, raw} (raw: the body's bytes) where body is the parsed JSON when the
// response is JSON (else the text). Rejects on connection errors or after timeoutMs.
// tls: {ca} (PEM text) makes it an HTTPS request trusting that CA.
export function httpRequest({ port, host = '127.0.0.1', method = 'GET', target = '/', body,
  headers = {}, timeoutMs = 5000, tls = null }) {
  return new Promise((resolve, reject) => {
    let payload;
    const hdrs = { ...headers };
    if (body !== undefined) {
      if (typeof body === 'string' || Buffer.isBuffer(body)) payload = body;
      else {
        payload = JSON.stringify(body);
        if (!Object.keys(hdrs).some((k) => k.toLowerCase() === 'content-type')) {
          hdrs['Content-Type'] = 'application/json';
        }
      }
      hdrs['Content-Length'] = Buffer.byteLength(payload);
    }
    const req = tls
      ? https.request({ host, port, method, path: target, headers: hdrs, agent: false, ca: tls.ca })
      : http.request({ host, port, method, path: target, headers: hdrs, agent: false });
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${target}: no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        let parsed = text;
        if (/json/i.test(res.headers['content-type'] || '') && text.length) {
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
        }
        resolve({ status: res.statusCode, headers: res.headers, text, body: parsed, raw });
      });
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const getJson = (port, target, opts = {}) => httpRequest({ ...opts, port, target, method: 'GET' });
export const postJson = (port, target, body, opts = {}) =>
  httpRequest({ ...opts, port, target, method: 'POST', body });

// Writes raw bytes to a TCP connection and collects what comes back until the server closes
// the connection (or timeoutMs). Resolves {data, closed, reset, timedOut}; a connection reset
// by the server counts as closed (reset: true).
export function rawRequest(port, data, { host = '127.0.0.1', timeoutMs = 5000, endAfterWrite = false } = {}) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let settled = false;
    const sock = net.connect({ host, port });
    const finish = (extra) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks).toString('latin1'), closed: true, reset: false,
        timedOut: false, ...extra });
    };
    const timer = setTimeout(() => finish({ closed: false, timedOut: true }), timeoutMs);
    sock.on('connect', () => {
      sock.write(data);
      if (endAfterWrite) sock.end();
    });
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => finish({}));
    sock.on('close', () => finish({}));
    sock.on('error', (e) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') return finish({ reset: true });
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
  });
}

// ---------------------------------------------------------------------------------------
// SQLite (through the sqlite3 CLI, so tests see exactly what is on disk)
// ---------------------------------------------------------------------------------------

// Runs one SQL statement with `sqlite3 -json` and resolves the rows (array of objects; [] when
// there are none). A busy timeout covers the daemon writing at the same moment.
export function sqlite(dbPath, sql, { timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    if (!fs.existsSync(dbPath)) return reject(new Error(`sqlite: no database at ${dbPath}`));
    execFile('sqlite3', ['-json', '-cmd', '.timeout 3000', dbPath, sql], { timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`sqlite3 ${JSON.stringify(sql)} failed: ${stderr || err.message}`));
        const out = stdout.trim();
        if (!out) return resolve([]);
        try {
          resolve(JSON.parse(out));
        } catch (e) {
          reject(new Error(`sqlite3 returned non-JSON output: ${out.slice(0, 500)}`));
        }
      });
  });
}

// ---------------------------------------------------------------------------------------
// The daemon
// ---------------------------------------------------------------------------------------

const live = new Set();  // every spawned, not yet exited daemon (for the exit-time kill)
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const d of live) {
      try {
        if (d.pid) process.kill(d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

let counter = 0;

export class Daemon {
  constructor(opts = {}) {
    this.opts = opts;
    this.name = opts.name || `camrelay#${++counter}`;
    this.bin = opts.bin || defaultBin();
    this.ownsDataDir = !opts.dataDir;
    this.dataDir = opts.dataDir || makeTempDir('camrelay-test-');
    this.port = opts.port ?? null;
    this.child = null;
    this.pid = null;
    this.log = '';         // stdout and stderr interleaved, each line prefixed "out|" / "err|"
    this.stdout = '';
    this.stderr = '';
    this.exitCode = null;  // set once exited
    this.signalCode = null;
    this.exited = null;    // Promise<{code, signal}>, set by spawn()
    this.configPath = null;
  }

  get dbPath() {
    return path.join(this.dataDir, 'camrelay.db');
  }

  get running() {
    return this.child !== null && this.exitCode === null && this.signalCode === null;
  }

  // opts.host: the address the daemon binds and is reached at (default 127.0.0.1; another
  // loopback address such as 127.0.0.2 inside a network namespace: scale.netns.test.mjs).
  get host() {
    return this.opts.host || '127.0.0.1';
  }

  url(target = '/') {
    return `${this.opts.tls ? 'https' : 'http'}://${this.host}:${this.port}${target}`;
  }

  buildConfig() {
    const o = this.opts;
    if (o.rawConfig !== undefined) return o.rawConfig;
    const defaults = {
      data_dir: this.dataDir,
      // Every client of a test comes from 127.0.0.1: the per-IP limits are off unless a test
      // sets them (auth.netns.test.mjs).
      http: { host: this.host, port: this.port, web_root: path.join(SOURCE_DIR, 'web'),
        rate_limit_per_s: 0, max_connections_per_ip: 0 },
      webrtc: { max_viewers_per_ip: 0 },
      // Most tests are about media, not accounts: auth off unless a test sets `auth`
      // (tests/integration/auth*.test.mjs run with it on).
      auth: { disabled: true },
    };
    return deepMerge(deepMerge(exampleConfig(), defaults), o.config || {});
  }

  buildEnv() {
    const env = { ...process.env };
    for (const k of CAMRELAY_ENV) delete env[k];
    env.API_SERVER_PORT = String(this.port);
    for (const [k, v] of Object.entries(this.opts.env || {})) {
      if (v === undefined) delete env[k];
      else env[k] = String(v);
    }
    return env;
  }

  // Spawns the process without waiting for it to be ready. Resolves once spawned.
  async spawn() {
    if (this.child) throw new Error(`${this.name}: already spawned`);
    if (!fs.existsSync(this.bin)) {
      throw new Error(`camrelay binary not found at ${this.bin} (set CAMRELAY_BIN or build first)`);
    }
    if (this.port == null) this.port = await freePort();
    this.configPath = this.opts.configPath ||
      writeConfig(this.dataDir, this.buildConfig(), `camrelay-${this.port}.json`);
    const args = ['--config', this.configPath, '--data-dir', this.opts.dataDirArg || this.dataDir, ...(this.opts.args || [])];
    installExitHook();
    // opts.wrap: a command the daemon is exec'd through (e.g. unshare -m sh -c '… exec "$@"');
    // it must exec the daemon so that this.pid is the daemon's.
    const [cmd, cmdArgs] = this.opts.wrap ? [this.opts.wrap[0], [...this.opts.wrap.slice(1), this.bin, ...args]]
      : [this.bin, args];
    const child = spawn(cmd, cmdArgs, { env: this.buildEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.pid = child.pid;
    this.startedAt = Date.now();
    live.add(this);
    this.appendLog('harness', `spawned pid ${child.pid}: ${this.bin} ${args.join(' ')} (port ${this.port})\n`);
    const capture = (stream, tag) => {
      stream.setEncoding('utf8');
      let partial = '';
      stream.on('data', (s) => {
        if (tag === 'out') this.stdout = capCat(this.stdout, s);
        else this.stderr = capCat(this.stderr, s);
        const lines = (partial + s).split('\n');
        partial = lines.pop();
        for (const l of lines) this.appendLog(tag, l + '\n');
      });
      stream.on('end', () => {
        if (partial) this.appendLog(tag, partial + '\n');
        partial = '';
      });
    };
    capture(child.stdout, 'out');
    capture(child.stderr, 'err');
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signalCode = signal;
        live.delete(this);
        this.appendLog('harness', `exited: code ${code} signal ${signal}\n`);
        resolve({ code, signal });
      });
    });
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (e) => {
        live.delete(this);
        reject(new Error(`${this.name}: cannot spawn ${this.bin}: ${e.message}`));
      });
    });
    return this;
  }

  appendLog(tag, text) {
    const out = text.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '')
      .map((l) => `${tag}| ${l}\n`).join('');
    this.log = capCat(this.log, out);
    if (process.env.CAMRELAY_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${out}`);
  }

  // Spawns and waits until GET /health answers 200. Fails early (with the log) if the process
  // exits. If the port was taken between freePort() and bind, retries on another port.
  async start() {
    const attempts = this.opts.port == null ? 3 : 1;
    for (let i = 0; i < attempts; ++i) {
      if (i > 0) {
        this.child = null;
        this.port = await freePort();
      }
      await this.spawn();
      try {
        await this.waitReady(this.opts.readyTimeoutMs ?? 10000);
        return this;
      } catch (e) {
        const inUse = !this.running && /Address already in use|cannot listen/i.test(this.log);
        if (inUse && i + 1 < attempts) continue;
        await this.kill9();
        throw new Error(`${e.message}\n--- ${this.name} output ---\n${this.log}`);
      }
    }
    throw new Error('unreachable');
  }

  async waitReady(timeoutMs = 10000) {
    timeoutMs *= SLOW;
    const t0 = Date.now();
    let last = 'no answer yet';
    for (;;) {
      if (!this.running) {
        throw new Error(`${this.name} exited during startup (code ${this.exitCode}, signal ${this.signalCode})`);
      }
      try {
        const r = await this.get('/health', { timeoutMs: 1000 });
        if (r.status === 200) break;
        last = `status ${r.status}: ${r.text.slice(0, 300)}`;
      } catch (e) {
        last = e.message;
      }
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`${this.name}: GET /health did not answer 200 within ${timeoutMs} ms (${last})`);
      }
      await sleep(25);
    }
    this.readyAt = Date.now();
    this.readyAfterMs = this.readyAt - t0;
  }

  request(method, target, opts = {}) {
    return httpRequest({ tls: this.opts.tls || null, host: this.host, ...opts, port: this.port, method, target });
  }
  get(target, opts = {}) {
    return this.request('GET', target, opts);
  }
  post(target, body, opts = {}) {
    return this.request('POST', target, { ...opts, body });
  }
  raw(data, opts = {}) {
    return rawRequest(this.port, data, { host: this.host, ...opts });
  }

  // Sends `signal` and waits for the exit; after timeoutMs sends SIGKILL. Resolves
  // {code, signal, elapsedMs, killed} (killed: true when SIGKILL was needed).
  async stop({ timeoutMs = 5000, signal = 'SIGTERM' } = {}) {
    if (!this.child) return { code: null, signal: null, elapsedMs: 0, killed: false };
    timeoutMs *= SLOW;
    const t0 = Date.now();
    if (this.running) {
      try {
        process.kill(this.pid, signal);
      } catch {
        // exited meanwhile
      }
    }
    let timer;
    const timedOut = new Promise((r) => {
      timer = setTimeout(() => r('timeout'), timeoutMs);
    });
    const res = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (res === 'timeout') {
      this.appendLog('harness', `no exit ${timeoutMs} ms after ${signal}: SIGKILL\n`);
      const r = await this.kill9();
      return { ...r, elapsedMs: Date.now() - t0, killed: true };
    }
    return { ...res, elapsedMs: Date.now() - t0, killed: false };
  }

  // SIGKILL and wait for the exit.
  async kill9() {
    if (!this.child) return { code: null, signal: null };
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    return this.exited;
  }

  // Waits for the process to exit on its own (e.g. a configuration error).
  async waitExit(timeoutMs = 10000) {
    if (!this.child) throw new Error(`${this.name}: not spawned`);
    timeoutMs *= SLOW;
    let timer;
    const res = await Promise.race([
      this.exited,
      new Promise((r) => {
        timer = setTimeout(() => r(null), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!res) throw new Error(`${this.name} did not exit within ${timeoutMs} ms`);
    return res;
  }

  // Kills the process if still running and removes the temp data dir it created.
  async cleanup() {
    if (this.running && process.env.CAMRELAY_TEST_SANITIZE) await this.stop({ timeoutMs: 10000 });
    if (this.running) await this.kill9();
    if (this.ownsDataDir && !process.env.CAMRELAY_KEEP_TMP) {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  printLog(reason = 'test failed') {
    process.stderr.write(`\n===== ${this.name} (pid ${this.pid}, port ${this.port}, data ${this.dataDir}): ${reason} =====\n${this.log}===== end of ${this.name} =====\n`);
  }
}

function capCat(buf, s) {
  const out = buf + s;
  return out.length > MAX_LOG_CHARS ? out.slice(out.length - MAX_LOG_CHARS) : out;
}

// Spawns and waits for /health; the caller must cleanup() (or use withDaemons).
export async function startDaemon(opts = {}) {
  const d = new Daemon(opts);
  try {
    return await d.start();
  } catch (e) {
    await d.cleanup();
    throw e;
  }
}

// Spawns without waiting for readiness (for exit-code tests).
export async function spawnDaemon(opts = {}) {
  const d = new Daemon(opts);
  await d.spawn();
  return d;
}

// Wraps a test body: fn(t, h) where h.start(opts) / h.spawn(opts) / h.track(daemon) create and
// track daemons and h.tempDir() makes a tracked temp dir. Afterwards every tracked daemon is
// killed and its temp dir removed; if fn threw, each daemon's output is printed first.
export function withDaemons(fn) {
  return async (t) => {
    const daemons = [];
    const dirs = [];
    const h = {
      daemons,
      track(d) {
        daemons.push(d);
        return d;
      },
      async start(opts = {}) {
        const d = h.track(new Daemon(opts));
        await d.start();
        return d;
      },
      async spawn(opts = {}) {
        const d = h.track(new Daemon(opts));
        await d.spawn();
        return d;
      },
      tempDir(prefix) {
        const dir = makeTempDir(prefix);
        dirs.push(dir);
        return dir;
      },
    };
    try {
      await fn(t, h);
    } catch (e) {
      for (const d of daemons) d.printLog(`test "${t.name}" failed`);
      throw e;
    } finally {
      for (const d of daemons) await d.cleanup();
      if (!process.env.CAMRELAY_KEEP_TMP) {
        for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  };
}

// Kills every daemon this process spawned that is still running (e.g. from an after() hook).
export async function cleanupAll() {
  await Promise.all([...live].map((d) => d.kill9()));
}
