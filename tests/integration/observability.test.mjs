// Observability (issue 16): GET /metrics in the Prometheus text format — linted by
// `promtool check metrics` (Debian's Prometheus) and read with an npm parser — whose
// counters move while readers watch and never go backwards when readers leave or the
// stream restarts; seed 002's per-stream statistics; stall detection (a camera that stops
// sending while a reader watches is flagged within 6 s, /health degrades, the source is
// restarted, and it recovers when frames return); the systemd watchdog pings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { withDaemons, waitFor, sleep, makeTempDir, httpRequest, SOURCE_DIR } from './lib/daemon.mjs';
import { processGroup, rtpRange } from './lib/bcgh.mjs';
import { mjpegClient } from './lib/rtsp_camera.mjs';
import { spawnPusher } from './lib/rtp_pusher.mjs';

const require = createRequire(import.meta.url);
const parsePrometheus = require('parse-prometheus-text-format');

async function scrape(d) {
  const r = await httpRequest({ port: d.port, target: '/metrics' });
  assert.equal(r.status, 200, String(r.body));
  assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  const text = r.raw.toString('utf8');
  const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
  // One sample: the family's metric whose labels include all of `labels`.
  const value = (name, labels = {}) => {
    const f = families.get(name);
    assert.ok(f, `${name} is exported`);
    const m = f.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
    assert.ok(m, `${name}${JSON.stringify(labels)} is exported`);
    return Number(m.value);
  };
  // A histogram's sample count, from the text itself (_count line).
  const count = (name, labels) => {
    const sel = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
    const line = text.split('\n').find((l) => l.startsWith(`${name}_count{`) && l.includes(sel));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { text, families, value, count };
}

function promtool(text) {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool is not installed (scripts/deps.sh installs it): ${r.error.message}`);
  return r;
}

test('GET /metrics: promtool accepts it; counters move while readers watch and never go backwards', withDaemons(async (t, h) => {
  const d = await h.start({ config: { cameras: [{ id: 'cam', auto_start: true, source: { type: 'test', width: 320, height: 240 } }] } });
  await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active', { timeoutMs: 15000, message: 'camera active' });

  const first = await scrape(d);
  const lint = promtool(first.text);
  assert.equal(lint.status, 0, `promtool check metrics:\n${lint.stdout}${lint.stderr}`);
  assert.equal(lint.stdout.trim() + lint.stderr.trim(), '', `promtool has complaints:\n${lint.stdout}${lint.stderr}`);
  for (const name of ['camrelay_streams', 'camrelay_viewers', 'camrelay_stream_frames_total', 'camrelay_stream_received_bytes_total',
    'camrelay_stream_sent_bytes_total', 'camrelay_frame_drops_total', 'camrelay_keyframe_requests_total',
    'camrelay_source_restarts_total', 'camrelay_stream_start_seconds', 'camrelay_http_requests_total',
    'camrelay_http_request_duration_seconds', 'camrelay_healthy', 'camrelay_build_info', 'process_cpu_seconds_total',
    'process_resident_memory_bytes', 'process_open_fds', 'process_start_time_seconds']) {
    assert.ok(first.families.has(name), `${name} in /metrics`);
  }
  // Every metric the Grafana dashboard in docs/ queries is exported (its # TYPE line).
  const grafana = fs.readFileSync(path.join(SOURCE_DIR, 'docs', 'grafana', 'camrelay-dashboard.json'), 'utf8');
  const used = new Set([...grafana.matchAll(/\b((?:camrelay|process)_[a-z_]+)/g)].map((m) => m[1].replace(/_bucket$/, '')));
  assert.ok(used.size > 15, 'the dashboard queries the metrics');
  for (const name of used) assert.match(first.text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} (used by docs/grafana) is exported`);
  assert.equal(first.value('camrelay_streams', { state: 'active' }), 1);
  assert.equal(first.value('camrelay_viewers', { camera: 'cam', protocol: 'mjpeg' }), 0);
  assert.ok(first.count('camrelay_stream_start_seconds', { source: 'test' }) >= 1, 'the start latency was observed');
  assert.ok(first.value('process_resident_memory_bytes') > 1e6);
  assert.ok(first.value('process_open_fds') > 3);
  assert.ok(first.value('camrelay_stream_frames_total', { camera: 'cam' }) > 0);

  // A reader of each HTTP kind: MJPEG (a long response) and HLS (playlist + segments).
  const mj = mjpegClient(d.port, '/streams/cam/mjpeg', { keepBodies: 0 });
  t.after(() => mj.req?.destroy());
  await mj.ready;
  assert.equal(mj.status, 200);
  await waitFor(() => mj.parts.length >= 3, { timeoutMs: 10000, message: 'MJPEG pictures' });
  const playlist = await waitFor(async () => {
    const r = await d.get('/streams/cam/hls/index.m3u8');
    return r.status === 200 && /\.ts|\.m4s/.test(String(r.body)) ? String(r.body) : null;
  }, { timeoutMs: 20000, message: 'HLS playlist with a segment' });
  const seg = playlist.split('\n').find((l) => l && !l.startsWith('#'));
  const segRes = await httpRequest({ port: d.port, target: `/streams/cam/hls/${seg}` });
  assert.equal(segRes.status, 200);

  const during = await waitFor(async () => {
    const m = await scrape(d);
    return m.value('camrelay_viewers', { camera: 'cam', protocol: 'mjpeg' }) === 1 &&
      m.value('camrelay_viewers', { camera: 'cam', protocol: 'hls' }) === 1 ? m : null;
  }, { timeoutMs: 5000, message: 'readers counted by protocol' });
  assert.ok(during.value('camrelay_viewers_joined_total', { camera: 'cam', protocol: 'mjpeg' }) >= 1);
  assert.ok(during.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'hls' }) >= segRes.raw.length);
  const mjBytes1 = during.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'mjpeg' });
  const frames1 = during.value('camrelay_stream_frames_total', { camera: 'cam' });
  const bytesIn1 = during.value('camrelay_stream_received_bytes_total', { camera: 'cam' });
  const reqs1 = during.value('camrelay_http_requests_total', { route: '/streams/{id}', method: 'GET', status: '200' });
  assert.ok(reqs1 >= 1, 'GET /streams/{id} counted by route pattern');

  // The counters move while the readers watch.
  await d.get('/streams/cam');
  const later = await waitFor(async () => {
    const m = await scrape(d);
    return m.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'mjpeg' }) > mjBytes1 ? m : null;
  }, { timeoutMs: 5000, message: 'MJPEG bytes move' });
  assert.ok(later.value('camrelay_stream_frames_total', { camera: 'cam' }) > frames1);
  assert.ok(later.value('camrelay_stream_received_bytes_total', { camera: 'cam' }) > bytesIn1);
  assert.ok(later.value('camrelay_http_requests_total', { route: '/streams/{id}', method: 'GET', status: '200' }) > reqs1);
  // Seed 002's statistics of the stream, for this session.
  const s = (await d.get('/streams/cam')).body;
  assert.equal(s.stats.client_count, 2);
  assert.ok(s.stats.total_bytes_streamed > 0, JSON.stringify(s.stats));
  assert.ok(s.stats.current_bitrate > 0 && Number.isInteger(s.stats.current_bitrate), JSON.stringify(s.stats));
  assert.ok(s.stats.fps > 20 && s.stats.fps < 40, `fps ${s.stats.fps}`);
  assert.ok(Number.isInteger(s.stats.uptime) && s.stats.uptime >= 0);
  assert.equal(s.stats.errors, 0);
  assert.equal(s.stalled, false);

  // The MJPEG reader leaves and the stream restarts: the totals stay where they were.
  mj.req.destroy();
  await waitFor(async () => (await d.get('/streams/cam')).body.viewers_by_protocol.mjpeg === 0,
    { timeoutMs: 5000, message: 'the MJPEG reader left' });
  const left = await scrape(d);
  const mjBytes2 = left.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'mjpeg' });
  assert.ok(mjBytes2 >= later.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'mjpeg' }));
  assert.equal((await d.post('/streams/cam/stop')).status, 200);
  assert.ok([200, 202].includes((await d.post('/streams/cam/start')).status));
  await waitFor(async () => (await d.get('/streams/cam')).body.state === 'active', { timeoutMs: 15000, message: 'active again' });
  const after = await scrape(d);
  assert.ok(after.value('camrelay_stream_frames_total', { camera: 'cam' }) >= left.value('camrelay_stream_frames_total', { camera: 'cam' }),
    'frames_total never goes backwards across a restart');
  assert.ok(after.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'mjpeg' }) >= mjBytes2);
  assert.ok(after.value('camrelay_stream_sent_bytes_total', { camera: 'cam', protocol: 'hls' }) >= segRes.raw.length);
  assert.ok(after.count('camrelay_stream_start_seconds', { source: 'test' }) >= 2, 'both starts observed');
  const fresh = (await d.get('/streams/cam')).body;
  assert.ok(fresh.stats.total_bytes_streamed < mjBytes2, 'the new session counts from zero');
  const lint2 = promtool(after.text);
  assert.equal(lint2.status, 0, lint2.stdout + lint2.stderr);
}));

test('GET /metrics needs an admin; GET /openapi.yaml is open', withDaemons(async (t, h) => {
  const d = await h.start({
    config: { auth: { disabled: false }, cameras: [{ id: 'cam', source: { type: 'test' } }] },
    env: { CAMRELAY_ADMIN_PASSWORD: 'observability-admin-pw' },
  });
  const anon = await httpRequest({ port: d.port, target: '/metrics' });
  assert.equal(anon.status, 401);
  const login = await httpRequest({ port: d.port, method: 'POST', target: '/auth/login',
    body: JSON.stringify({ username: 'admin', password: 'observability-admin-pw' }), headers: { 'content-type': 'application/json' } });
  assert.equal(login.status, 200, String(login.body));
  const tok = await httpRequest({ port: d.port, method: 'POST', target: '/auth/tokens', body: JSON.stringify({ label: 'prometheus' }),
    headers: { 'content-type': 'application/json', cookie: String(login.headers['set-cookie']).split(';')[0] } });
  assert.equal(tok.status, 201, String(tok.body));
  const token = (typeof tok.body === 'string' ? JSON.parse(tok.body) : tok.body).token;
  const ok = await httpRequest({ port: d.port, target: '/metrics', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.status, 200, `a Prometheus scrape with an admin's API token: ${ok.body}`);
  assert.match(ok.raw.toString(), /^# HELP /m);
  const spec = await httpRequest({ port: d.port, target: '/openapi.yaml' });
  assert.equal(spec.status, 200);
  assert.match(spec.headers['content-type'], /^application\/yaml/);
}));

test('stall: a camera that stops sending while a reader watches is flagged within 6 s, its source restarted, and it recovers', withDaemons(async (t, h) => {
  const g = processGroup();
  t.after(async () => {
    for (const p of g.procs) { try { process.kill(p.pid, 'SIGCONT'); } catch { /* gone */ } }
    await g.killAll();
  });
  const { port_min: port } = rtpRange(23);
  // rtp_timeout_s is long: the stall is found by the stream's own watch (health.stall_s 5),
  // not by the RTP source's timeout.
  const d = await h.start({
    config: { cameras: [{ id: 'rtp', auto_start: true, source: { type: 'rtp', negotiation: 'static', video_port: port, rtp_timeout_s: 60 } }] },
  });
  const pusher = g.add(spawnPusher(port));
  await waitFor(async () => (await d.get('/streams/rtp')).body.state === 'active', { timeoutMs: 15000, message: 'RTP camera active' });
  const client = mjpegClient(d.port, '/streams/rtp/mjpeg', { keepBodies: 0 });
  t.after(() => client.req?.destroy());
  await client.ready;
  await waitFor(() => client.parts.length >= 2, { timeoutMs: 10000, message: 'pictures before the stall' });
  assert.equal((await d.get('/health')).body.status, 'healthy');

  // The camera freezes (its process stopped: no packets, no goodbye).
  const logAt = d.log.length;
  process.kill(pusher.pid, 'SIGSTOP');
  const t0 = Date.now();
  const stalled = await waitFor(async () => {
    const s = (await d.get('/streams/rtp')).body;
    return s.stalled ? s : null;
  }, { timeoutMs: 8000, intervalMs: 100, message: 'flagged stalled' });
  const flaggedMs = Date.now() - t0;
  console.log(`stalled flagged ${flaggedMs} ms after the camera stopped sending`);
  assert.ok(flaggedMs <= 6000, `flagged within 6 s (took ${flaggedMs} ms)`);
  assert.equal(stalled.stalls, 1);
  const health = (await d.get('/health')).body;
  assert.equal(health.status, 'degraded');
  assert.deepEqual(health.stalled_streams, ['rtp']);
  const m = await scrape(d);
  assert.equal(m.value('camrelay_stream_stalled', { camera: 'rtp' }), 1);
  assert.equal(m.value('camrelay_healthy'), 0);
  await waitFor(async () => (await d.get('/streams/rtp')).body.source.restarts >= 1,
    { timeoutMs: 3000, message: 'the source was restarted' });
  await sleep(1500);  // still stalled: logged once, not again
  assert.equal((d.log.slice(logAt).match(/camera rtp: stalled:/g) || []).length, 1, d.log.slice(logAt));

  // The camera sends again: frames flow, not stalled, healthy; the reader gets pictures.
  const parts = client.parts.length;
  process.kill(pusher.pid, 'SIGCONT');
  const back = await waitFor(async () => {
    const s = (await d.get('/streams/rtp')).body;
    return !s.stalled && s.state === 'active' ? s : null;
  }, { timeoutMs: 15000, intervalMs: 200, message: 'recovered' });
  assert.equal(back.stalls, 1);
  assert.ok(back.stats.errors >= 1, `the restart counts as an error of the session: ${JSON.stringify(back.stats)}`);
  await waitFor(async () => (await d.get('/health')).body.status === 'healthy', { timeoutMs: 5000, message: 'healthy again' });
  await waitFor(() => client.parts.length > parts + 2, { timeoutMs: 10000, message: 'the reader gets pictures again' });
  assert.match(d.log.slice(logAt), /camera rtp: no longer stalled/);
}));

// A NOTIFY_SOCKET like systemd's: a Unix datagram socket (Python: node has none).
function notifyListener(dir) {
  const sock = path.join(dir, 'notify.sock');
  const py = spawn('python3', ['-u', '-c', `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(s.recv(4096).decode().replace("\\n", " ").strip(), flush=True)
`, sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  const l = { sock, messages: [], pid: py.pid, name: 'notify listener', log: '' };
  py.stdout.setEncoding('utf8');
  let buf = '';
  py.stdout.on('data', (d) => {
    buf += d;
    for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) l.messages.push({ at: Date.now(), text: buf.slice(0, i) });
  });
  l.exited = new Promise((r) => py.on('exit', r));
  l.kill9 = async () => { try { process.kill(py.pid, 'SIGKILL'); } catch { /* gone */ } await l.exited; };
  return l;
}

test('systemd watchdog: READY=1, then WATCHDOG=1 pings at a third of WATCHDOG_USEC; none while the daemon is frozen', withDaemons(async (t, h) => {
  const dir = makeTempDir('camrelay-notify-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const l = notifyListener(dir);
  t.after(() => l.kill9());
  await waitFor(() => l.messages.some((m) => m.text === 'listening'), { timeoutMs: 5000, message: 'listener up' });
  const d = await h.start({
    config: { cameras: [{ id: 'cam', auto_start: true, source: { type: 'test', width: 320, height: 240 } }] },
    env: { NOTIFY_SOCKET: l.sock, WATCHDOG_USEC: '1500000' },
  });
  await waitFor(() => l.messages.some((m) => m.text.includes('READY=1')), { timeoutMs: 5000, message: 'READY=1' });
  const pings = () => l.messages.filter((m) => m.text === 'WATCHDOG=1');
  await waitFor(() => pings().length >= 3, { timeoutMs: 5000, message: 'three pings' });
  const p = pings();
  const gap = p[2].at - p[1].at;
  assert.ok(gap >= 300 && gap <= 1000, `pings every ~500 ms (WATCHDOG_USEC/3): ${gap} ms`);
  assert.match(d.log, /systemd watchdog: 1500 ms/);

  // Frozen (as a hung daemon would be): no pings; systemd would kill it after WatchdogSec.
  process.kill(d.pid, 'SIGSTOP');
  const n = pings().length;
  await sleep(1600);
  const during = pings().length;
  process.kill(d.pid, 'SIGCONT');
  assert.ok(during <= n + 1, `no pings while frozen (${during - n} arrived)`);
  await waitFor(() => pings().length >= during + 2, { timeoutMs: 5000, message: 'pings again once it runs' });

  // Without WATCHDOG_USEC (not under systemd, or no WatchdogSec=): no pings at all.
  const l2 = notifyListener(makeTempDir('camrelay-notify-'));
  t.after(() => l2.kill9());
  await waitFor(() => l2.messages.some((m) => m.text === 'listening'), { timeoutMs: 5000, message: 'listener 2 up' });
  await h.start({ config: { cameras: [] }, env: { NOTIFY_SOCKET: l2.sock } });
  await waitFor(() => l2.messages.some((m) => m.text.includes('READY=1')), { timeoutMs: 5000, message: 'READY=1 (2)' });
  await sleep(1000);
  assert.equal(l2.messages.filter((m) => m.text === 'WATCHDOG=1').length, 0);
}));
