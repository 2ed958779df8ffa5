// Viewer swarm: the largest N of receive-only WebRTC viewers that camrelay and Janus serve
// with every viewer at >= 29 fps and < 0.5 % loss. The viewers are tests/tools/swarm
// (camrelay-swarm: webrtcbin without decoder, one process, NACK on, PLI on an unrepaired
// gap), not a browser, so that the viewers' own CPU stays small and is measured.
// Run inside the bench network namespace (scripts/bench.sh makes it):
//
//   node tests/bench/swarm.mjs
//
// Environment: BENCH_SWARM_N (list, default 25,50,...,300; BENCH_QUICK=1: 10,25),
// BENCH_SERVERS (camrelay,janus), BENCH_WINDOW_S (10; quick 5), BENCH_SETTLE_S (3; quick 2),
// BENCH_SWARM_CONFIRM=0 (no confirmation run after a server's first failing N),
// BENCH_SWARM_PIPELINE (shared | per-viewer, the swarm's --pipeline), BENCH_OUT,
// CAMRELAY_BUILD_DIR (daemon, test camera, swarm).
//
// Set-up as in fanout.mjs: one synthetic camera process (rtsp_test_server --rtp-to,
// 1280x720@30, ~2 Mbit/s, keyframe every 2 s; two GOPs recorded and replayed in a loop,
// BENCH_CAMERA=live: encoded live) sends the same RTP packets to camrelay (rtp
// camera, negotiation static) and Janus (streaming plugin, rtp mountpoint). For every N,
// interleaved (camrelay N, Janus N, ...): one swarm run (viewers 100 ms apart, then wait
// until all are connected with RTP, settle, window); the server's CPU and RSS are taken by
// /proc over the swarm's window (sampled from the moment the swarm prints "window starts",
// for the same length; also the server's per-thread CPU, the machine's busy time and the
// kernel UDP drops of the server's and the swarm's sockets). A server stops stepping after
// its first failing N (one more N to confirm, unless BENCH_SWARM_CONFIRM=0).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { waitFor, sleep, BUILD_DIR } from '../integration/lib/daemon.mjs';
import { startServers, stopServers } from './lib/servers.mjs';
import { cpuTicks, rssKb, rssSettle } from './lib/procstat.mjs';
import { writeResult, row } from './lib/stats.mjs';

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const NS = String(env.BENCH_SWARM_N || (quick ? '10,25' : '25,50,75,100,125,150,175,200,225,250,275,300'))
  .split(',').map(Number).filter((n) => n > 0);
const SERVERS = String(env.BENCH_SERVERS || 'camrelay,janus').split(',').filter(Boolean);
const WINDOW_S = Number(env.BENCH_WINDOW_S || (quick ? 5 : 10));
const SETTLE_S = Number(env.BENCH_SETTLE_S || (quick ? 2 : 3));
const CONFIRM = env.BENCH_SWARM_CONFIRM !== '0';
const PIPELINE = env.BENCH_SWARM_PIPELINE || 'shared';
const SWARM = env.CAMRELAY_SWARM || path.join(BUILD_DIR, 'tests', 'camrelay-swarm');
const JOIN_MS = 100;
const JANUS_ICE_IP = '127.0.0.2';
const PASS_FPS = 29;
const PASS_LOSS = 0.5;
const log = (...a) => console.error(`[swarm ${new Date().toISOString().slice(11, 23)}]`, ...a);

async function cpuOver(pid, ms) {
  const c0 = cpuTicks(pid);
  const t0 = process.hrtime.bigint();
  await sleep(ms);
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return (100 * (cpuTicks(pid) - c0)) / dt;
}

// Per-thread CPU of pid over ms (top 5 by CPU): what saturates in the server.
async function threadsOver(pid, ms) {
  const read = () => {
    const m = new Map();
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const s = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        m.set(t, { name, ticks: Number(f[11]) + Number(f[12]) });
      } catch {
        // thread gone
      }
    }
    return m;
  };
  const a = read();
  await sleep(ms);
  const b = read();
  const byName = new Map();
  for (const [t, v] of b) {
    const d = v.ticks - (a.get(t)?.ticks ?? v.ticks);
    if (!Number.isFinite(d)) continue;  // a stat line read while the thread changed
    const k = v.name.replace(/\d+/g, '#');
    const e = byName.get(k) || { name: k, threads: 0, cpuPct: 0 };
    e.threads += 1;
    e.cpuPct += d / (ms / 1000);  // ticks are 1/100 s: ticks per s = % of one core
    byName.set(k, e);
  }
  return [...byName.values()].sort((x, y) => y.cpuPct - x.cpuPct).slice(0, 8);
}

// Whole-machine busy CPU (all cores, % of one core) from /proc/stat, as a counter pair.
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

// Kernel drops (receive buffer full) of the UDP sockets that process `pid` holds, from
// /proc/net/udp{,6} of this namespace, per socket (inode): packets a starved receiver never
// read. dropsSince(a, b): the drops between two readings, on the sockets in both.
function udpDropsOf(pid) {
  const inodes = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const drops = new Map();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length >= 13 && inodes.has(c[9])) drops.set(c[9], Number(c[c.length - 1]) || 0);
    }
  }
  return drops;
}
const dropsSince = (a, b) => [...b].reduce((n, [inode, d]) => n + (a.has(inode) ? d - a.get(inode) : 0), 0);

// One swarm run; the server's CPU, RSS and per-thread CPU are sampled while the swarm is in
// its window: the swarm prints "joins done" on stderr, then waits for every viewer, settles
// and measures. We start our window when the swarm's own starts (its "window" line).
function runSwarm(args, pid, windowS) {
  return new Promise((resolve, reject) => {
    const p = spawn(SWARM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let sample = null;
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => {
      err += d;
      if (!sample && /window starts/.test(err)) {
        const m0 = machineTicks();
        const d0 = { server: udpDropsOf(pid), swarm: udpDropsOf(p.pid) };
        sample = Promise.all([cpuOver(pid, windowS * 1000), threadsOver(pid, windowS * 1000)])
          .then(([cpuPct, threads]) => {
            const m1 = machineTicks();
            return { cpuPct, threads, rssKb: rssKb(pid),
              machineBusyPct: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total) * os.cpus().length,
              serverUdpDrops: dropsSince(d0.server, udpDropsOf(pid)), swarmUdpDrops: dropsSince(d0.swarm, udpDropsOf(p.pid)) };
          });
      }
    });
    p.on('error', reject);
    p.on('exit', async (code) => {
      let json = null;
      try {
        json = JSON.parse(out);
      } catch {
        // reported below
      }
      resolve({ code, json, err, server: sample ? await sample : null });
    });
  });
}

// Janus gathers on 127.0.0.2 only (lib/netns.sh) and connects to viewers on that address:
// checks from a viewer candidate on 127.0.0.1 fail, so the swarm's Janus viewers use it too.
const setUp = () => startServers({
  camrelay: { webrtc: { max_viewers_per_stream: 1000, max_viewers_total: 1000, max_viewers_per_ip: 0 } },
  janus: { iceIp: JANUS_ICE_IP },
});

function servers(e) {
  return {
    camrelay: {
      pid: e.daemon.pid,
      args: ['--whep', e.daemon.url('/streams/bench/whep')],
      remaining: async () => (await e.daemon.get('/viewers')).body.count,
    },
    janus: {
      pid: e.janus.pid,
      args: ['--janus', e.janus.apiUrl, '--mountpoint', String(e.janus.mountpointId), '--local-ip', JANUS_ICE_IP],
      remaining: async () => (await e.janus.listSessions()).length,
    },
  };
}

async function runOnce(srv, name, n, idle) {
  const rssBefore = await rssSettle(srv.pid);
  log(`${name}: N=${n}`);
  const args = [...srv.args, '--n', String(n), '--join-interval-ms', String(JOIN_MS), '--settle-s', String(SETTLE_S),
    '--duration-s', String(WINDOW_S), '--connect-timeout-s', String(20 + n * 0.05), '--pipeline', PIPELINE];
  const r = await runSwarm(args, srv.pid, WINDOW_S);
  const j = r.json;
  if (!j) throw new Error(`${name} N=${n}: the swarm printed no JSON (exit ${r.code})\n${r.err.slice(-3000)}`);
  const s = j.summary;
  const viewers = j.viewers;
  const fpsAll = viewers.map((v) => v.fps ?? 0);
  const lossAll = viewers.map((v) => v.loss_pct ?? 100);
  const minFps = Math.min(...fpsAll);
  const maxLoss = Math.max(...lossAll);
  const res = {
    n,
    pass: s.connected === n && minFps >= PASS_FPS && maxLoss < PASS_LOSS,
    connected: s.connected,
    errors: s.errors,
    firstError: s.first_error,
    fpsMedian: s.fps.median,
    fpsMin: minFps,
    lossMaxPct: maxLoss,
    viewersBelowFps: fpsAll.filter((f) => f < PASS_FPS).length,
    deliveredLossMaxPct: Math.max(...viewers.map((v) => v.delivered_loss_pct ?? 100)),
    jitterbufferLate: viewers.reduce((a, v) => a + (v.jitterbuffer_late || 0), 0),
    nacksSent: viewers.reduce((a, v) => a + (v.nacks_sent || 0), 0),
    rtxInTime: viewers.reduce((a, v) => a + (v.rtx_in_time || 0), 0),
    plisSent: viewers.reduce((a, v) => a + (v.plis_sent || 0), 0),
    connectedMs: s.connected_ms,
    firstPacketMs: s.first_packet_ms,
    joinsMs: j.joins_ms,
    windowS: j.window_s,
    serverCpuPct: r.server?.cpuPct ?? null,
    serverCpuPerViewerPct: r.server ? (r.server.cpuPct - idle.cpuPct) / n : null,
    serverRssKb: r.server?.rssKb ?? null,
    serverRssPerViewerKb: r.server ? (r.server.rssKb - rssBefore) / n : null,
    serverThreads: r.server?.threads ?? null,
    machineBusyPct: r.server?.machineBusyPct ?? null,
    serverUdpDrops: r.server?.serverUdpDrops ?? null,
    swarmUdpDrops: r.server?.swarmUdpDrops ?? null,
    swarmCpuPct: j.swarm.cpu_pct,
    swarmCpuPerViewerPct: j.swarm.cpu_pct / n,
    swarmRssKb: j.swarm.rss_kb,
    swarmThreads: j.swarm.threads,
    machineLoad1: os.loadavg()[0],
  };
  log(`${name} N=${n}: ${res.pass ? 'PASS' : 'FAIL'} connected ${res.connected}/${n}, fps median ${res.fpsMedian?.toFixed(1)} ` +
    `min ${minFps.toFixed(1)}, loss max ${maxLoss.toFixed(3)} % (after jitter buffer ${res.deliveredLossMaxPct.toFixed(3)} %), ` +
    `nacks ${res.nacksSent}, rtx in time ${res.rtxInTime}, plis ${res.plisSent}, server cpu ${res.serverCpuPct?.toFixed(0)} %, ` +
    `swarm cpu ${res.swarmCpuPct.toFixed(0)} %, machine ${res.machineBusyPct?.toFixed(0)} % of ${os.cpus().length * 100} %, ` +
    `udp drops server ${res.serverUdpDrops} swarm ${res.swarmUdpDrops}${res.firstError ? `, first error: ${res.firstError}` : ''}`);
  try {
    await waitFor(async () => (await srv.remaining()) === 0,
      { timeoutMs: 20000, intervalMs: 250, message: `${name}: no viewer left` });
  } catch (e) {
    log(`WARNING ${e.message.split('\n')[0]}`);
  }
  return res;
}

async function main() {
  if (!fs.existsSync(SWARM)) throw new Error(`${SWARM} missing: build with -DCAMRELAY_BUILD_TESTS=ON`);
  log(`N=${NS.join(',')} servers=${SERVERS.join(',')} window=${WINDOW_S}s settle=${SETTLE_S}s pipeline=${PIPELINE}`);
  const e = await setUp();
  const srvs = servers(e);
  const out = { config: {}, idle: {}, runs: Object.fromEntries(SERVERS.map((s) => [s, []])), largestPassing: {} };
  try {
    out.config = {
      n: NS, servers: SERVERS, windowS: WINDOW_S, settleS: SETTLE_S, joinSpacingMs: JOIN_MS, swarmPipeline: PIPELINE,
      pass: `every viewer connected, >= ${PASS_FPS} fps (RTP marker bits) and < ${PASS_LOSS} % loss (extended sequence numbers) over the window`,
      camera: { args: e.camera.args, note: 'one process, same RTP packets to both servers; CPU not counted' },
      cpu: 'utime+stime from /proc over the swarm window, % of one core; server per viewer = (cpu_N - cpu_idle) / N',
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      loadBefore: os.loadavg(),
    };
    await sleep(2000);
    for (const name of SERVERS) {
      const rss = await rssSettle(srvs[name].pid);
      out.idle[name] = { cpuPct: await cpuOver(srvs[name].pid, WINDOW_S * 1000), rssKb: rss };
      log(`${name} idle: cpu ${out.idle[name].cpuPct.toFixed(2)} %, rss ${rss} kB`);
    }
    const failures = Object.fromEntries(SERVERS.map((s) => [s, 0]));
    for (const n of NS) {
      for (const name of SERVERS) {
        if (failures[name] >= (CONFIRM ? 2 : 1)) continue;
        const r = await runOnce(srvs[name], name, n, out.idle[name]);
        out.runs[name].push(r);
        if (r.pass && !failures[name]) out.largestPassing[name] = n;
        if (!r.pass) failures[name] += 1;
      }
      if (SERVERS.every((s) => failures[s] >= (CONFIRM ? 2 : 1))) break;
    }
  } finally {
    await stopServers(e, 'swarm');
  }

  const get = (name, n) => out.runs[name]?.find((r) => r.n === n);
  const rows = [];
  const measured = NS.filter((n) => SERVERS.some((s) => get(s, n)));
  const both = (metric, unit, f, better = 'lower') => {
    for (const n of measured) {
      const c = get('camrelay', n);
      const j = get('janus', n);
      rows.push(row(`swarm N=${n}: ${metric}`, unit, c ? f(c) : null, j ? f(j) : null, better));
    }
  };
  rows.push(row('swarm idle: server CPU', '% core', out.idle.camrelay?.cpuPct, out.idle.janus?.cpuPct));
  both('pass (all >= 29 fps, < 0.5 % loss)', '1/0', (r) => (r.pass ? 1 : 0), 'higher');
  both('viewers connected', 'count', (r) => r.connected, 'higher');
  both('server CPU', '% core', (r) => r.serverCpuPct);
  both('server CPU per viewer', '% core', (r) => r.serverCpuPerViewerPct);
  both('server RSS per viewer', 'MB', (r) => r.serverRssPerViewerKb / 1024);
  both('swarm CPU per viewer', '% core', (r) => r.swarmCpuPerViewerPct);
  both('machine busy (all processes)', `% of ${os.cpus().length * 100}`, (r) => r.machineBusyPct);
  both('UDP drops in the swarm (kernel)', 'packets', (r) => r.swarmUdpDrops);
  both('fps, median viewer', 'fps', (r) => r.fpsMedian, 'higher');
  both('fps, worst viewer', 'fps', (r) => r.fpsMin, 'higher');
  both('loss, worst viewer', '%', (r) => r.lossMaxPct);
  both('loss after the 200 ms jitter buffer, worst viewer', '%', (r) => r.deliveredLossMaxPct);
  both('NACKs sent by all viewers (whole session)', 'count', (r) => r.nacksSent);
  both('connected median', 'ms', (r) => r.connectedMs.median);
  both('connected p95', 'ms', (r) => r.connectedMs.p95);
  rows.push(row('swarm: largest N passing', 'viewers', out.largestPassing.camrelay ?? 0, out.largestPassing.janus ?? 0, 'higher'));
  out.summary = rows;
  writeResult('swarm', out);
}

main().then(() => process.exit(0), (err) => {
  console.error(err.stack || err);
  process.exit(1);
});
