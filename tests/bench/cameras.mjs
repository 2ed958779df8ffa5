// Cameras per core (docs/scaling.md): what one camrelay instance spends per camera it
// ingests, with no viewer and with an HLS output running, to size a sharded deployment.
//
//   scripts/bench.sh cameras         (or: node tests/bench/cameras.mjs, no network namespace needed)
//
// One benchmark camera (lib/camera.mjs: tests/tools/rtsp_test_server --rtp-to, a separate
// process whose CPU is not counted; 1280x720@30, ~2 Mbit/s, 2 s GOP) sends the same RTP
// packets to CAM_MAX ports; one daemon has CAM_MAX `rtp` cameras (`negotiation: "static"`)
// on them. For K in CAM_K (1, 8, 16 by default) cameras running, the daemon's CPU
// (utime+stime from /proc/PID/stat, % of one core) over CAM_WINDOW_S (10 s) after 3 s of
// settling; then again with `hls.always: true` (every running camera also cuts HLS
// segments). Per camera = (CPU(K) − CPU(1)) / (K − 1).
// Output: a table on stdout and writeResult('cameras', …) ($BENCH_OUT/cameras.json).
import { startDaemon, waitFor, sleep } from '../integration/lib/daemon.mjs';
import { startCamera, freeUdpPair } from './lib/camera.mjs';
import { cpuTicks, rssKb } from './lib/procstat.mjs';
import { row, writeResult } from './lib/stats.mjs';

const QUICK = !!process.env.BENCH_QUICK;
const KS = (process.env.CAM_K || (QUICK ? '1,8' : '1,8,16')).split(',').map(Number);
const MAX = Math.max(...KS);
const WINDOW_S = Number(process.env.CAM_WINDOW_S || (QUICK ? 5 : 10));
const log = (...a) => console.error('[cameras]', ...a);

async function cpuWindow(d) {
  await sleep(3000);
  const c0 = cpuTicks(d.pid);
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const c1 = cpuTicks(d.pid);
  return { cpu_pct: (100 * (c1 - c0)) / ((performance.now() - t0) / 1000), rss_mb: rssKb(d.pid) / 1024 };
}

async function series(ports, hls) {
  const d = await startDaemon({
    name: hls ? 'camrelay-hls' : 'camrelay',
    config: {
      log_level: 'warn',
      hls: { always: hls },
      webrtc: { max_viewers_total: 10000 },
      cameras: ports.map((p, i) => ({ id: `c${i}`, source: { type: 'rtp', negotiation: 'static', video_port: p } })),
    },
  });
  const out = {};
  try {
    let running = 0;
    for (const k of KS) {
      for (; running < k; ++running) {
        const r = await d.post(`/streams/c${running}/start`);
        if (![200, 202].includes(r.status)) throw new Error(`start c${running}: ${r.status}`);
      }
      await waitFor(async () => {
        const s = (await d.get('/streams')).body.streams;
        return s.filter((x) => x.state === 'active').length === k;
      }, { timeoutMs: 15000, message: `${k} cameras active` });
      out[k] = await cpuWindow(d);
      log(`${hls ? 'HLS' : 'ingest'} K=${k}: ${out[k].cpu_pct.toFixed(1)} % core, RSS ${out[k].rss_mb.toFixed(1)} MB`);
    }
  } finally {
    await d.stop();
    await d.cleanup();
  }
  return out;
}

async function main() {
  const ports = [];
  for (let i = 0; i < MAX; ++i) ports.push(await freeUdpPair());
  const cam = await startCamera({ to: ports.map((p) => `127.0.0.1:${p}`) });
  const result = { ks: KS, window_s: WINDOW_S };
  try {
    result.ingest = await series(ports, false);
    result.hls = await series(ports, true);
  } finally {
    await cam.stop();
  }
  const per = (s) => (s[MAX].cpu_pct - s[KS[0]].cpu_pct) / (MAX - KS[0]);
  result.per_camera_ingest_pct = per(result.ingest);
  result.per_camera_hls_pct = per(result.hls);
  result.summary = [
    row('CPU per camera, ingest only (720p30, 2 Mbit/s)', '% core', result.per_camera_ingest_pct),
    row('CPU per camera, ingest + HLS', '% core', result.per_camera_hls_pct),
    row(`CPU with ${MAX} cameras, ingest only`, '% core', result.ingest[MAX].cpu_pct),
    row(`CPU with ${MAX} cameras, ingest + HLS`, '% core', result.hls[MAX].cpu_pct),
  ];
  console.log('cameras  ingest %core  RSS MB | +HLS %core  RSS MB');
  for (const k of KS) {
    const a = result.ingest[k];
    const b = result.hls[k];
    console.log(`${String(k).padStart(7)}  ${a.cpu_pct.toFixed(1).padStart(12)}  ${a.rss_mb.toFixed(1).padStart(6)} | ` +
      `${b.cpu_pct.toFixed(1).padStart(10)}  ${b.rss_mb.toFixed(1).padStart(6)}`);
  }
  console.log(`per camera: ingest ${result.per_camera_ingest_pct.toFixed(2)} % core, ingest + HLS ${result.per_camera_hls_pct.toFixed(2)} % core`);
  writeResult('cameras', result);
}

main().catch((e) => { console.error(e); process.exit(1); });
