// Helpers for the BCGH tests: a real mosquitto (plain or TLS, on a free port, with a temp
// config), certificates made with openssl, camrelay-fakecam processes, and MQTT publish /
// receive through mosquitto_pub / mosquitto_sub. Every process started here is tracked and
// killed by PID (procs.killAll(), and SIGKILL at process exit as a last resort).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { BUILD_DIR, freePort, sleep, waitFor } from './daemon.mjs';
export { makeCerts } from './certs.mjs';

export const FAKECAM_BIN = process.env.CAMRELAY_FAKECAM_BIN || path.join(BUILD_DIR, 'src', 'camrelay-fakecam');

const all = new Set();
let hooked = false;
function track(p) {
  all.add(p);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const x of all) {
        try { process.kill(x.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    });
  }
}

// A child process with its output captured (p.log) and helpers to wait for lines.
export class Proc {
  constructor(name, cmd, args, opts = {}) {
    this.name = name;
    this.log = '';
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.pid = this.child.pid;
    this.exitCode = null;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        all.delete(this);
        resolve({ code, signal });
      });
    });
    for (const s of [this.child.stdout, this.child.stderr]) {
      s.setEncoding('utf8');
      s.on('data', (d) => {
        this.log += d;
        if (process.env.CAMRELAY_TEST_VERBOSE) process.stderr.write(`[${this.name}] ${d}`);
      });
    }
    track(this);
  }
  get running() { return this.exitCode === null; }
  async stop(signal = 'SIGTERM', timeoutMs = 5000) {
    if (!this.running) return;
    try { process.kill(this.pid, signal); } catch { return; }
    const t = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
  kill9() { return this.stop('SIGKILL'); }
  // Waits until the log matches `re` (optionally after character offset `from`).
  waitLog(re, timeoutMs = 10000, from = 0) {
    return waitFor(() => re.test(this.log.slice(from)), { timeoutMs, intervalMs: 50, message: `${this.name} log matches ${re}` });
  }
}

// Tracks the processes of one test; killAll() in a finally / t.after().
export function processGroup() {
  const procs = [];
  return {
    procs,
    add(p) { procs.push(p); return p; },
    async killAll() { for (const p of procs) await p.kill9(); },
    printLogs(reason) {
      for (const p of procs) process.stderr.write(`\n===== ${p.name} (pid ${p.pid}): ${reason} =====\n${p.log}\n===== end of ${p.name} =====\n`);
    },
  };
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

// A mosquitto broker on 127.0.0.1:<free port>; tls = makeCerts() result for a TLS listener;
// extraConf: more mosquitto.conf lines (e.g. a `connection` bridge to another broker).
export class Broker {
  constructor(dir, { tls = null, port = null, extraConf = '' } = {}) {
    this.dir = dir;
    this.tls = tls;
    this.port = port;
    this.extraConf = extraConf;
    this.proc = null;
  }
  get url() { return `${this.tls ? 'ssl' : 'tcp'}://127.0.0.1:${this.port}`; }
  async start() {
    if (this.port == null) this.port = await freePort();
    const conf = path.join(this.dir, `mosquitto-${this.port}.conf`);
    let text = `listener ${this.port} 127.0.0.1\nallow_anonymous true\n`;
    if (this.tls) text += `cafile ${this.tls.ca}\ncertfile ${this.tls.cert}\nkeyfile ${this.tls.key}\n`;
    text += this.extraConf;
    fs.writeFileSync(conf, text);
    this.proc = new Proc(`mosquitto:${this.port}`, 'mosquitto', ['-c', conf, '-v']);
    await waitFor(async () => {
      if (!this.proc.running) throw new Error(`mosquitto exited: ${this.proc.log}`);
      return portOpen(this.port);
    }, { timeoutMs: 5000, message: 'mosquitto listens' });
    return this;
  }
  async stop(signal = 'SIGTERM') { if (this.proc) await this.proc.stop(signal); }
  // Publishes with mosquitto_pub (QoS 1).
  publish(topic, payload, { retain = false } = {}) {
    execFileSync('mosquitto_pub', [...this.clientArgs(), '-q', '1', '-t', topic, '-m', payload, ...(retain ? ['-r'] : [])],
      { stdio: 'pipe', timeout: 5000 });
  }
  clientArgs() {
    return ['-h', '127.0.0.1', '-p', String(this.port), ...(this.tls ? ['--cafile', this.tls.ca] : [])];
  }
  // Starts mosquitto_sub on `topic`; returns a Proc whose log holds "topic payload" lines.
  subscribe(topic) {
    return new Proc(`mosquitto_sub:${topic}`, 'mosquitto_sub', [...this.clientArgs(), '-v', '-q', '1', '-t', topic]);
  }
}

// Starts camrelay-fakecam; resolves once it is connected to the broker.
export async function startFakecam(broker, cameraId, extra = [], { wait = true } = {}) {
  if (!fs.existsSync(FAKECAM_BIN)) throw new Error(`camrelay-fakecam not found at ${FAKECAM_BIN}`);
  const args = ['--broker', broker.url, '--camera-id', cameraId, '--width', '320', '--height', '240', ...extra];
  if (broker.tls) args.push('--cafile', broker.tls.ca);
  const p = new Proc(`fakecam:${cameraId}`, FAKECAM_BIN, args);
  if (wait) await p.waitLog(/status online/, 10000);
  return p;
}

// GET /streams/{id} body.
export async function stream(d, id) {
  return (await d.get(`/streams/${id}`)).body;
}

export async function waitState(d, id, state, timeoutMs = 5000) {
  return waitFor(async () => {
    const s = await stream(d, id);
    return s.state === state ? s : null;
  }, { timeoutMs, intervalMs: 50, message: `camera ${id} reaches state ${state}` });
}

// An RTP port range for this test file, away from the defaults and from other files.
export function rtpRange(seed) {
  const base = 30000 + 2 * ((process.pid * 7 + seed * 131) % 9000);
  return { port_min: base, port_max: base + 40 };
}

export { sleep };
