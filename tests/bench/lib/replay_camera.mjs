// The replayed benchmark camera: records a few seconds of the synthetic camera's H.264 RTP
// (tests/tools/rtsp_test_server --rtp-to, x264) once, then stops the encoder and sends the
// recorded frames in a loop, paced by their RTP timestamps, to every address in --to. The
// loop is cut at keyframes (`--gops` GOPs from the encoder's second keyframe on), so
// each pass is a valid stream; sequence numbers and timestamps run on across passes, the
// SSRC stays. Same packets as the live camera, without the live encoder's 30-60 % of a core
// on the machine that also runs the servers and the viewers.
//
//   node tests/bench/lib/replay_camera.mjs --to 127.0.0.1:5000,127.0.0.1:5002 [--gops 2]
//        [any rtsp_test_server option: --width --height --fps --bitrate --key-int --pattern --speed]
//
// Prints "READY replay <frames> frames, <seconds> s loop, <packets> packets" once it sends;
// SIGTERM/SIGINT end it. The encoder is a child process killed by PID once recorded (or on
// any failure).
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { CAMERA_BIN } from './camera.mjs';

const argv = process.argv.slice(2);
let to = [];
let gops = 2;
const passThrough = [];
for (let i = 0; i < argv.length; ++i) {
  if (argv[i] === '--to') to = argv[++i].split(',').filter(Boolean);
  else if (argv[i] === '--gops') gops = Number(argv[++i]);
  else passThrough.push(argv[i]);
}
if (!to.length || !(gops >= 1)) {
  console.error('usage: replay_camera.mjs --to HOST:PORT[,HOST:PORT...] [--gops N] [camera options]');
  process.exit(2);
}
const dests = to.map((a) => {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i), port: Number(a.slice(i + 1)) };
});

// RTP payload offset (after CSRCs and a header extension), or -1 if not RTP.
function payloadOffset(b) {
  if (b.length < 12 || (b[0] >> 6) !== 2) return -1;
  let off = 12 + 4 * (b[0] & 0x0f);
  if (b[0] & 0x10) {
    if (b.length < off + 4) return -1;
    off += 4 + 4 * b.readUInt16BE(off + 2);
  }
  return off < b.length ? off : -1;
}

// True if the packet carries an SPS or IDR NAL unit (single NAL, STAP-A, or FU-A start).
function startsKeyframe(b) {
  const off = payloadOffset(b);
  if (off < 0) return false;
  const type = b[off] & 0x1f;
  const key = (t) => t === 5 || t === 7;
  if (type >= 1 && type <= 23) return key(type);
  if (type === 24) {
    for (let p = off + 1; p + 2 < b.length;) {
      const size = b.readUInt16BE(p);
      if (key(b[p + 2] & 0x1f)) return true;
      p += 2 + size;
    }
    return false;
  }
  if (type === 28 && off + 1 < b.length) return (b[off + 1] & 0x80) !== 0 && key(b[off + 1] & 0x1f);
  return false;
}

// The loop leaves out the encoder's first GOP (its rate control settling in).
const SKIP_GOPS = 1;

// Records until the loop is complete: frames (packets of one timestamp) from the keyframe
// SKIP_GOPS GOPs in up to, not including, the keyframe `gops` GOPs later.
function record() {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const frames = [];  // { ts, key, packets }
    let enc = null;
    let log = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no complete loop of ${gops} GOPs within 60 s\n${log.slice(-2000)}`)), 60000);
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (enc && enc.exitCode === null) {
        try {
          process.kill(enc.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      sock.close();
      if (err) reject(err);
      else resolve(frames);
    };
    sock.on('message', (b) => {
      if (done || payloadOffset(b) < 0) return;
      const ts = b.readUInt32BE(4);
      let f = frames[frames.length - 1];
      if (!f || f.ts !== ts) frames.push(f = { ts, key: false, packets: [] });
      f.packets.push(b);
      if (f.key || !startsKeyframe(b)) return;
      f.key = true;
      const keyAt = frames.flatMap((x, i) => (x.key ? [i] : []));
      if (keyAt.length <= SKIP_GOPS + gops) return;
      frames.splice(keyAt[SKIP_GOPS + gops]);
      frames.splice(0, keyAt[SKIP_GOPS]);
      finish(null);
    });
    sock.bind(0, '127.0.0.1', () => {
      const args = ['--rtp-to', `127.0.0.1:${sock.address().port}`, ...passThrough];
      enc = spawn(CAMERA_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      enc.stdout.on('data', (d) => { log += d; });
      enc.stderr.on('data', (d) => { log += d; });
      enc.on('error', (e) => finish(e));
      enc.on('exit', (code, sig) => {
        finish(new Error(`camera exited while recording (code ${code}, signal ${sig})\n${log.slice(-2000)}`));
      });
    });
  });
}

const frames = await record();
const ts0 = frames[0].ts;
// The loop's length: the last frame's distance from the first plus one frame interval.
const last = (frames[frames.length - 1].ts - ts0) >>> 0;
const loopTicks = last + Math.round(last / Math.max(1, frames.length - 1));
const offsets = frames.map((f) => (f.ts - ts0) >>> 0);
const out = dgram.createSocket('udp4');
let seq = frames[0].packets[0].readUInt16BE(2);
let pass = 0;
let next = 0;
const start = performance.now() + 20;
const dueMs = (p, i) => start + (p * loopTicks + offsets[i]) / 90;

function tick() {
  const now = performance.now();
  while (dueMs(pass, next) <= now) {
    const tsAdd = pass * loopTicks;
    for (const src of frames[next].packets) {
      const b = Buffer.from(src);
      b.writeUInt16BE(seq, 2);
      seq = (seq + 1) & 0xffff;
      b.writeUInt32BE((src.readUInt32BE(4) + tsAdd) >>> 0, 4);
      for (const d of dests) out.send(b, d.port, d.host);
    }
    if (++next === frames.length) {
      next = 0;
      ++pass;
    }
  }
  setTimeout(tick, Math.max(0, dueMs(pass, next) - performance.now()));
}

const packets = frames.reduce((n, f) => n + f.packets.length, 0);
const bytes = frames.reduce((n, f) => n + f.packets.reduce((m, b) => m + b.length, 0), 0);
console.log(`READY replay ${frames.length} frames, ${(loopTicks / 90000).toFixed(3)} s loop, ${packets} packets, ` +
  `${Math.round((8 * bytes * 90) / loopTicks)} kbit/s`);
tick();
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => process.exit(0));
