// The RTSP test camera (tests/tools/rtsp_test_server.cpp, gst-rtsp-server with basic auth)
// for the RTSP/HLS/MJPEG integration tests. ctest passes its path in
// CAMRELAY_RTSP_TEST_SERVER; fallback: <build dir>/tests/rtsp_test_server.
//
//   const cam = await startRtspCamera({ user: 'admin', pass: 's3cret' });  // free port
//   cam.url  // rtsp://127.0.0.1:PORT/test (no credentials)
//   await cam.kill9();  await cam.restart();  // same port
//   await cam.stop();   // SIGTERM, then SIGKILL
// Every camera started here is SIGKILLed by PID when the process exits.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { BUILD_DIR, freePort, sleep } from './daemon.mjs';

export function rtspServerBin() {
  const bin = process.env.CAMRELAY_RTSP_TEST_SERVER || path.join(BUILD_DIR, 'tests', 'rtsp_test_server');
  if (!fs.existsSync(bin)) {
    throw new Error(`RTSP test server not found at ${bin} (build the tests; needs libgstrtspserver-1.0-dev)`);
  }
  return bin;
}

const live = new Set();
process.on('exit', () => {
  for (const c of live) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

export class RtspCamera {
  constructor({ port, user = '', pass = '', path: p = '/test', extraArgs = [] }) {
    Object.assign(this, { port, user, pass, path: p, extraArgs });
    this.child = null;
    this.pid = null;
    this.log = '';
  }

  get url() {
    return `rtsp://127.0.0.1:${this.port}${this.path}`;
  }

  async start(timeoutMs = 5000) {
    const args = ['--port', String(this.port), '--path', this.path, ...this.extraArgs];
    if (this.user) args.push('--user', this.user, '--pass', this.pass);
    const child = spawn(rtspServerBin(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.pid = child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      live.delete(this);
      resolve({ code, signal });
    }));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RTSP test server not ready: ${this.log}`)), timeoutMs);
      const onData = (d) => {
        this.log += d;
        if (this.log.includes('READY ')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', onData);
      child.stderr.on('data', (d) => { this.log += d; });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`RTSP test server exited (${code}): ${this.log}`));
      });
    });
    return this;
  }

  async kill9() {
    if (!this.child || !live.has(this)) return;
    process.kill(this.pid, 'SIGKILL');
    await this.exited;
  }

  // Starts again on the same port (the port may need a moment to be reusable).
  async restart() {
    for (let i = 0; ; ++i) {
      try {
        this.log = '';
        return await this.start();
      } catch (e) {
        if (i >= 20) throw e;
        await sleep(100);
      }
    }
  }

  async stop() {
    if (!this.child || !live.has(this)) return;
    process.kill(this.pid, 'SIGTERM');
    const t = setTimeout(() => { try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ } }, 3000);
    await this.exited;
    clearTimeout(t);
  }
}

export async function startRtspCamera(opts = {}) {
  const cam = new RtspCamera({ port: opts.port ?? await freePort(), ...opts });
  return cam.start();
}

// ---- MJPEG multipart client ------------------------------------------------------------


// Connects to an MJPEG URL and parses parts as they arrive. Returns
// { parts: [{ length, contentType, soi, eoi, jpeg? }], status, headers, close(), ended,
//   pause(), resume() }. Keeps only the last few JPEG bodies (keepBodies).
export function mjpegClient(port, target, { keepBodies = 2 } = {}) {
  const c = { parts: [], status: 0, headers: {}, ended: false, error: null, bodies: [], bytes: 0 };
  let buf = Buffer.alloc(0);
  let boundary = null;
  c.ready = new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
      c.res = res;
      c.status = res.statusCode;
      c.headers = res.headers;
      const m = /boundary=([^;]+)/.exec(res.headers['content-type'] || '');
      boundary = m ? Buffer.from(`--${m[1]}`) : null;
      resolve(c);
      res.on('data', (d) => {
        c.bytes += d.length;
        if (!boundary) return;
        buf = Buffer.concat([buf, d]);
        parse();
      });
      res.on('end', () => { c.ended = true; });
      res.on('error', (e) => { c.error = e; c.ended = true; });
    });
    req.on('error', (e) => {
      c.error = e;
      c.ended = true;
      reject(e);
    });
    c.req = req;
  });
  function parse() {
    for (;;) {
      if (buf.length < boundary.length + 2) return;
      if (!buf.subarray(0, boundary.length).equals(boundary)) {
        c.error = new Error(`multipart framing broken at part ${c.parts.length}`);
        c.req.destroy();
        return;
      }
      if (buf.subarray(boundary.length, boundary.length + 2).toString() === '--') {
        c.closing = true;
        return;
      }
      const headerEnd = buf.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = buf.subarray(boundary.length + 2, headerEnd).toString('latin1');
      const len = Number((/Content-Length:\s*(\d+)/i.exec(head) || [])[1]);
      const type = (/Content-Type:\s*([^\r\n]+)/i.exec(head) || [])[1];
      const start = headerEnd + 4;
      if (!Number.isFinite(len)) {
        c.error = new Error('part without Content-Length');
        c.req.destroy();
        return;
      }
      if (buf.length < start + len + 2) return;
      const jpeg = buf.subarray(start, start + len);
      c.parts.push({
        length: len,
        contentType: type,
        soi: jpeg[0] === 0xff && jpeg[1] === 0xd8,
        eoi: jpeg[len - 2] === 0xff && jpeg[len - 1] === 0xd9,
        crlf: buf.subarray(start + len, start + len + 2).toString() === '\r\n',
        at: Date.now(),
      });
      c.bodies.push(Buffer.from(jpeg));
      if (c.bodies.length > keepBodies) c.bodies.shift();
      buf = buf.subarray(start + len + 2);
    }
  }
  c.close = () => { if (c.req) c.req.destroy(); };
  c.pause = () => c.res && c.res.socket.pause();
  c.resume = () => c.res && c.res.socket.resume();
  return c;
}

// Width and height from a JPEG's SOF marker.
export function jpegSize(buf) {
  if (buf[0] !== 0xff || buf[1] !== 0xd8) return null;
  let i = 2;
  while (i + 9 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const m = buf[i + 1];
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { i += 2; continue; }
    const len = buf.readUInt16BE(i + 2);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

// CPU seconds (user + system) used so far by a process, from /proc/<pid>/stat.
export function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);  // utime, stime (fields 14, 15)
  return ticks / 100;  // CLK_TCK is 100 on Linux
}
