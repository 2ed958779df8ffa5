// The synthetic camera of the benchmarks: tests/tools/rtsp_test_server --rtp-to, a separate
// process (its CPU is not counted) sending the very same H.264 RTP packets (pt 96, one
// SSRC, x264 tune=zerolatency, constrained baseline) to every address in `to` at once. It
// ignores RTCP: no FIR/PLI handling, viewers get keyframes every keyInt frames only.
//
//   const cam = await startCamera({ to: ['127.0.0.1:5000', '127.0.0.1:5002'] });
//   ... await cam.stop();
//
// Options: to (required), stamp (wall-clock blocks for glass-to-glass), delayMs (hold each
// raw frame, a known added delay), keyInt (frames, 60 = 2 s at 30 fps), bitrate (kbit/s),
// width, height, fps, pattern ('smpte'), speed (px per frame of motion, 4), replay (record two
// GOPs once and send them in a loop: replay_camera.mjs; the same packets without the encoder's
// CPU; not with stamp or delayMs).
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR } from '../../integration/lib/daemon.mjs';
import { spawnProc } from './procs.mjs';

export const CAMERA_BIN = path.join(BUILD_DIR, 'tests', 'rtsp_test_server');

export async function startCamera({ to, stamp = false, delayMs = 0, keyInt = 60, bitrate = 2000,
  width = 1280, height = 720, fps = 30, pattern = 'smpte', speed = 4, replay = false } = {}) {
  if (!Array.isArray(to) || !to.length) throw new Error('startCamera: `to` must list HOST:PORT addresses');
  if (!fs.existsSync(CAMERA_BIN)) {
    throw new Error(`${CAMERA_BIN} not found: build with -DCAMRELAY_BUILD_TESTS=ON (or set CAMRELAY_BUILD_DIR)`);
  }
  const args = ['--pattern', pattern, '--speed', String(speed),
    '--key-int', String(keyInt), '--bitrate', String(bitrate), '--width', String(width),
    '--height', String(height), '--fps', String(fps)];
  if (replay) {
    if (stamp || delayMs) throw new Error('startCamera: replay does not stamp or delay frames');
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'replay_camera.mjs');
    args.unshift(script, '--to', to.join(','));
    const p = await spawnProc('camera', process.execPath, args, { ready: (l) => l.startsWith('READY '), timeoutMs: 40000 });
    return { pid: p.pid, args: args.slice(1), log: p.log, stop: () => p.stop() };
  }
  args.unshift('--rtp-to', to.join(','));
  if (stamp) args.push('--stamp');
  if (delayMs) args.push('--delay-ms', String(delayMs));
  const p = await spawnProc('camera', CAMERA_BIN, args, { ready: (l) => l.startsWith('READY ') });
  return { pid: p.pid, args, log: p.log, stop: () => p.stop() };
}

// A free even UDP port whose odd neighbour (RTCP) is free too.
export async function freeUdpPair() {
  const bind = (port) => new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(null));
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
  for (let i = 0; i < 50; ++i) {
    const a = await bind(0);
    const port = a.address().port;
    a.close();
    if (port % 2 || port > 65000) continue;
    const [x, y] = [await bind(port), await bind(port + 1)];
    x?.close();
    y?.close();
    if (x && y) return port;
  }
  throw new Error('no free UDP port pair');
}
