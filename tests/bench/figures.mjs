// Other figures (issue 6 point 5): stream start time, MJPEG CPU per stream, REST throughput.
//
//   node tests/bench/figures.mjs          (no WebRTC: needs no network namespace, but runs
//                                          fine inside the one scripts/bench.sh makes)
//
// 1. Stream start, for three camera types in one daemon: `test` (camrelay's own
//    videotestsrc + x264enc), `rtsp` (tests/tools/rtsp_test_server as an RTSP camera:
//    RTSP over TCP, camrelay's default 200 ms rtspsrc latency) and `rtp` with
//    `negotiation: "static"` (the benchmark camera of lib/camera.mjs pushing RTP all the
//    time). One warm-up cycle, then FIG_START_CYCLES (10) cycles of POST /streams/ID/start
//    → poll GET /streams/ID every 5 ms until `active` → POST /streams/ID/stop, with pauses
//    spread over a GOP between cycles. Reported:
//    the daemon's `startup_ms` (start request → first buffer in the tee) and the client's
//    time from sending the POST to seeing `active` (includes the polling, ≤ 5 ms + one GET).
// 2. MJPEG CPU: the benchmark camera (720p30, ~2 Mbit/s, 2 s GOP) into the `rtp` camera;
//    daemon CPU (utime+stime from /proc/PID/stat, % of one core) over FIG_WINDOW_S (10 s)
//    with 0, 1 and 10 MJPEG clients (plain HTTP readers in node, parsing every part);
//    MJPEG cost = CPU(N) - CPU(0). JPEG frames per second each client received.
// 3. REST throughput: wrk -t2 -c32 -d10s --latency on GET /health and GET /streams (three
//    cameras configured, the rtp one streaming). wrk runs on the same 2 cores as the daemon.
// Environment: FIG_START_CYCLES (10), FIG_WINDOW_S (10), FIG_WRK_S (10); BENCH_QUICK=1
// makes them 4, 4, 4.
// Output: a table on stdout and writeResult('figures', …) ($BENCH_OUT/figures.json).
import { execFile } from 'node:child_process';
import { startDaemon, waitFor, sleep, httpRequest } from '../integration/lib/daemon.mjs';
import { startRtspCamera, mjpegClient } from '../integration/lib/rtsp_camera.mjs';
import { startCamera, freeUdpPair } from './lib/camera.mjs';
import { cpuTicks, rssKb } from './lib/procstat.mjs';
import { summary, row, writeResult } from './lib/stats.mjs';

const QUICK = !!process.env.BENCH_QUICK;
const CYCLES = Number(process.env.FIG_START_CYCLES || (QUICK ? 4 : 10));
const WINDOW_S = Number(process.env.FIG_WINDOW_S || (QUICK ? 4 : 10));
const WRK_S = Number(process.env.FIG_WRK_S || (QUICK ? 4 : 10));
const log = (...a) => console.error('[figures]', ...a);


const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

// One start/stop cycle. Returns { startup_ms, client_ms }.
async function startCycle(d, id) {
  const t0 = performance.now();
  const r = await d.post(`/streams/${id}/start`);
  if (r.status !== 202) throw new Error(`start ${id}: ${r.status} ${r.text}`);
  let s;
  for (;;) {
    s = await stream(d, id);
    if (s.state === 'active') break;
    if (s.state === 'error') throw new Error(`${id}: ${s.error}`);
    if (performance.now() - t0 > 20000) throw new Error(`${id} not active after 20 s (state ${s.state})`);
    await sleep(5);
  }
  const clientMs = performance.now() - t0;
  const startup = s.startup_ms ?? (await waitFor(async () => (await stream(d, id)).startup_ms, 2000));
  const stop = await d.post(`/streams/${id}/stop`, undefined, { timeoutMs: 10000 });
  if (stop.status !== 200 || stop.body.state !== 'stopped') throw new Error(`stop ${id}: ${stop.status} ${stop.text}`);
  return { startup_ms: startup, client_ms: clientMs };
}

// Between cycles a pause spread evenly over one 2 s GOP (golden-ratio steps): without it
// the cycles lock to the camera's GOP phase (a cycle ends just after a keyframe), and a
// source that waits for a keyframe would always wait a whole GOP.
async function measureStart(d, id) {
  const warm = await startCycle(d, id);
  const cycles = [];
  for (let i = 0; i < CYCLES; ++i) {
    await sleep(Math.round((((i + 1) * 0.6180339887) % 1) * 2000));
    cycles.push(await startCycle(d, id));
  }
  return {
    warmup: warm,
    startup_ms: summary(cycles.map((c) => c.startup_ms)),
    client_active_ms: summary(cycles.map((c) => c.client_ms)),
    cycles,
  };
}

// Daemon CPU (% of one core) over `s` seconds, and what the MJPEG clients got meanwhile.
async function cpuWindow(d, clients, s = WINDOW_S) {
  const parts0 = clients.map((c) => c.parts.length);
  const enc0 = ((await stream(d, 'cam')).source.outputs || {}).mjpeg?.frames_encoded ?? 0;
  const c0 = cpuTicks(d.pid);
  const t0 = performance.now();
  await sleep(s * 1000);
  const c1 = cpuTicks(d.pid);
  const el = (performance.now() - t0) / 1000;
  const enc1 = ((await stream(d, 'cam')).source.outputs || {}).mjpeg?.frames_encoded ?? 0;
  const fps = clients.map((c, i) => (c.parts.length - parts0[i]) / el);
  return {
    cpu_pct: (100 * (c1 - c0)) / el,
    encoded_fps: (enc1 - enc0) / el,
    client_fps: clients.length ? summary(fps) : null,
    rss_kb: rssKb(d.pid),
  };
}

async function openMjpeg(d, n) {
  const cs = Array.from({ length: n }, () => mjpegClient(d.port, '/streams/cam/mjpeg', { keepBodies: 0 }));
  await Promise.all(cs.map((c) => c.ready));
  for (const c of cs) if (c.status !== 200) throw new Error(`MJPEG client: status ${c.status}`);
  await waitFor(() => cs.every((c) => c.parts.length >= 5), { timeoutMs: 15000, message: 'MJPEG parts at every client' });
  await sleep(1000);
  return cs;
}

async function measureMjpeg(d) {
  await sleep(1000);
  const idle = await cpuWindow(d, []);
  const c1 = await openMjpeg(d, 1);
  const one = await cpuWindow(d, c1);
  const c9 = await openMjpeg(d, 9);
  const ten = await cpuWindow(d, [...c1, ...c9]);
  const errors = [...c1, ...c9].filter((c) => c.error).map((c) => String(c.error));
  for (const c of [...c1, ...c9]) c.close();
  const cfg = ((await stream(d, 'cam')).source.outputs || {}).mjpeg || {};
  return {
    mjpeg_config: { fps: cfg.fps, quality: cfg.quality, width: cfg.width, height: cfg.height },
    idle, clients_1: one, clients_10: ten,
    cost_1_pct: one.cpu_pct - idle.cpu_pct,
    cost_10_pct: ten.cpu_pct - idle.cpu_pct,
    per_extra_client_pct: (ten.cpu_pct - one.cpu_pct) / 9,
    client_errors: errors,
  };
}

// wrk's output → { rps, latency_ms: {p50, p75, p90, p99}, requests, non2xx, socket_errors }.
export function parseWrk(out) {
  const ms = (v, unit) => Number(v) * ({ us: 0.001, ms: 1, s: 1000, m: 60000 }[unit] ?? NaN);
  const lat = {};
  for (const m of out.matchAll(/^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) lat[`p${m[1]}`] = ms(m[2], m[3]);
  const rps = Number((/Requests\/sec:\s+([\d.]+)/.exec(out) || [])[1]);
  const requests = Number((/(\d+) requests in/.exec(out) || [])[1]);
  const non2xx = Number((/Non-2xx or 3xx responses:\s+(\d+)/.exec(out) || [0, 0])[1]);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = se ? se.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { rps, latency_ms: lat, requests, non2xx, socket_errors: socketErrors };
}

function runWrk(url, { threads = 2, conns = 32, seconds = WRK_S } = {}) {
  const args = [`-t${threads}`, `-c${conns}`, `-d${seconds}s`, '--latency', url];
  return new Promise((resolve, reject) => {
    execFile('wrk', args, { timeout: (seconds + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`wrk ${args.join(' ')}: ${stderr || err.message}`));
      resolve({ cmd: `wrk ${args.join(' ')}`, ...parseWrk(stdout), raw: stdout });
    });
  });
}

async function measureRest(d) {
  const out = {};
  for (const p of ['/health', '/streams']) {
    const c0 = cpuTicks(d.pid);
    const t0 = performance.now();
    const r = await runWrk(d.url(p));
    const c1 = cpuTicks(d.pid);
    const el = (performance.now() - t0) / 1000;
    r.daemon_cpu_pct = (100 * (c1 - c0)) / el;
    r.bytes = (await httpRequest({ port: d.port, target: p })).text.length;
    delete r.raw;
    out[p] = r;
  }
  return out;
}

const fmt = (x, n = 0) => (x == null || Number.isNaN(x) ? '—' : Number(x).toFixed(n));

async function main() {
  const t0 = Date.now();
  const rtpPort = await freeUdpPair();
  const rtsp = await startRtspCamera({ extraArgs: ['--pattern', 'smpte', '--speed', '4', '--key-int', '60'] });
  const cam = await startCamera({ to: [`127.0.0.1:${rtpPort}`] });
  const d = await startDaemon({
    name: 'camrelay',
    config: {
      log_level: 'warn',
      cameras: [
        { id: 'cam', source: { type: 'rtp', negotiation: 'static', video_port: rtpPort } },
        { id: 'test', source: { type: 'test' } },
        { id: 'rtsp', source: { type: 'rtsp', url: rtsp.url } },
      ],
    },
  });
  const result = { start: {}, mjpeg: null, rest: null };
  try {
    for (const id of ['test', 'rtsp', 'cam']) {
      log(`stream start: ${id} (${CYCLES} cycles)…`);
      result.start[id] = await measureStart(d, id);
    }
    log('MJPEG CPU: 0, 1, 10 clients…');
    const r = await d.post('/streams/cam/start');
    if (![200, 202].includes(r.status)) throw new Error(`start cam: ${r.status}`);
    await waitFor(async () => (await stream(d, 'cam')).state === 'active', 10000);
    result.mjpeg = await measureMjpeg(d);
    await waitFor(async () => !((await stream(d, 'cam')).source.outputs || {}).mjpeg?.clients,
      { timeoutMs: 10000, message: 'MJPEG clients gone' });
    log('REST throughput (wrk)…');
    result.rest = await measureRest(d);
  } finally {
    await d.stop();
    await d.cleanup();
    await cam.stop();
    await rtsp.stop();
  }
  result.run_s = (Date.now() - t0) / 1000;

  const st = result.start;
  const m = result.mjpeg;
  const h = result.rest['/health'];
  const s = result.rest['/streams'];
  result.summary = [
    row('Stream start, test camera (startup_ms) median', 'ms', st.test.startup_ms.median),
    row('Stream start, test camera p95', 'ms', st.test.startup_ms.p95),
    row('Stream start, RTSP camera median', 'ms', st.rtsp.startup_ms.median),
    row('Stream start, RTSP camera p95', 'ms', st.rtsp.startup_ms.p95),
    row('Stream start, static RTP camera median', 'ms', st.cam.startup_ms.median),
    row('Stream start, static RTP camera p95', 'ms', st.cam.startup_ms.p95),
    row('MJPEG CPU per stream, 1 client', '% core', m.cost_1_pct),
    row('MJPEG CPU per stream, 10 clients', '% core', m.cost_10_pct),
    row('MJPEG fps per client (10 clients, median)', 'fps', m.clients_10.client_fps.median, null, 'higher'),
    row('REST GET /health', 'req/s', h.rps, null, 'higher'),
    row('REST GET /health latency p99', 'ms', h.latency_ms.p99),
    row('REST GET /streams', 'req/s', s.rps, null, 'higher'),
    row('REST GET /streams latency p99', 'ms', s.latency_ms.p99),
  ];

  const lines = [
    'stream start (ms)        startup_ms median  p95   min   max | POST→active median  p95 | first cycle',
    ...[['test', 'test (x264 in camrelay)'], ['rtsp', 'rtsp (RTSP/TCP)'], ['cam', 'rtp static']].map(([id, name]) => {
      const x = st[id];
      return `${name.padEnd(25)}${fmt(x.startup_ms.median).padStart(17)}${fmt(x.startup_ms.p95).padStart(5)}` +
        `${fmt(x.startup_ms.min).padStart(6)}${fmt(x.startup_ms.max).padStart(6)} |` +
        `${fmt(x.client_active_ms.median).padStart(19)}${fmt(x.client_active_ms.p95).padStart(5)} |` +
        `${fmt(x.warmup.startup_ms).padStart(6)}`;
    }),
    '',
    `MJPEG (${m.mjpeg_config.fps} fps, q ${m.mjpeg_config.quality}), daemon CPU % of one core over ${WINDOW_S} s:`,
    `  0 clients ${fmt(m.idle.cpu_pct, 1)} %  |  1 client ${fmt(m.clients_1.cpu_pct, 1)} % (+${fmt(m.cost_1_pct, 1)}), ` +
      `${fmt(m.clients_1.client_fps?.median, 1)} fps  |  10 clients ${fmt(m.clients_10.cpu_pct, 1)} % ` +
      `(+${fmt(m.cost_10_pct, 1)}), ${fmt(m.clients_10.client_fps?.min, 1)}–${fmt(m.clients_10.client_fps?.max, 1)} fps per client, ` +
      `encoder ${fmt(m.clients_10.encoded_fps, 1)} fps`,
    '',
    'REST (wrk -t2 -c32, same 2 cores)   req/s   p50 ms  p99 ms  daemon CPU %  non-2xx  errors',
    ...Object.entries(result.rest).map(([p, x]) => `  GET ${p.padEnd(30)}${fmt(x.rps).padStart(7)}` +
      `${fmt(x.latency_ms.p50, 2).padStart(9)}${fmt(x.latency_ms.p99, 2).padStart(8)}${fmt(x.daemon_cpu_pct).padStart(14)}` +
      `${String(x.non2xx).padStart(9)}${String(x.socket_errors).padStart(8)}`),
  ];
  console.log(lines.join('\n'));
  writeResult('figures', result);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
