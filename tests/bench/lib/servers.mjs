// The servers of the side-by-side WebRTC benchmarks (fanout.mjs, swarm.mjs): camrelay with a
// static `rtp` camera "bench", Janus with an RTP mountpoint, and one benchmark camera process
// sending the very same packets to both.
//
//   const env = await startServers({ camrelay: {...config}, janus: {...startJanus options} });
//   env.daemon, env.janus, env.camera, env.workDir, env.camrelayPort, env.janusPort
//   await stopServers(env, 'fanout');   // stops all three, keeps their logs in OUT_DIR
//   const empty = await measureEmptyServers({ camrelay: {...}, janus: {...}, names: ['camrelay', 'janus'] });
//     // both servers started without any stream: { camrelay: { rssKb, rssAnonKb, cpuPct }, janus: ... }
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, waitFor } from '../../integration/lib/daemon.mjs';
import { startCamera } from './camera.mjs';
import { startJanus } from './janus.mjs';
import { rssSettle, rssAnonKb, cpuPercentOver } from './procstat.mjs';
import { OUT_DIR } from './stats.mjs';

// `camrelay`: configuration merged over the bench camera's (e.g. webrtc limits, http);
// `janus`: options for startJanus beside rtpPort and workDir. The camera replays two recorded
// GOPs in a loop (camera.mjs, `replay`: no encoder beside the servers); BENCH_CAMERA=live
// keeps the live x264 encoder running instead.
export async function startServers({ camrelay = {}, janus = {} } = {}) {
  // Two even UDP ports (RTP; RTCP would be +1) well away from the daemon's default range.
  const base = 40000 + 2 * Math.floor(Math.random() * 5000);
  const [camrelayPort, janusPort] = [base, base + 2];
  const daemon = await startDaemon({
    name: 'camrelay',
    config: {
      ...camrelay,
      // BENCH_LOG_LEVEL=debug: the daemon's log (kept in OUT_DIR) with every viewer's join steps.
      ...(process.env.BENCH_LOG_LEVEL ? { log_level: process.env.BENCH_LOG_LEVEL } : {}),
      cameras: [{ id: 'bench', name: 'bench', auto_start: true,
        source: { type: 'rtp', negotiation: 'static', video_port: camrelayPort } }],
    },
  });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'camrelay-bench-janus-'));
  const j = await startJanus({ ...janus, rtpPort: janusPort, workDir });
  const camera = await startCamera({ to: [`127.0.0.1:${camrelayPort}`, `127.0.0.1:${janusPort}`],
    replay: process.env.BENCH_CAMERA !== 'live' });
  await waitFor(async () => (await daemon.get('/streams/bench')).body.state === 'active',
    { timeoutMs: 15000, message: 'camrelay stream "bench" active' });
  return { daemon, janus: j, camera, workDir, camrelayPort, janusPort };
}

// Stops the camera and both servers; the last 2 MiB of each server's log go to
// OUT_DIR/<name>-camrelay.log and <name>-janus.log.
export async function stopServers(env, name) {
  await env.camera.stop();
  await env.janus.stop();
  await env.daemon.stop();
  try {
    fs.mkdirSync(OUT_DIR, { recursive: true });
    fs.writeFileSync(path.join(OUT_DIR, `${name}-camrelay.log`), env.daemon.log.slice(-2 * 1024 * 1024));
    fs.writeFileSync(path.join(OUT_DIR, `${name}-janus.log`), env.janus.log().slice(-2 * 1024 * 1024));
  } catch {
    // best effort
  }
  await env.daemon.cleanup();
  fs.rmSync(env.workDir, { recursive: true, force: true });
}

// The baseline of the idle stream's cost: each server of `names` started with the same
// configuration but no stream at all (camrelay without cameras, Janus without a mountpoint),
// one after the other; RSS once settled (and its private anonymous part), CPU over
// `windowMs`. What a stream costs is the idle figure with the camera in minus this.
export async function measureEmptyServers({ camrelay = {}, janus = {}, windowMs = 5000,
  names = ['camrelay', 'janus'] } = {}) {
  const out = {};
  if (names.includes('camrelay')) await measureEmptyCamrelay(out, camrelay, windowMs);
  if (names.includes('janus')) await measureEmptyJanus(out, janus, windowMs);
  return out;
}

async function measureEmptyCamrelay(out, camrelay, windowMs) {
  const daemon = await startDaemon({ name: 'camrelay-empty', config: { ...camrelay, cameras: [] } });
  try {
    out.camrelay = { rssKb: await rssSettle(daemon.pid), rssAnonKb: rssAnonKb(daemon.pid),
      cpuPct: await cpuPercentOver(daemon.pid, windowMs) };
  } finally {
    await daemon.stop();
    await daemon.cleanup();
  }
}

async function measureEmptyJanus(out, janus, windowMs) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'camrelay-bench-janus-empty-'));
  try {
    const j = await startJanus({ ...janus, mountpointId: null, workDir });
    try {
      out.janus = { rssKb: await rssSettle(j.pid), rssAnonKb: rssAnonKb(j.pid), cpuPct: await cpuPercentOver(j.pid, windowMs) };
    } finally {
      await j.stop();
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
