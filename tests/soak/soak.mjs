// The soak (issue 12, item 3): one camrelay daemon, four cameras, viewers coming and going at
// random, sources killed and restarted at random, the broker restarted, the daemon SIGTERMed
// and restarted once. Samples RSS / FDs / threads / viewers / stream states every ~2 s and
// checks at the end that nothing leaked and everything recovered. See docs/reliability.md.
//
//   scripts/soak.sh [--minutes N] [--out DIR] [--seed S] [--publish]     (recommended)
//   unshare -n sh -c 'ip link set lo up && exec node tests/soak/soak.mjs --minutes 15 --out /tmp/soak'
//
// WebRTC (Chromium) needs a network namespace with only `lo` up: run it through scripts/soak.sh
// or inside `unshare -n`. As a module: `import { runSoak } from '../soak/soak.mjs';
// const summary = await runSoak({ minutes: 3, outDir })` (tests/integration/soak_smoke.netns.test.mjs).
//
// Binaries come from the same environment variables as the integration tests (CAMRELAY_BIN,
// CAMRELAY_FAKECAM_BIN, CAMRELAY_RTSP_TEST_SERVER, CAMRELAY_SOURCE_DIR), default ./build/....
//
// Output directory: samples.csv (time series), events.csv + events.jsonl (faults, restarts,
// recoveries), faults.json, viewers.json (every viewer the driver ran), daemon-N.log,
// summary.json, plot.gp (gnuplot script drawing soak-*.png; scripts/soak.sh runs it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Daemon, freePort, sleep, sqlite, httpRequest, makeTempDir } from '../integration/lib/daemon.mjs';
import { Broker, startFakecam, rtpRange } from '../integration/lib/bcgh.mjs';
import { RtspCamera, mjpegClient } from '../integration/lib/rtsp_camera.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------
// Settings and bounds (all overridable through runSoak(opts))
// ---------------------------------------------------------------------------------------

export const DEFAULTS = {
  minutes: 15,
  outDir: null,               // default: <repo>/build/soak-<timestamp>
  seed: null,                 // default: from the clock (printed; pass it again to replay)
  sampleMs: 2000,
  maxViewers: 6,              // concurrent viewers of all kinds (2 cores)
  maxPages: 2,                // of which Chromium pages at most
  viewerGapMs: [1000, 4000],  // pause between two viewer arrivals
  faultGapS: [20, 50],        // pause between the end of one fault and the next one
  impatient: true,
  elementTracer: true,        // count GStreamer elements (leaks tracer + SIGUSR1, see below)
  elementEvery: 5,            // … every 5th sample (~10 s), and at the quiescent points            // quiet BCGH faults include one impatient HLS request (see below)
  restartAt: 0.3,             // fraction of the run at which the daemon is SIGTERMed and restarted
  warmupS: null,              // viewers run this long after the restart before the quiescent
                              // baseline (default: 15 % of the run, 30..360 s; RSS settled
                              // ~6 min after the restart in the 15-minute run)
  bounds: {
    // Recovery: the stream must be `active` again within this long after the source is back.
    startMs: 10000,           // pipeline start + first keyframe, added to every backoff below
    rtspMaxBackoffMs: 36000,  // 30 s backoff cap + 20 % jitter (src/media/rtsp_source.cpp)
    bcghMs: 40000,            // re-offer backoff 1..30 s (src/service/bcgh.cpp) + answer + start
    brokerMs: 40000,          // MQTT reconnect ≤ 5 s (daemon), ≤ 2 s (fakecam) + a re-offer
    staticRtpMs: 10000,       // packets back → active (rtp_timeout_s 2; keyframe every 1 s)
    daemonRestartMs: 30000,   // SIGTERM → new process → every stream active
    // Leaks. Slopes are least-squares over the second half of the run (the restarted process,
    // after warm-up) and asserted only when that window is at least slopeMinWindowMin long;
    // shorter runs report them and assert the gross bounds below.
    slopeMinWindowMin: 10,
    rssMbPerHour: 20,         // a 300 KB leak per viewer × ~400 viewers/h = 120 MB/h fails
    fdsPerHour: 20,           // one leaked FD per viewer = hundreds/h fails
    threadsPerHour: 10,
    // Quiescent (no viewer, every source up, HLS/MJPEG branches idle-stopped): end vs baseline.
    quiescentFds: 8,
    quiescentThreads: 4,
    quiescentElements: 0,     // GStreamer elements alive: end ≤ baseline + this
    quiescentRssMb: 40,       // gross growth (allocator high-water marks are not a leak)
    grossRssMb: 150,          // max RSS − baseline RSS at any time after the restart
    errorRecoveryMs: 60000,   // an ERROR line must be followed by `active` within this
  },
};

const CAMERAS = ['test', 'bcgh', 'rtsp', 'rtp'];
const CAMERA_OF_FAULT = { rtsp: ['rtsp'], fakecam: ['bcgh'], broker: ['bcgh'], rtp: ['rtp'], daemon: CAMERAS };

// ---------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function procStatus(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number((/VmRSS:\s+(\d+)/.exec(s) || [])[1]);
    const threads = Number((/Threads:\s+(\d+)/.exec(s) || [])[1]);
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    return { rssKb: rss, threads, fds };
  } catch {
    return null;
  }
}

// Least-squares slope of y over x (units of y per unit of x); null with < 3 points.
export function slope(points) {
  const n = points.length;
  if (n < 3) return null;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const [x, y] of points) { sx += x; sy += y; sxx += x * x; sxy += x * y; }
  const den = n * sxx - sx * sx;
  return den === 0 ? null : (n * sxy - sx * sy) / den;
}

// Least squares y ≈ b0 + b1·x1 + b2·x2 + …: returns [b0, b1, …] (null if singular). Used to
// take the time trend of RSS/FDs/threads with the client counts as further regressors: FDs
// and threads follow the WebRTC viewers up and down (R² ≈ 0.8 against GET /viewers' WebRTC count),
// and that swing would otherwise dominate the trend of a half-hour window.
export function regress(rows) {  // rows: [[y, x1, x2, …]]
  const k = rows[0].length;      // unknowns: intercept + (k - 1) regressors
  const A = Array.from({ length: k }, () => new Array(k + 1).fill(0));
  for (const r of rows) {
    const x = [1, ...r.slice(1)];
    for (let i = 0; i < k; ++i) {
      for (let j = 0; j < k; ++j) A[i][j] += x[i] * x[j];
      A[i][k] += x[i] * r[0];
    }
  }
  for (let c = 0; c < k; ++c) {
    let p = c;
    for (let r = c + 1; r < k; ++r) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    if (Math.abs(A[p][c]) < 1e-12) return null;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < k; ++r) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let j = c; j <= k; ++j) A[r][j] -= f * A[c][j];
    }
  }
  return A.map((row, i) => row[k] / A[i][i]);
}

// Per-hour trends of rss (MB), fds, threads over samples {t (s), rss, fds, threads, clients}
// (clients: an array of counts): plain least-squares slope, and the slope with the client
// counts held constant.
export function trends(win) {
  const out = {};
  for (const key of ['rss', 'fds', 'threads']) {
    const pts = win.filter((x) => x[key] != null);
    out[key] = { raw: pts.length >= 3 ? slope(pts.map((x) => [x.t / 3600, x[key]])) : null, adjusted: null };
    if (pts.length >= 10) {
      const b = regress(pts.map((x) => [x[key], x.t / 3600, ...[].concat(x.clients)]));
      if (b) out[key].adjusted = b[1];
    }
  }
  return out;
}

const round = (x, d = 2) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

// The static RTP camera: H.264 RTP from a fixed source port (as tests/integration/bcgh.test.mjs).
function spawnPusher(port) {
  const args = ['-q', 'rtpbin', 'name=rb', 'videotestsrc', 'is-live=true', 'pattern=ball', '!',
    'video/x-raw,format=I420,width=320,height=240,framerate=15/1', '!',
    'x264enc', 'tune=zerolatency', 'speed-preset=ultrafast', 'key-int-max=15', 'bitrate=400', '!',
    'video/x-h264,profile=constrained-baseline', '!', 'rtph264pay', 'pt=96', 'config-interval=-1', '!', 'rb.send_rtp_sink_0',
    'rb.send_rtp_src_0', '!', 'udpsink', 'host=127.0.0.1', `port=${port}`, `bind-port=${port + 100}`,
    'rb.send_rtcp_src_0', '!', 'udpsink', 'host=127.0.0.1', `port=${port + 1}`, `bind-port=${port + 101}`, 'sync=false', 'async=false'];
  const child = spawn('gst-launch-1.0', args, { stdio: 'ignore' });
  const obj = {
    pid: child.pid,
    exited: new Promise((r) => child.on('exit', (code, signal) => { obj.gone = true; r({ code, signal }); })),
    gone: false,
    async kill9() { if (!obj.gone) { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } } await obj.exited; },
  };
  pushers.add(obj);
  obj.exited.then(() => pushers.delete(obj));
  return obj;
}
const pushers = new Set();
process.on('exit', () => { for (const p of pushers) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } } });

// ---------------------------------------------------------------------------------------
// The soak
// ---------------------------------------------------------------------------------------

export async function runSoak(options = {}) {
  const o = { ...DEFAULTS, ...options, bounds: { ...DEFAULTS.bounds, ...(options.bounds || {}) } };
  const B = o.bounds;
  const seed = o.seed ?? (Date.now() % 1000000007);
  const rnd = mulberry32(seed);
  const uniform = (a, b) => a + (b - a) * rnd();
  const pick = (arr) => arr[Math.floor(rnd() * arr.length)];
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = o.outDir || path.join(process.env.CAMRELAY_SOURCE_DIR || path.resolve(HERE, '..', '..'), 'build', `soak-${stamp}`);
  fs.mkdirSync(outDir, { recursive: true });
  const log = (msg) => process.stderr.write(`[soak ${((Date.now() - T0) / 1000).toFixed(1)}s] ${msg}\n`);
  const durationMs = o.minutes * 60000;
  const T0 = Date.now();
  const tS = (ms = Date.now()) => round((ms - T0) / 1000, 1);
  log(`seed ${seed}, ${o.minutes} min, output ${outDir}`);

  const events = [];
  const eventsFile = fs.openSync(path.join(outDir, 'events.jsonl'), 'w');
  const event = (kind, detail = {}) => {
    const e = { t: tS(), kind, ...detail };
    events.push(e);
    fs.writeSync(eventsFile, JSON.stringify(e) + '\n');
    log(`event ${kind} ${JSON.stringify(detail)}`);
    return e;
  };

  // ---- the sources --------------------------------------------------------------------
  const work = makeTempDir('camrelay-soak-');
  const brk = await new Broker(work).start();
  const fakecamArgs = ['--mqtt-keepalive', '2', '--width', '320', '--height', '240', '--fps', '15', '--bitrate', '400', '--no-audio'];
  let fake = await startFakecam(brk, 'bcgh', fakecamArgs);
  const rtsp = await new RtspCamera({ port: await freePort(), extraArgs: ['--width', '320', '--height', '240', '--fps', '15', '--bitrate', '400'] }).start();
  const range = rtpRange(77);
  const staticPort = range.port_max + 12;  // even, outside the BCGH range
  let pusher = spawnPusher(staticPort);

  // ---- the daemon ---------------------------------------------------------------------
  const config = {
    log_level: 'info',
    mqtt: { url: brk.url, keepalive_interval_s: 2, answer_timeout_s: 5 },
    rtp: range,
    webrtc: { rtcp_timeout_s: 5, disconnect_grace_s: 2, connect_timeout_s: 8, max_viewers_per_stream: 10 },
    hls: { idle_stop_s: 5 },
    cameras: [
      { id: 'test', auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 15, bitrate_kbps: 400 } },
      { id: 'bcgh', auto_start: true, audio: false, bandwidth: { min_kbps: 200, max_kbps: 800 }, source: { type: 'rtp', negotiation: 'mqtt', rtp_timeout_s: 3 } },
      { id: 'rtsp', auto_start: true, audio: false, source: { type: 'rtsp', url: rtsp.url, transport: 'tcp', latency_ms: 100 } },
      { id: 'rtp', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: staticPort, rtp_timeout_s: 2 } },
    ],
  };
  const daemons = [];
  let d = null;
  const crashes = [];
  // GStreamer element count without any daemon support: the daemon runs under GStreamer's
  // `leaks` tracer restricted to GstElement (it only tracks element creation/finalization);
  // GST_LEAKS_TRACER_SIG makes SIGUSR1 print one `object-alive` trace line per live element
  // (level TRACE of the GST_TRACER category, on stderr). Those lines are counted, not logged.
  const tracerEnv = o.elementTracer ? { GST_TRACERS: 'leaks(filters=GstElement)', GST_LEAKS_TRACER_SIG: '1',
    GST_DEBUG: 'GST_TRACER:7', GST_DEBUG_NO_COLOR: '1' } : {};
  const startDaemon = async (reuse) => {
    const n = daemons.length + 1;
    const nd = new Daemon({ name: `camrelay#${n}`, config, env: tracerEnv,
      ...(reuse ? { dataDir: reuse.dataDir, port: reuse.port, configPath: reuse.configPath } : {}), readyTimeoutMs: 20000 });
    await nd.spawn();
    const file = fs.createWriteStream(path.join(outDir, `daemon-${n}.log`));
    nd.logFile = file;
    nd.lines = [];
    nd.dump = null;
    for (const [s, tag] of [[nd.child.stdout, 'out'], [nd.child.stderr, 'err']]) {
      let partial = '';
      s.on('data', (c) => {
        const ls = (partial + c).split('\n');
        partial = ls.pop();
        const keep = [];
        for (const l of ls) {
          if (l.includes('GST_TRACER')) {
            const m = /object-alive, type-name=\(string\)([A-Za-z0-9_]+)/.exec(l);
            if (m && nd.dump) { nd.dump.push(m[1]); nd.dumpAt = Date.now(); }
            continue;
          }
          keep.push(l);
          if (/\b(error|critical)\b/i.test(l)) nd.lines.push({ at: Date.now(), tag, line: l });
        }
        if (keep.length) file.write(keep.join('\n') + '\n');
      });
    }
    nd.dumpChain = Promise.resolve();
    // Resolves { count, byType } (null if the daemon is not running or nothing came).
    nd.elements = () => {
      const run = nd.dumpChain.then(async () => {
        if (!o.elementTracer || !nd.running) return null;
        nd.dump = [];
        nd.dumpAt = Date.now();
        try { process.kill(nd.pid, 'SIGUSR1'); } catch { nd.dump = null; return null; }
        const t0 = Date.now();
        while (Date.now() - t0 < 5000 && !(nd.dump.length && Date.now() - nd.dumpAt > 400)) await sleep(50);
        const list = nd.dump;
        nd.dump = null;
        if (!list.length) return null;
        const byType = {};
        for (const x of list) byType[x] = (byType[x] || 0) + 1;
        return { count: list.length, byType };
      });
      nd.dumpChain = run.catch(() => null);
      return run;
    };
    nd.expectedExit = false;
    nd.exited.then(({ code, signal }) => {
      if (!nd.expectedExit) {
        crashes.push({ t: tS(), daemon: n, code, signal });
        event('daemon-crash', { daemon: n, code, signal });
      }
    });
    await nd.waitReady(20000);
    daemons.push(nd);
    return nd;
  };
  d = await startDaemon(null);
  // Keep the data dir (and so the database) until the end even though Daemon#1 "owns" it.
  const dataDir = d.dataDir;
  event('daemon-start', { daemon: 1, pid: d.pid, port: d.port });

  const streams = async () => {
    const r = await httpRequest({ port: d.port, target: '/streams', timeoutMs: 3000 });
    const m = {};
    for (const s of r.body.streams) m[s.camera_id] = s;
    return m;
  };
  const allActive = async (cams = CAMERAS) => {
    try {
      const m = await streams();
      return cams.every((c) => m[c] && m[c].state === 'active');
    } catch {
      return false;
    }
  };
  const waitActive = async (cams, timeoutMs) => {
    const t0 = Date.now();
    while (Date.now() - t0 < timeoutMs) {
      if (await allActive(cams)) return Date.now();
      await sleep(250);
    }
    return null;
  };
  if (!await waitActive(CAMERAS, 30000)) throw new Error(`not every stream went active: ${JSON.stringify(Object.fromEntries(Object.entries(await streams()).map(([k, v]) => [k, v.state])))}`);
  event('all-active');

  // ---- the sampler --------------------------------------------------------------------
  const samples = [];
  const csv = fs.openSync(path.join(outDir, 'samples.csv'), 'w');
  const KINDS = ['whep_page', 'viewer_page', 'whep_noice', 'hls', 'mjpeg'];
  fs.writeSync(csv, ['t_s', 'daemon', 'rss_mb', 'fds', 'threads', 'api_viewers', 'api_whep', 'api_webrtc',
    ...KINDS.map((k) => `drv_${k}`), 'drv_total', 'active_streams', ...CAMERAS.map((c) => `state_${c}`), 'hls_on', 'mjpeg_clients', 'gst_elements'].join(',') + '\n');
  const drv = Object.fromEntries(KINDS.map((k) => [k, 0]));
  let sampling = true;
  let sampleNo = 0;
  const sampleOnce = async (withElements = false) => {
    const row = { t: tS(), daemon: daemons.length, rss: null, fds: null, threads: null, api: null, whep: null, webrtc: null,
      states: {}, active: 0, drv: { ...drv }, drvTotal: Object.values(drv).reduce((a, b) => a + b, 0), hls: 0, mjpeg: 0 };
    if (d && d.running) {
      const p = procStatus(d.pid);
      if (p) Object.assign(row, { rss: round(p.rssKb / 1024, 1), fds: p.fds, threads: p.threads });
      try {
        const v = await httpRequest({ port: d.port, target: '/viewers', timeoutMs: 3000 });
        row.api = v.body.count;
        row.whep = v.body.viewers.filter((x) => x.kind === 'whep').length;
        row.webrtc = v.body.viewers.filter((x) => x.kind === 'webrtc').length;
        const m = await streams();
        for (const c of CAMERAS) {
          row.states[c] = m[c] ? m[c].state : 'missing';
          const outs = m[c] && m[c].source && m[c].source.outputs;
          if (outs && outs.hls && (outs.hls.running || outs.hls.active)) row.hls++;
          if (outs && outs.mjpeg) row.mjpeg += outs.mjpeg.clients || 0;
        }
        row.active = CAMERAS.filter((c) => row.states[c] === 'active').length;
        if (withElements || sampleNo % o.elementEvery === 0) {
          const el = await d.elements();
          if (el) { row.elements = el.count; row.elementTypes = el.byType; }
        }
      } catch (e) {
        row.apiError = String(e.message || e).slice(0, 200);
      }
    }
    sampleNo++;
    samples.push(row);
    const f = (x) => (x == null ? '' : x);
    fs.writeSync(csv, [row.t, row.daemon, f(row.rss), f(row.fds), f(row.threads), f(row.api), f(row.whep), f(row.webrtc),
      ...KINDS.map((k) => row.drv[k]), row.drvTotal, row.active, ...CAMERAS.map((c) => row.states[c] || 'down'), row.hls, row.mjpeg, f(row.elements)].join(',') + '\n');
    return row;
  };
  const samplerDone = (async () => {
    while (sampling) {
      const t = Date.now();
      await sampleOnce().catch((e) => log(`sample failed: ${e.message}`));
      await sleep(Math.max(100, o.sampleMs - (Date.now() - t)));
    }
  })();

  // ---- the viewers --------------------------------------------------------------------
  let browser = null;
  let offerSdp = null;
  {
    const { launchBrowser } = await import('../integration/lib/browser.mjs');
    const { makeOffer } = await import('../integration/lib/whep_page.mjs');
    browser = await launchBrowser();
    // Without a media permission Chromium gathers on the default route only (none in a netns).
    await browser.context.grantPermissions(['camera', 'microphone']);
    const page = await browser.newPage();
    await page.goto(d.url('/login'));
    offerSdp = await makeOffer(page, { shape: 'video', gather: 'complete' });  // its pc is closed: ICE can never complete
    await page.close();
  }
  const wp = await import('../integration/lib/whep_page.mjs');
  const viewerLog = [];
  let viewersPaused = false;
  let viewersStopping = false;
  const live = new Set();
  let pages = 0;
  let viewerSeq = 0;
  const stopSignal = { waiters: new Set() };
  // Sleeps up to ms, ends early when the driver stops (so every viewer leaves promptly).
  let draining = false;
  // ... or when its viewer is told to leave (v.leave: a "quiet" fault sends its camera's viewers away).
  const viewerSleep = (ms, v) => new Promise((resolve) => {
    if (draining || v.leave) return resolve(true);
    const t = setTimeout(() => { stopSignal.waiters.delete(done); resolve(false); }, ms);
    const done = () => { clearTimeout(t); stopSignal.waiters.delete(done); resolve(true); };
    stopSignal.waiters.add(done);
    v.wake = done;
  });
  const liveViewers = new Set();
  const excluded = new Set();  // cameras no new viewer picks (during a quiet fault)

  const viewerKinds = {
    // Chromium, raw WHEP (RTCPeerConnection + fetch); leaves with DELETE, or vanishes (page closed).
    async whep_page(v) {
      const page = await browser.newPage();
      try {
        await page.goto(d.url('/login'));
        const r = await wp.rawWhep(page, d.url(`/streams/${v.camera}/whep`), { shape: 'video', gather: 'complete', name: 'v' });
        v.status = r.status;
        if (r.status !== 201) throw new Error(`POST whep ${r.status}: ${String(r.body).slice(0, 200)}`);
        v.location = r.location;
        await viewerSleep(v.lifeMs, v);
        try { v.frames = (await wp.pageFrames(page, 'v')).framesDecoded; } catch { /* page gone */ }
        if (v.goodbye) v.deleteStatus = await wp.whepDelete(page, 'v');
      } finally {
        await page.close().catch(() => {});
      }
    },
    // Chromium, the daemon's own viewer page (WebSocket signaling); the tab is closed.
    async viewer_page(v) {
      const page = await browser.newPage();
      try {
        await page.goto(d.url(`/viewer?camera=${v.camera}`));
        await viewerSleep(v.lifeMs, v);
        try {
          v.frames = await page.evaluate(async () => {
            const s = window.camrelayViewer;
            let n = 0;
            if (s && s.pc) (await s.pc.getStats()).forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'video') n = x.framesDecoded || 0; });
            return n;
          });
        } catch { /* gone */ }
      } finally {
        await page.close().catch(() => {});
      }
    },
    // node: POSTs an offer whose ICE can never complete; DELETEs it, or leaves it to be reaped.
    async whep_noice(v) {
      const r = await httpRequest({ port: d.port, method: 'POST', target: `/streams/${v.camera}/whep`, body: offerSdp,
        headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 15000 });
      v.status = r.status;
      if (r.status !== 201) throw new Error(`POST whep ${r.status}: ${r.text.slice(0, 200)}`);
      v.location = r.headers.location;
      await viewerSleep(Math.min(v.lifeMs, 3000), v);
      if (v.goodbye) v.deleteStatus = (await httpRequest({ port: d.port, method: 'DELETE', target: v.location, timeoutMs: 5000 })).status;
    },
    // node: an HLS player: playlist + newest segment, once a second.
    async hls(v) {
      const end = Date.now() + v.lifeMs;
      v.segments = 0;
      v.playlists = 0;
      while (Date.now() < end && !draining && !v.leave) {
        const r = await httpRequest({ port: d.port, target: `/streams/${v.camera}/hls/index.m3u8`, timeoutMs: 10000 });
        if (r.status === 200) {
          v.playlists++;
          const segs = r.text.split('\n').filter((l) => /^segment\d+\.ts/.test(l));
          if (segs.length) {
            const s = await httpRequest({ port: d.port, target: `/streams/${v.camera}/hls/${segs[segs.length - 1]}`, timeoutMs: 10000 });
            if (s.status === 200) v.segments++;
          }
        } else {
          v.lastStatus = r.status;
        }
        await viewerSleep(1000, v);
      }
    },
    // node: an MJPEG reader that drops the socket without a goodbye.
    async mjpeg(v) {
      const c = mjpegClient(d.port, `/streams/${v.camera}/mjpeg`, { keepBodies: 0 });
      try {
        await c.ready;
        v.status = c.status;
        await viewerSleep(v.lifeMs, v);
        v.frames = c.parts.length;
      } finally {
        c.close();
      }
    },
  };
  const weights = [['whep_page', 3], ['viewer_page', 2], ['whep_noice', 2], ['hls', 2], ['mjpeg', 2]];
  const pickKind = () => {
    const total = weights.reduce((a, [, w]) => a + w, 0);
    let x = rnd() * total;
    for (const [k, w] of weights) { if ((x -= w) < 0) return k; }
    return weights[0][0];
  };
  const runViewer = (kind) => {
    const choices = CAMERAS.filter((c) => !excluded.has(c));
    const v = { id: ++viewerSeq, kind, camera: pick(choices.length ? choices : CAMERAS), t: tS(), lifeMs: Math.round(uniform(5000, 30000)),
      goodbye: rnd() < 0.6, daemon: daemons.length };
    const isPage = kind === 'whep_page' || kind === 'viewer_page';
    if (isPage) pages++;
    drv[kind]++;
    const p = (async () => {
      try {
        await viewerKinds[kind](v);
        v.ok = true;
      } catch (e) {
        v.ok = false;
        v.error = String(e.message || e).split('\n')[0].slice(0, 300);
      } finally {
        liveViewers.delete(v);
        v.end = tS();
        drv[kind]--;
        if (isPage) pages--;
        viewerLog.push(v);
      }
    })();
    liveViewers.add(v);
    live.add(p);
    p.finally(() => live.delete(p));
  };
  const driverDone = (async () => {
    while (!viewersStopping) {
      await sleep(uniform(...o.viewerGapMs));
      if (viewersPaused || viewersStopping || live.size >= o.maxViewers) continue;
      let kind = pickKind();
      if ((kind === 'whep_page' || kind === 'viewer_page') && pages >= o.maxPages) kind = pick(['whep_noice', 'hls', 'mjpeg']);
      runViewer(kind);
    }
  })();
  const drainViewers = async () => {
    draining = true;
    const t0 = Date.now();
    while (live.size && Date.now() - t0 < 30000) {
      for (const w of [...stopSignal.waiters]) w();
      stopSignal.waiters.clear();
      await sleep(200);
    }
    draining = false;
  };
  // A quiescent sample: no viewer (every client gone and reaped), every stream active, HLS
  // and MJPEG branches idle-stopped. Viewers stay paused; the caller resumes them.
  const quiescent = async (label, against = null) => {
    viewersPaused = true;
    await drainViewers();
    let emptyAt = null;
    for (const t0 = Date.now(); Date.now() - t0 < 40000; await sleep(500)) {
      try {
        const v = await httpRequest({ port: d.port, target: '/viewers', timeoutMs: 3000 });
        if (v.body.count === 0) { emptyAt = Date.now(); break; }
      } catch { /* retry */ }
    }
    await waitActive(CAMERAS, 30000);
    await sleep(12000);  // hls.idle_stop_s 5; an MJPEG branch goes 5 s after its last client
    let q = { ...await sampleOnce(true), at: tS(), viewersEmpty: emptyAt != null, emptyAfterMs: emptyAt && emptyAt - Date.now() };
    // A camera that came back under a new SSRC (a BCGH renegotiation, a restarted sender)
    // leaves rtpbin's jitter buffer and payload demuxer of the old one until that SSRC times
    // out (RTCP, ~25-30 s; rtpbin autoremove). A fault shortly before the end is still
    // settling then: wait for the count to come down, bounded, before comparing.
    const settleStart = Date.now();
    while (against && q.elements != null && against.elements != null && q.elements > against.elements &&
           Date.now() - settleStart < 60000) {
      await sleep(2000);
      q = { ...await sampleOnce(true), at: tS(), viewersEmpty: q.viewersEmpty, emptyAfterMs: q.emptyAfterMs };
    }
    if (against) q.settledAfterMs = Date.now() - settleStart;
    event(label, { rss: q.rss, fds: q.fds, threads: q.threads, elements: q.elements, api: q.api, active: q.active, viewersEmpty: q.viewersEmpty });
    return q;
  };

  // ---- the faults ---------------------------------------------------------------------
  const faults = [];
  const occurrences = {};
  const recordFault = async (kind, inject, restore, boundFn, downMs, extra = {}) => {
    const cams = CAMERA_OF_FAULT[kind];
    // Quiet (each kind's 1st, 3rd, 5th … fault): the affected cameras' viewers leave and no
    // new one comes until the stream is back, so that recovery cannot lean on viewers
    // restarting the stream on demand. For the BCGH camera a quiet fault also has one
    // impatient HLS request 2 s before the camera returns (it starts the stream while the
    // camera is offline, then nobody asks again; o.impatient false leaves it out).
    occurrences[kind] = (occurrences[kind] || 0) + 1;
    const quiet = occurrences[kind] % 2 === 1;
    const poke = quiet && o.impatient && cams.includes('bcgh');
    const f = { kind, cameras: cams, t: tS(), downMs: Math.round(downMs), quiet, poke, ...extra, timeline: [] };
    event(`fault-${kind}`, { cameras: cams, downMs: f.downMs, quiet, ...extra });
    if (quiet) {
      for (const c of cams) excluded.add(c);
      for (const v of liveViewers) if (cams.includes(v.camera)) { v.leave = true; if (v.wake) v.wake(); }
    }
    const seen = new Set();
    const last = {};
    // State changes of the affected streams, "t_s camera state (error)", while down and after.
    const note = (m) => {
      for (const c of cams) {
        const st = m[c] ? `${m[c].state}${m[c].error ? ` (${String(m[c].error).slice(0, 80)})` : ''}` : 'missing';
        if (last[c] !== st) { last[c] = st; f.timeline.push(`${tS()} ${c} ${st}`); }
      }
    };
    await inject();
    const tDown = Date.now();
    let poked = false;
    while (Date.now() - tDown < downMs) {
      if (poke && !poked && Date.now() - tDown >= downMs - 2000) {
        poked = true;
        f.timeline.push(`${tS()} one HLS request for bcgh (impatient viewer)`);
        httpRequest({ port: d.port, target: '/streams/bcgh/hls/index.m3u8', timeoutMs: 10000 }).catch(() => {});
      }
      try {
        const m = await streams();
        note(m);
        for (const c of cams) seen.add(m[c] ? m[c].state : 'missing');
        f.lastDown = Object.fromEntries(cams.map((c) => [c, m[c] && { state: m[c].state, error: m[c].error, next_attempt_at: m[c].source && m[c].source.next_attempt_at }]));
      } catch { seen.add('unreachable'); }
      await sleep(250);
    }
    f.statesWhileDown = [...seen];
    const boundMs = await boundFn();
    await restore();
    const tUp = Date.now();
    f.tRestored = tS(tUp);
    f.timeline.push(`${f.tRestored} source back`);
    f.boundMs = Math.round(boundMs);
    // Measure even past the bound (up to 2× + 30 s) so a late recovery is a number, not "never".
    let tActive = null;
    for (const limit = tUp + boundMs * 2 + 30000; Date.now() < limit; await sleep(250)) {
      try {
        const m = await streams();
        note(m);
        if (cams.every((c) => m[c] && m[c].state === 'active')) { tActive = Date.now(); break; }
      } catch { /* daemon busy: retry */ }
    }
    f.recoveryMs = tActive ? tActive - tUp : null;
    f.ok = tActive != null && f.recoveryMs <= boundMs;
    if (!tActive) {
      try {
        const m = await streams();
        f.stuck = Object.fromEntries(cams.map((c) => [c, m[c] && { state: m[c].state, error: m[c].error, source: m[c].source }]));
      } catch (e) { f.stuck = String(e.message); }
    }
    for (const c of cams) excluded.delete(c);
    faults.push(f);
    event(f.ok ? 'recovered' : 'recovery-violation', { fault: kind, recoveryMs: f.recoveryMs, boundMs: f.boundMs });
    return f;
  };
  const faultKinds = {
    async rtsp() {
      const downMs = uniform(2000, 12000);
      return recordFault('rtsp', () => rtsp.kill9(), () => rtsp.restart(), async () => {
        // The next attempt the daemon has scheduled, if it shows one, else the backoff cap.
        try {
          const s = (await streams()).rtsp;
          const at = s.source && s.source.next_attempt_at;
          if (at) return Math.max(0, at * 1000 - Date.now()) + 1000 + B.startMs;
        } catch { /* below */ }
        return B.rtspMaxBackoffMs + B.startMs;
      }, downMs);
    },
    async fakecam() {
      const downMs = uniform(2000, 12000);
      return recordFault('fakecam', () => fake.kill9(), async () => { fake = await startFakecam(brk, 'bcgh', fakecamArgs); },
        async () => B.bcghMs, downMs);
    },
    async broker() {
      const downMs = uniform(1000, 8000);
      // SIGTERM: mosquitto publishes the clients' last wills as it shuts down (the fakecam's
      // "offline" reaches the daemon); SIGKILL: the connections just drop.
      const signal = rnd() < 0.5 ? 'SIGKILL' : 'SIGTERM';
      return recordFault('broker', () => brk.stop(signal), async () => {
        for (let i = 0; ; ++i) {
          try { await brk.start(); return; } catch (e) { if (i >= 20) throw e; await sleep(250); }
        }
      }, async () => B.brokerMs, downMs, { signal });
    },
    async rtp() {
      const downMs = uniform(3000, 12000);
      return recordFault('rtp', () => pusher.kill9(), async () => { pusher = spawnPusher(staticPort); },
        async () => B.staticRtpMs, downMs);
    },
  };
  let baseline = null;
  const restartDaemon = async () => {
    viewersPaused = true;
    const old = d;
    const f = { kind: 'daemon', cameras: CAMERAS, t: tS(), viewersAtSigterm: live.size };
    event('fault-daemon', { signal: 'SIGTERM', viewers: live.size });
    old.expectedExit = true;
    const r = await old.stop({ timeoutMs: 10000 });
    f.exit = { code: r.code, signal: r.signal, elapsedMs: r.elapsedMs, killed: r.killed };
    f.cleanExit = r.code === 0 && !r.killed;
    event('daemon-exit', { daemon: daemons.length, ...f.exit });
    await drainViewers();  // whatever was connected is gone now
    old.logFile.end();
    const tUp = Date.now();
    d = await startDaemon(old);
    event('daemon-start', { daemon: daemons.length, pid: d.pid, readyMs: Date.now() - tUp });
    f.boundMs = B.daemonRestartMs;
    const tActive = await waitActive(CAMERAS, B.daemonRestartMs * 2);
    f.recoveryMs = tActive ? tActive - tUp : null;
    f.ok = tActive != null && f.recoveryMs <= B.daemonRestartMs && f.cleanExit;
    faults.push(f);
    event(f.ok ? 'recovered' : 'recovery-violation', { fault: 'daemon', recoveryMs: f.recoveryMs, boundMs: f.boundMs });
    restartedAt = Date.now();
    viewersPaused = false;
  };
  const warmupMs = (o.warmupS ?? Math.min(360, Math.max(30, durationMs / 1000 * 0.15))) * 1000;
  let restartedAt = null;

  const deadline = T0 + durationMs;
  const restartAt = T0 + durationMs * o.restartAt;
  let restarted = false;
  const order = [];
  let faultsStopping = false;
  const faultDone = (async () => {
    await sleep(uniform(5000, 10000));
    while (!faultsStopping && Date.now() < deadline - 45000) {
      if (!restarted && Date.now() >= restartAt) {
        restarted = true;
        await restartDaemon();
      } else if (restartedAt && !baseline && Date.now() >= restartedAt + warmupMs) {
        // Baseline after warm-up: the restarted process has served viewers of every kind.
        baseline = await quiescent('baseline');
        viewersPaused = false;
      } else {
        if (!order.length) order.push(...Object.keys(faultKinds).sort(() => rnd() - 0.5));  // every kind in turn
        const kind = order.shift();
        try {
          await faultKinds[kind]();
        } catch (e) {
          event('fault-error', { kind, error: String(e.message || e).slice(0, 300) });
          faults.push({ kind, t: tS(), ok: false, error: String(e.message || e) });
        }
      }
      const gap = uniform(...o.faultGapS) * 1000;
      const until = Math.min(Date.now() + gap, restarted ? Infinity : restartAt,
        restartedAt && !baseline ? restartedAt + warmupMs : Infinity);
      while (!faultsStopping && Date.now() < until && Date.now() < deadline - 45000) await sleep(500);
    }
    if (!restarted) { restarted = true; await restartDaemon(); }
    if (!baseline) {
      // The faults overran the run (a recovery violation waits up to 2 × its bound + 30 s):
      // take the baseline now, then let viewers run once more before the end sample.
      const until = restartedAt + warmupMs;
      while (Date.now() < until) await sleep(500);
      baseline = await quiescent('baseline');
      viewersPaused = false;
      await sleep(Math.min(60000, warmupMs));
    }
  })();


  // ---- run, then wind down ----------------------------------------------------------------
  while (Date.now() < deadline - 45000) await sleep(1000);
  faultsStopping = true;
  await faultDone;
  viewersStopping = true;
  event('viewers-stop', { live: live.size });
  await driverDone;

  // Every viewer gone and reaped, every HLS/MJPEG branch idle-stopped, every source back.
  const end = await quiescent('end-quiescent', baseline);
  if (browser) await browser.close();
  browser = null;
  const summary = { seed, minutes: o.minutes, outDir, checks: {}, figures: {} };
  const checks = summary.checks;
  checks.viewers_empty = { ok: end.viewersEmpty && end.api === 0, detail: end.viewersEmpty ? 'GET /viewers empty once the clients were gone' : 'viewers still listed 40 s after the last client left' };
  const openRows = await sqlite(d.dbPath, 'select viewer_id, kind, camera_id, connected_at from viewer_sessions where disconnected_at is null');
  const rowStats = await sqlite(d.dbPath, "select kind, coalesce(close_reason,'(null)') as reason, count(*) as n from viewer_sessions group by kind, reason order by n desc");
  checks.viewer_rows_closed = { ok: openRows.length === 0, open: openRows.length, detail: openRows.slice(0, 10) };
  summary.figures.viewer_rows = rowStats;
  summary.figures.viewer_rows_total = rowStats.reduce((a, r) => a + r.n, 0);

  // Final SIGTERM: must exit cleanly, and every stream session must be ended.
  d.expectedExit = true;
  const fin = await d.stop({ timeoutMs: 10000 });
  d.logFile.end();
  sampling = false;
  await samplerDone;
  const openStreams = await sqlite(path.join(dataDir, 'camrelay.db'), 'select session_id, camera_id, status from stream_sessions where ended_at is null');
  checks.stream_rows_ended = { ok: openStreams.length === 0, open: openStreams.length, detail: openStreams.slice(0, 10) };
  const restartFault = faults.find((f) => f.kind === 'daemon');
  checks.no_crash = {
    ok: crashes.length === 0 && fin.code === 0 && !fin.killed && !!(restartFault && restartFault.cleanExit),
    crashes, restartExit: restartFault && restartFault.exit, finalExit: { code: fin.code, signal: fin.signal, elapsedMs: fin.elapsedMs, killed: fin.killed },
  };

  // Recovery after every fault.
  const bad = faults.filter((f) => !f.ok);
  const byKind = {};
  for (const f of faults) {
    const k = (byKind[f.kind] ||= { n: 0, maxRecoveryMs: 0, maxBoundMs: 0, violations: 0, states: new Set() });
    k.n++;
    if (f.recoveryMs != null) k.maxRecoveryMs = Math.max(k.maxRecoveryMs, f.recoveryMs);
    if (f.boundMs) k.maxBoundMs = Math.max(k.maxBoundMs, f.boundMs);
    if (!f.ok) k.violations++;
    for (const s of f.statesWhileDown || []) k.states.add(s);
  }
  for (const k of Object.values(byKind)) k.states = [...k.states];
  checks.recovery = { ok: bad.length === 0 && faults.some((f) => f.kind === 'daemon'), faults: faults.length, byKind, violations: bad };

  // ERROR lines: each must be followed by its camera (or, unattributed, every camera) active.
  const errors = [];
  for (const nd of daemons) {
    for (const e of nd.lines) {
      if (!/^\S+ \S+ (error|critical)\b/.test(e.line) && e.tag !== 'err') continue;
      if (e.line.includes('GST_TRACER')) continue;
      const cam = (/camera ([A-Za-z0-9_-]+)/.exec(e.line) || [])[1];
      const cams = cam && CAMERAS.includes(cam) ? [cam] : CAMERAS;
      const after = samples.find((s) => s.t * 1000 + T0 > e.at && cams.every((c) => s.states[c] === 'active'));
      const recoveredMs = after ? Math.max(0, after.t * 1000 + T0 - e.at) : null;
      errors.push({ daemon: daemons.indexOf(nd) + 1, line: e.line.slice(0, 400), cameras: cam ? [cam] : 'all', recoveredMs,
        ok: recoveredMs != null && recoveredMs <= B.errorRecoveryMs });
    }
  }
  const badErrors = errors.filter((e) => !e.ok);
  checks.errors_recovered = { ok: badErrors.length === 0, errors: errors.length, unrecovered: badErrors.slice(0, 20), sample: errors.slice(0, 20) };

  // Leaks. Slope over the second half of the run, restarted process only.
  const half = Math.max(durationMs / 2000, baseline ? baseline.t : 0);
  const win = samples.filter((s) => s.t >= half && s.daemon === daemons.length && s.rss != null && s.t <= end.t);
  const winMin = win.length ? (win[win.length - 1].t - win[0].t) / 60 : 0;
  const tr = trends(win.map((x) => ({ t: x.t, rss: x.rss, fds: x.fds, threads: x.threads, clients: [(x.whep || 0) + (x.webrtc || 0), x.drv.hls + x.drv.mjpeg] })));
  const rssSlope = tr.rss.adjusted;
  const fdSlope = tr.fds.adjusted;
  const thrSlope = tr.threads.adjusted;
  const assertSlopes = winMin >= B.slopeMinWindowMin;
  checks.slopes = {
    ok: !assertSlopes || (rssSlope <= B.rssMbPerHour && fdSlope <= B.fdsPerHour && thrSlope <= B.threadsPerHour),
    asserted: assertSlopes, windowMin: round(winMin, 1), fromS: win.length ? win[0].t : null,
    // adjusted: the time trend with the WebRTC viewer count (GET /viewers) and the HLS+MJPEG
    // client count as further regressors; raw: the plain least-squares slope
    rssMbPerHour: round(rssSlope), fdsPerHour: round(fdSlope), threadsPerHour: round(thrSlope),
    raw: { rssMbPerHour: round(tr.rss.raw), fdsPerHour: round(tr.fds.raw), threadsPerHour: round(tr.threads.raw) },
    bounds: { rssMbPerHour: B.rssMbPerHour, fdsPerHour: B.fdsPerHour, threadsPerHour: B.threadsPerHour },
  };
  const after = samples.filter((s) => baseline && s.t >= baseline.t && s.daemon === daemons.length && s.rss != null);
  const maxRss = after.length ? Math.max(...after.map((s) => s.rss)) : null;
  const maxFds = after.length ? Math.max(...after.map((s) => s.fds)) : null;
  const maxThr = after.length ? Math.max(...after.map((s) => s.threads)) : null;
  checks.quiescent = {
    ok: !!baseline && end.fds - baseline.fds <= B.quiescentFds && end.threads - baseline.threads <= B.quiescentThreads &&
      end.rss - baseline.rss <= B.quiescentRssMb && maxRss - baseline.rss <= B.grossRssMb,
    baseline: baseline && { t: baseline.t, rssMb: baseline.rss, fds: baseline.fds, threads: baseline.threads },
    end: { t: end.t, rssMb: end.rss, fds: end.fds, threads: end.threads, activeStreams: end.active },
    delta: baseline && { rssMb: round(end.rss - baseline.rss, 1), fds: end.fds - baseline.fds, threads: end.threads - baseline.threads },
    peak: { rssMb: maxRss, fds: maxFds, threads: maxThr },
    bounds: { rssMb: B.quiescentRssMb, fds: B.quiescentFds, threads: B.quiescentThreads, grossRssMb: B.grossRssMb },
    comparable: end.active === CAMERAS.length,  // false: a stream is down at the end, so fewer FDs/threads
  };
  {
    const b = baseline && baseline.elementTypes;
    const e = end.elementTypes;
    const diff = {};
    if (b && e) {
      for (const k of new Set([...Object.keys(b), ...Object.keys(e)])) {
        const dd = (e[k] || 0) - (b[k] || 0);
        if (dd) diff[k] = dd;
      }
    }
    const comparable = end.active === CAMERAS.length;
    const el = samples.filter((x) => x.elements != null && baseline && x.t >= baseline.t && x.daemon === daemons.length);
    checks.elements = {
      ok: !o.elementTracer || (baseline && baseline.elements != null && end.elements != null &&
        (!comparable || end.elements - baseline.elements <= B.quiescentElements)),
      baseline: baseline && baseline.elements, end: end.elements, peak: el.length ? Math.max(...el.map((x) => x.elements)) : null,
      diffByType: diff, comparable, bound: B.quiescentElements,
    };
  }
  checks.all_active_at_end = { ok: end.active === CAMERAS.length, states: end.states };
  summary.figures.gstreamer_elements = o.elementTracer
    ? 'counted with the GStreamer leaks tracer (GST_TRACERS=leaks(filters=GstElement), SIGUSR1 dumps); the daemon has no endpoint for it'
    : 'not counted (elementTracer off)';
  const vk = {};
  for (const v of viewerLog) {
    const k = (vk[v.kind] ||= { n: 0, ok: 0, failed: 0, goodbye: 0, vanished: 0, errors: {} });
    k.n++;
    if (v.ok) k.ok++; else { k.failed++; const m = (v.error || '').slice(0, 80); k.errors[m] = (k.errors[m] || 0) + 1; }
    if (v.goodbye && (v.kind === 'whep_page' || v.kind === 'whep_noice')) k.goodbye++; else k.vanished++;
  }
  summary.figures.viewers = vk;
  summary.figures.samples = samples.length;
  summary.figures.durationS = tS();
  summary.ok = Object.values(checks).every((c) => c.ok);
  summary.failed = Object.entries(checks).filter(([, c]) => !c.ok).map(([k]) => k);

  fs.writeFileSync(path.join(outDir, 'faults.json'), JSON.stringify(faults, null, 2));
  fs.writeFileSync(path.join(outDir, 'viewers.json'), JSON.stringify(viewerLog, null, 1));
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
  fs.closeSync(csv);
  fs.closeSync(eventsFile);
  writeEventsCsv(outDir, events);
  writePlotScript(outDir, events);

  // Cleanup: everything by PID.
  await fake.kill9();
  await rtsp.kill9();
  await pusher.kill9();
  await brk.stop('SIGKILL');
  if (!process.env.CAMRELAY_KEEP_TMP) {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return summary;
}

function writeEventsCsv(outDir, events) {
  const lines = ['t_s,kind,detail'];
  for (const e of events) {
    const { t, kind, ...rest } = e;
    lines.push(`${t},${kind},"${JSON.stringify(rest).replace(/"/g, "'")}"`);
  }
  fs.writeFileSync(path.join(outDir, 'events.csv'), lines.join('\n') + '\n');
}

// A gnuplot script for the four graphs; fault events are vertical lines (colour per kind).
export function writePlotScript(outDir, events) {
  const colour = { 'fault-rtsp': '#d62728', 'fault-fakecam': '#ff7f0e', 'fault-broker': '#9467bd', 'fault-rtp': '#8c564b',
    'fault-daemon': '#000000', 'baseline': '#2ca02c', 'end-quiescent': '#2ca02c' };
  const marks = events.filter((e) => colour[e.kind]).map((e) =>
    `set arrow from ${e.t}, graph 0 to ${e.t}, graph 1 nohead lc rgb '${colour[e.kind]}' dt 2 lw 1`).join('\n');
  const legend = Object.entries(colour).slice(0, 6).map(([k, c], i) =>
    `set label ${100 + i} '${k.replace('fault-', '')}' at screen ${0.1 + i * 0.13}, screen 0.02 tc rgb '${c}' font ',9'`).join('\n');
  const col = (name) => `column('${name}')`;
  const gp = `# gnuplot script written by tests/soak/soak.mjs; run in the output directory.
set datafile separator ','
set terminal pngcairo size 1100,380 font ',10'
set key top left horizontal
set grid
set offsets 0, 0, 1, 0
set xlabel 'time (s)'
set bmargin 4
${marks}
${legend}
set output 'soak-rss.png'
set ylabel 'RSS (MB)'
set title 'camrelay RSS (dashed lines: faults; black: daemon SIGTERM + restart; green: quiescent samples)'
plot 'samples.csv' using 1:(${col('rss_mb')}) with lines lw 2 title 'VmRSS'
set output 'soak-fds.png'
set ylabel 'open FDs'
set title 'camrelay open file descriptors'
plot 'samples.csv' using 1:(${col('fds')}) with lines lw 2 title '/proc/PID/fd'
set output 'soak-threads.png'
set ylabel 'threads'
set title 'camrelay threads'
plot 'samples.csv' using 1:(${col('threads')}) with lines lw 2 title 'Threads'
set output 'soak-elements.png'
set ylabel 'elements'
set title 'GStreamer elements alive (leaks tracer, every 5th sample)'
plot 'samples.csv' using 1:(${col('gst_elements')}) with linespoints pt 7 ps 0.4 lw 2 title 'GstElement instances'
set output 'soak-viewers.png'
set ylabel 'viewers / streams'
set title 'viewers (driver: running clients by kind; API: GET /viewers) and active streams'
plot 'samples.csv' using 1:(${col('drv_total')}) with steps lw 2 title 'driver: all clients', \\
     '' using 1:(${col('api_viewers')}) with steps lw 2 title 'GET /viewers', \\
     '' using 1:(${col('drv_hls')}+${col('drv_mjpeg')}) with steps title 'driver: HLS+MJPEG', \\
     '' using 1:(${col('active_streams')}) with steps lw 2 dt 3 title 'active streams (of 4)'
`;
  fs.writeFileSync(path.join(outDir, 'plot.gp'), gp);
}

// ---------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const opts = {};
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    const val = () => { if (i + 1 >= args.length) throw new Error(`${a} needs a value`); return args[++i]; };
    if (a === '--minutes') opts.minutes = Number(val());
    else if (a === '--out') opts.outDir = path.resolve(val());
    else if (a === '--seed') opts.seed = Number(val());
    else if (a === '--fault-gap') opts.faultGapS = val().split(',').map(Number);  // e.g. 10,20 (seconds)
    else if (a === '--help' || a === '-h') {
      console.log('usage: node tests/soak/soak.mjs [--minutes N] [--out DIR] [--seed S]   (inside unshare -n; see scripts/soak.sh)');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.minutes > 0)) delete opts.minutes;
  runSoak(opts).then((summary) => {
    console.log(JSON.stringify(summary, null, 2));
    process.stderr.write(`soak ${summary.ok ? 'PASSED' : `FAILED (${summary.failed.join(', ')})`}; output in ${summary.outDir}\n`);
    process.exit(summary.ok ? 0 : 1);
  }, (e) => {
    console.error(`soak aborted: ${e.stack || e}`);
    process.exit(2);
  });
}
