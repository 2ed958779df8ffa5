// WebRTC fan-out: N viewers of one camera in one headless Chromium, camrelay beside Janus.
// Run inside the bench network namespace (scripts/bench.sh makes it):
//
//   node tests/bench/fanout.mjs [--quick] [--n 1,10,25,50,100] [--servers camrelay,janus]
//                               [--window S] [--settle S] [--per-page K] [--decode-all D]
//
// Environment (same meaning): BENCH_N, BENCH_SERVERS, BENCH_WINDOW_S, BENCH_SETTLE_S,
// BENCH_PER_PAGE, BENCH_DECODE_ALL, BENCH_QUICK=1, BENCH_OUT (results dir), BENCH_TRICKLE=0
// (both clients wait for the browser's candidates before sending its SDP, instead of trickling),
// CAMRELAY_BUILD_DIR (daemon and test camera), BENCH_PERF=N (record `perf record -g` of the
// daemon for the window of the run with N viewers, into $BENCH_OUT/perf-camrelay-N.data).
//
// Set-up: one synthetic camera process (tests/tools/rtsp_test_server --rtp-to, 1280x720@30,
// constrained baseline, ~2 Mbit/s, keyframe every 2 s, moving SMPTE bars; two GOPs recorded
// and replayed in a loop, BENCH_CAMERA=live: encoded live) sends the very same
// RTP packets to camrelay (rtp camera, negotiation static) and to Janus (streaming plugin, rtp
// mountpoint) at once; both servers run for the whole benchmark. Before them, each server runs
// once without any stream (the baseline of the idle stream's cost). For every N and server
// (interleaved: camrelay N, Janus N, camrelay next N, ...): a fresh browser, N viewers joining
// 100 ms apart (camrelay: WHEP; Janus: its REST API), wait until all are connected and have
// shown a frame, settle, then a fixed window in which the server's CPU (utime+stime from
// /proc/PID/stat) and RSS are taken and every viewer's inbound-rtp stats and encoded-frame
// counts are diffed. Then everything is closed and the next run waits until the server has
// no viewer left (camrelay GET /viewers, Janus admin list_sessions) and its RSS settles.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { waitFor, sleep, BUILD_DIR } from '../integration/lib/daemon.mjs';
import { launchBrowser } from '../integration/lib/browser.mjs';
import { startServers, stopServers, measureEmptyServers } from './lib/servers.mjs';
import { watchJanus } from './lib/janus_page.mjs';
import { watchWhep, collectViewers, closeViewers, startBlankServer, installBenchHooks } from './lib/viewer_page.mjs';
import { cpuTicks, rssKb, rssAnonKb, rssSettle } from './lib/procstat.mjs';
import { summary, writeResult, row, OUT_DIR } from './lib/stats.mjs';

// ------------------------------------------------------------------------------ options
function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === '--quick') o.quick = true;
    else if (a === '--n') o.n = next();
    else if (a === '--servers') o.servers = next();
    else if (a === '--window') o.window = next();
    else if (a === '--settle') o.settle = next();
    else if (a === '--per-page') o.perPage = next();
    else if (a === '--decode-all') o.decodeAll = next();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node tests/bench/fanout.mjs [--quick] [--n 1,10,25,50,100] [--servers camrelay,janus] [--window S] [--settle S] [--per-page K] [--decode-all D]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}
const args = parseArgs(process.argv.slice(2));
const env = process.env;
const quick = !!(args.quick || env.BENCH_QUICK === '1');
const NS = String(args.n || env.BENCH_N || (quick ? '1,10' : '1,10,25,50,100'))
  .split(',').map(Number).filter((n) => n > 0);
const SERVERS = String(args.servers || env.BENCH_SERVERS || 'camrelay,janus').split(',').filter(Boolean);
const WINDOW_S = Number(args.window || env.BENCH_WINDOW_S || (quick ? 5 : 10));
const SETTLE_S = Number(args.settle || env.BENCH_SETTLE_S || (quick ? 2 : 3));
const PER_PAGE = Number(args.perPage || env.BENCH_PER_PAGE || 25);
const DECODE_ALL = Number(args.decodeAll ?? env.BENCH_DECODE_ALL ?? 2);
const JOIN_SPACING_MS = 100;
const TRICKLE = env.BENCH_TRICKLE !== '0';
const PERF_N = env.BENCH_PERF ? Number(env.BENCH_PERF) : null;
const log = (...a) => console.error(`[fanout ${new Date().toISOString().slice(11, 23)}]`, ...a);

// ------------------------------------------------------------------------------ helpers
// Whole-machine CPU busy time (all cores) from /proc/stat, in seconds.
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

// UDP receive-queue drops (kernel: socket buffer full) of the sockets bound to `port`, from
// /proc/net/udp (this network namespace).
function udpDrops(port) {
  let drops = 0;
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 13) continue;
      if (parseInt(c[1].split(':')[1], 16) === port) drops += Number(c[c.length - 1]) || 0;
    }
  }
  return drops;
}

// CPU seconds of every Chromium process of this network namespace (the bench's own browser:
// the namespace is private to this run).
const MY_NETNS = fs.readlinkSync('/proc/self/ns/net');
function browserTicks() {
  let sum = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readlinkSync(`/proc/${d}/ns/net`) !== MY_NETNS) continue;
      const comm = fs.readFileSync(`/proc/${d}/comm`, 'utf8');
      if (!/chrom/i.test(comm)) continue;
      sum += cpuTicks(Number(d));
    } catch {
      // exited
    }
  }
  return sum;
}

// Runs `measure` over a window: CPU of pid and of the machine, wall time.
async function cpuWindow(pid, ms) {
  const mark = cpuMark(pid);
  await sleep(ms);
  return mark.end();
}

// CPU of pid, of the browser and of the machine from now until end() (the join phase).
function cpuMark(pid) {
  const c0 = cpuTicks(pid);
  const b0 = browserTicks();
  const m0 = machineTicks();
  const t0 = process.hrtime.bigint();
  return {
    end: () => {
      const c1 = cpuTicks(pid);
      const b1 = browserTicks();
      const m1 = machineTicks();
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      return {
        seconds: dt,
        cpuPct: (100 * (c1 - c0)) / dt,
        browserCpuPct: (100 * (b1 - b0)) / dt,
        machineBusyPct: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total) * os.cpus().length,
      };
    },
  };
}

function startPerf(pid, file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const p = spawn('perf', ['record', '-e', 'cpu-clock', '-g', '-F', '499', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  return {
    stop: () => new Promise((r) => {
      p.on('exit', r);
      try {
        process.kill(p.pid, 'SIGINT');
      } catch {
        r();
      }
    }),
  };
}

// ------------------------------------------------------------------------------ servers
// All addresses: viewers reach the API as 127.0.1.x (see viewerHost); the namespace has only
// lo and ifb0, nothing outside can connect.
const SERVER_OPTS = {
  camrelay: { http: { host: '0.0.0.0' }, webrtc: { max_viewers_per_stream: 200, max_viewers_total: 400 } },
  janus: { httpIp: '0.0.0.0' },
};
const setUp = () => startServers(SERVER_OPTS);

// Every viewer talks to the server through its own loopback address (127.0.1.1 ...): a
// browser opens at most 6 HTTP connections per host, so 100 viewers of one page sharing
// 127.0.0.1 would queue their signaling requests (Janus long polls, WHEP POSTs waiting for
// the answer) behind each other — an artifact of one browser playing 100 users.
const viewerHost = (i) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const withHost = (url, i) => {
  const u = new URL(url);
  u.hostname = viewerHost(i);
  return u.href.replace(/\/$/, '');
};

function servers(env) {
  return {
    camrelay: {
      pid: env.daemon.pid,
      watch: (page, keyframesOnly, i) => watchWhep(page, withHost(env.daemon.url('/streams/bench/whep'), i), { keyframesOnly, trickle: TRICKLE }),
      signaling: TRICKLE ? 'WHEP (POST /streams/bench/whep at once, browser candidates by PATCH, as npm whip-whep; DELETE at the end)'
        : 'WHEP (POST /streams/bench/whep with the browser\'s first candidate, later ones by PATCH; DELETE at the end)',
      remaining: async () => (await env.daemon.get('/viewers')).body.count,
      serverView: async () => (await env.daemon.get('/viewers')).body,
      ingestPort: env.camrelayPort,
      ingestFrames: async () => (await env.daemon.get('/streams/bench')).body.stats.frames,
    },
    janus: {
      pid: env.janus.pid,
      watch: (page, keyframesOnly, i) => watchJanus(page, withHost(env.janus.apiUrl, i), env.janus.mountpointId, { keyframesOnly, trickle: TRICKLE }),
      signaling: TRICKLE ? 'Janus REST API, one session per viewer (create, attach streaming, watch, start with the answer at once, browser candidates by trickle requests, as janus.js)'
        : 'Janus REST API, one session per viewer (create, attach streaming, watch, start with a non-trickle answer)',
      remaining: async () => (await env.janus.listSessions()).length,
      serverView: async () => null,
      ingestPort: env.janusPort,
      ingestFrames: async () => null,
    },
  };
}

// ------------------------------------------------------------------------------ one run
async function runOnce(srv, name, n, blank) {
  log(`${name}: N=${n}`);
  const rssBefore = await rssSettle(srv.pid);
  const browser = await launchBrowser();
  const pages = [];
  try {
    const pageCount = Math.ceil(n / PER_PAGE);
    for (let i = 0; i < pageCount; ++i) {
      const p = await browser.newPage();
      await p.goto(blank.url);
      await installBenchHooks(p);
      pages.push(p);
    }
    // Join N viewers 100 ms apart, round-robin over the pages; the first DECODE_ALL decode
    // every frame, the others only keyframes.
    const tJoin0 = Date.now();
    const joinCpu = cpuMark(srv.pid);
    const joins = [];
    for (let i = 0; i < n; ++i) {
      await sleep(Math.max(0, tJoin0 + i * JOIN_SPACING_MS - Date.now()));
      joins.push(srv.watch(pages[i % pageCount], i >= DECODE_ALL, i).catch((e) => ({ error: String(e) })));
    }
    await Promise.all(joins);
    const joinMs = Date.now() - tJoin0;
    // Wait until every viewer is connected and showed a frame (or failed).
    const deadline = 20000 + n * 100;
    let ready = false;
    try {
      await waitFor(async () => {
        const st = await Promise.all(pages.map((p) => p.evaluate(() => window.bench.viewers.map((v) =>
          v.error !== null || (v.connectedAt !== null && v.firstFrameAt !== null)))));
        return st.flat().every(Boolean);
      }, { timeoutMs: deadline, intervalMs: 250, message: `${name}: all ${n} viewers connected with a first frame` });
      ready = true;
    } catch (e) {
      log(`WARNING ${e.message.split('\n')[0]}`);
    }
    const tReady = Date.now();
    const joinPhase = joinCpu.end();
    await sleep(SETTLE_S * 1000);

    // The steady window.
    const snapA = (await Promise.all(pages.map(collectViewers))).flat();
    const perf = PERF_N === n && name === 'camrelay' ? startPerf(srv.pid, path.join(OUT_DIR, `perf-camrelay-${n}.data`)) : null;
    const drops0 = udpDrops(srv.ingestPort);
    const frames0 = await srv.ingestFrames().catch(() => null);
    const cpu = await cpuWindow(srv.pid, WINDOW_S * 1000);
    const frames1 = await srv.ingestFrames().catch(() => null);
    const drops1 = udpDrops(srv.ingestPort);
    if (perf) await perf.stop();
    const tSnap = Date.now();
    const snapB = (await Promise.all(pages.map(collectViewers))).flat();
    const rssSteady = rssKb(srv.pid);
    const server = await srv.serverView().catch(() => null);
    const phases = { joinMs: tReady - tJoin0, snapshotMs: Date.now() - tSnap };

    // Per viewer figures.
    const viewers = snapB.map((b, i) => {
      const a = snapA[i] || {};
      const dt = (b.at - a.at) / 1000;
      const dRecv = (b.packetsReceived ?? 0) - (a.packetsReceived ?? 0);
      const dLost = (b.packetsLost ?? 0) - (a.packetsLost ?? 0);
      return {
        kind: b.keyframesOnly ? 'keyframes-only' : 'decode-all',
        error: b.error,
        state: b.state,
        connectedMs: b.connectedMs,
        firstFrameMs: b.firstFrameMs,
        firstKeyframeMs: b.firstKeyframeMs,
        marks: b.marks,
        t0Epoch: b.t0Epoch,
        fps: ((b.encPictures ?? 0) - (a.encPictures ?? 0)) / dt,
        framesPerS: ((b.encFrames ?? 0) - (a.encFrames ?? 0)) / dt,
        keyframesPerS: ((b.encKeyframes ?? 0) - (a.encKeyframes ?? 0)) / dt,
        decodedFps: ((b.framesDecoded ?? 0) - (a.framesDecoded ?? 0)) / dt,
        kbps: (8 * ((b.bytesReceived ?? 0) - (a.bytesReceived ?? 0))) / dt / 1000,
        packets: dRecv,
        lost: dLost,
        lossPct: dRecv + dLost > 0 ? (100 * dLost) / (dRecv + dLost) : null,
        nack: (b.nackCount ?? 0) - (a.nackCount ?? 0),
        pli: (b.pliCount ?? 0) - (a.pliCount ?? 0),
        freezes: (b.freezeCount ?? 0) - (a.freezeCount ?? 0),
      };
    });
    const ok = viewers.filter((v) => !v.error && v.state === 'connected');
    const totPackets = ok.reduce((s, v) => s + v.packets, 0);
    const totLost = ok.reduce((s, v) => s + v.lost, 0);
    const full = ok.filter((v) => v.kind === 'decode-all');
    const res = {
      n,
      ready,
      joinMs,
      phases,
      viewersConnected: ok.length,
      viewersWithFrame: viewers.filter((v) => v.firstFrameMs !== null).length,
      errors: viewers.filter((v) => v.error).map((v) => v.error).slice(0, 5),
      connectedMs: summary(viewers.map((v) => v.connectedMs)),
      firstFrameMs: summary(viewers.map((v) => v.firstFrameMs)),
      firstKeyframeArrivalMs: summary(viewers.map((v) => v.firstKeyframeMs)),
      cpuPct: cpu.cpuPct,
      machineBusyPct: cpu.machineBusyPct,
      browserCpuPct: cpu.browserCpuPct,
      // From the first join until every viewer is connected with a frame.
      joinPhase: { seconds: joinPhase.seconds, serverCpuPct: joinPhase.cpuPct, browserCpuPct: joinPhase.browserCpuPct,
        machineBusyPct: joinPhase.machineBusyPct, serverCpuSeconds: (joinPhase.cpuPct * joinPhase.seconds) / 100 },
      ingestUdpDrops: drops1 - drops0,
      ingestFps: frames0 !== null && frames1 !== null ? (frames1 - frames0) / cpu.seconds : null,
      windowS: cpu.seconds,
      rssBeforeKb: rssBefore,
      rssSteadyKb: rssSteady,
      fps: summary(ok.map((v) => v.fps)),
      assembledFramesPerS: summary(ok.map((v) => v.framesPerS)),
      signalingMs: Object.fromEntries([...new Set(viewers.flatMap((v) => Object.keys(v.marks || {})))]
        .map((k) => [k, summary(viewers.map((v) => v.marks?.[k]))])),
      decodedFpsDecodeAll: summary(full.map((v) => v.decodedFps)),
      kbps: summary(ok.map((v) => v.kbps)),
      lossPct: totPackets + totLost > 0 ? (100 * totLost) / (totPackets + totLost) : null,
      lossPctPerViewer: summary(ok.map((v) => v.lossPct)),
      nackPerViewer: summary(ok.map((v) => v.nack)),
      pliPerViewer: summary(ok.map((v) => v.pli)),
      keyframesPerS: summary(ok.map((v) => v.keyframesPerS)),
      serverDroppedBuffers: server?.viewers ? server.viewers.reduce((s, v) => s + (v.stats?.dropped_buffers ?? 0), 0) : undefined,
      viewers: viewers.map(({ kind, connectedMs, firstFrameMs, fps, lossPct, error, marks, t0Epoch }) =>
        ({ kind, connectedMs, firstFrameMs, fps, lossPct, marks, t0Epoch, ...(error ? { error } : {}) })),
    };
    log(`${name} N=${n}: connected ${ok.length}/${n}, cpu ${cpu.cpuPct.toFixed(1)} % (browser ${cpu.browserCpuPct.toFixed(0)} %, machine ${cpu.machineBusyPct.toFixed(0)} % of ${os.cpus().length * 100}), ` +
      `ingest udp drops ${res.ingestUdpDrops}${res.ingestFps !== null ? `, ingest ${res.ingestFps.toFixed(1)} fps` : ''}, ` +
      `rss ${rssBefore}→${rssSteady} kB, ttff median ${res.firstFrameMs.median?.toFixed(0)} p95 ${res.firstFrameMs.p95?.toFixed(0)} ms, ` +
      `connected median ${res.connectedMs.median?.toFixed(0)} ms, fps median ${res.fps.median?.toFixed(1)} min ${res.fps.min?.toFixed(1)}, loss ${res.lossPct?.toFixed(3)} %, phases ${JSON.stringify(phases)}, join phase: server ${res.joinPhase.serverCpuSeconds.toFixed(2)} s CPU (${res.joinPhase.serverCpuPct.toFixed(0)} %), browser ${res.joinPhase.browserCpuPct.toFixed(0)} %, machine ${res.joinPhase.machineBusyPct.toFixed(0)} %`);
    return res;
  } finally {
    // Teardown: hang up (WHEP DELETE / Janus destroy), close the browser, wait until the
    // server holds no viewer.
    const tDown = Date.now();
    // A saturated renderer (N=100 on 2 cores) can take minutes to answer: bounded, then the
    // browser goes anyway (the servers notice the hang-ups through ICE/DTLS).
    const bounded = (pr, ms) => Promise.race([pr.catch(() => {}), sleep(ms)]);
    for (const p of pages) await bounded(closeViewers(p), 20000);
    await bounded(browser.close(), 20000);
    log(`${name} N=${n}: browser closed after ${Date.now() - tDown} ms`);
    try {
      await waitFor(async () => (await srv.remaining()) === 0,
        { timeoutMs: 15000, intervalMs: 200, message: `${name}: no viewer left` });
    } catch (e) {
      log(`WARNING ${e.message.split('\n')[0]}`);
    }
  }
}

// ------------------------------------------------------------------------------ main
async function main() {
  log(`N=${NS.join(',')} servers=${SERVERS.join(',')} window=${WINDOW_S}s settle=${SETTLE_S}s ` +
    `per-page=${PER_PAGE} decode-all=${DECODE_ALL} trickle=${TRICKLE}`);
  // The empty servers first (nothing else running yet): the baseline of the idle stream's cost.
  const empty = await measureEmptyServers({ ...SERVER_OPTS, names: SERVERS });
  for (const name of SERVERS) log(`${name} without a stream: cpu ${empty[name].cpuPct.toFixed(2)} %, rss ${empty[name].rssKb} kB`);
  const env = await setUp();
  const blank = await startBlankServer();
  const srvs = servers(env);
  const out = { config: {}, empty, idle: {}, runs: { camrelay: [], janus: [] } };
  try {
    // Probe the browser's transform support once (for the record).
    const b = await launchBrowser();
    const p = await b.newPage();
    await p.goto(blank.url);
    const transformMode = await installBenchHooks(p);
    await b.close();
    out.config = {
      n: NS, servers: SERVERS, windowS: WINDOW_S, settleS: SETTLE_S, joinSpacingMs: JOIN_SPACING_MS,
      viewersPerPage: PER_PAGE, decodeAllViewers: DECODE_ALL,
      camera: { args: env.camera.args, note: 'one process, same RTP packets to both servers; CPU not counted' },
      signaling: Object.fromEntries(SERVERS.map((s) => [s, srvs[s].signaling])),
      decodeCost: `Every viewer's receiver has an encoded-frame transform (${transformMode}) that counts every ` +
        `received frame (→ fps); the first ${DECODE_ALL} viewers of each run forward all frames to the decoder, ` +
        'the others only keyframes (delta frames are dropped before the decoder). Packet counts and loss come from ' +
        'inbound-rtp getStats (RTP level, before the transform). Viewers are spread over ' +
        `pages of at most ${PER_PAGE} (one RTCPeerConnection + one 64x36 <video> each) in one headless Chromium.`,
      firstFrame: 'from the start of negotiation (WHEP: before createOffer; Janus: before the create-session request) ' +
        'to the presentation time (requestVideoFrameCallback) of the first decoded frame',
      connected: 'from the start of negotiation to pc.connectionState "connected"',
      cpu: 'utime+stime of the server process from /proc/PID/stat over the window, % of one core; ' +
        'per viewer = (cpu_N - cpu_idle) / N',
      rss: 'VmRSS; before = settled before the viewers join; steady = end of the window; per viewer = (steady - before) / N',
      idleStreamCost: 'idle (camera in, 0 viewers) minus empty (the same server started without any stream: ' +
        'camrelay without cameras, Janus without a mountpoint): RSS, its private anonymous part (RssAnon: not ' +
        'library pages, which a second stream would not add again) and CPU',
      daemonBin: env.daemon.bin,
      buildDir: BUILD_DIR,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      kernel: os.release(),
    };
    // Idle: both servers receive the camera, no viewer.
    await sleep(2000);
    for (const name of SERVERS) {
      const rss = await rssSettle(srvs[name].pid);
      const cpu = await cpuWindow(srvs[name].pid, WINDOW_S * 1000);
      out.idle[name] = { cpuPct: cpu.cpuPct, rssKb: rss, rssAnonKb: rssAnonKb(srvs[name].pid) };
      log(`${name} idle: cpu ${cpu.cpuPct.toFixed(2)} %, rss ${rss} kB`);
    }
    for (const n of NS) {
      for (const name of SERVERS) {
        const r = await runOnce(srvs[name], name, n, blank);
        r.cpuPerViewerPct = (r.cpuPct - out.idle[name].cpuPct) / n;
        r.rssPerViewerKb = (r.rssSteadyKb - r.rssBeforeKb) / n;
        out.runs[name].push(r);
      }
    }
  } finally {
    await blank.close();
    await stopServers(env, 'fanout');
  }

  // Summary rows.
  const n_ = (r) => r.n;
  const get = (name, n) => out.runs[name]?.find((r) => r.n === n);
  const rows = [];
  const both = (metric, unit, f, better = 'lower') => {
    for (const n of NS) {
      const c = get('camrelay', n);
      const j = get('janus', n);
      rows.push(row(`fan-out N=${n}: ${metric}`, unit, c ? f(c) : null, j ? f(j) : null, better));
    }
  };
  rows.push(row('fan-out idle (camera in, 0 viewers): server CPU', '% core', out.idle.camrelay?.cpuPct, out.idle.janus?.cpuPct));
  rows.push(row('fan-out idle: server RSS', 'MB', out.idle.camrelay && out.idle.camrelay.rssKb / 1024, out.idle.janus && out.idle.janus.rssKb / 1024));
  const cost = (name, k) => out.idle[name] && out.empty[name] && out.idle[name][k] - out.empty[name][k];
  rows.push(row('server without a stream: RSS', 'MB', out.empty.camrelay && out.empty.camrelay.rssKb / 1024, out.empty.janus && out.empty.janus.rssKb / 1024));
  rows.push(row('idle stream\'s cost (idle - without a stream): RSS', 'MB', cost('camrelay', 'rssKb') / 1024, cost('janus', 'rssKb') / 1024));
  rows.push(row('idle stream\'s cost: private (anonymous) RSS', 'MB', cost('camrelay', 'rssAnonKb') / 1024, cost('janus', 'rssAnonKb') / 1024));
  rows.push(row('idle stream\'s cost: server CPU', '% core', cost('camrelay', 'cpuPct'), cost('janus', 'cpuPct')));
  both('server CPU', '% core', (r) => r.cpuPct);
  both('server CPU per viewer', '% core', (r) => r.cpuPerViewerPct);
  both('RSS per viewer', 'MB', (r) => r.rssPerViewerKb / 1024);
  both('first frame median', 'ms', (r) => r.firstFrameMs.median);
  both('first frame p95', 'ms', (r) => r.firstFrameMs.p95);
  both('connected median', 'ms', (r) => r.connectedMs.median);
  both('connected p95', 'ms', (r) => r.connectedMs.p95);
  both('server CPU per join (join phase, all threads)', 'ms', (r) => r.joinPhase && (1000 * r.joinPhase.serverCpuSeconds) / n_(r));
  both('machine busy in the join phase', `% of ${os.cpus().length * 100}`, (r) => r.joinPhase?.machineBusyPct);
  both('received fps, median viewer', 'fps', (r) => r.fps.median, 'higher');
  both('received fps, worst viewer', 'fps', (r) => r.fps.min, 'higher');
  both('decoded fps, decode-all viewers', 'fps', (r) => r.decodedFpsDecodeAll.median, 'higher');
  both('packet loss, all viewers', '%', (r) => r.lossPct);
  both('viewers connected with a frame', 'count', (r) => Math.min(r.viewersConnected, r.viewersWithFrame), 'higher');
  out.summary = rows;
  writeResult('fanout', out);
}

main().then(() => process.exit(0), (e) => {
  console.error(e.stack || e);
  process.exit(1);
});
