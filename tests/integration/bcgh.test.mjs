// BCGH cameras end to end: a real mosquitto, camrelay-fakecam (a software camera that stops
// streaming without REMB, like the real one) and the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnPusher } from './lib/rtp_pusher.mjs';
import { withDaemons, waitFor, sleep, sqlite, freePort } from './lib/daemon.mjs';
import { Broker, processGroup, startFakecam, stream, waitState, rtpRange } from './lib/bcgh.mjs';

const bcghCamera = (id = 'cam1', extra = {}) => ({ id, name: `BCGH ${id}`, source: { type: 'rtp', negotiation: 'mqtt', ...extra } });

function daemonConfig(broker, { cameras = [bcghCamera()], rtp = {}, mqtt = {}, seed = 1 } = {}) {
  return {
    mqtt: { url: broker.url, answer_timeout_s: 10, keepalive_interval_s: 1, ...mqtt },
    rtp: { ...rtpRange(seed), ...rtp },
    cameras,
  };
}

// Runs fn(t, h, g) with a process group that is always killed; logs printed on failure.
function withProcs(fn) {
  return withDaemons(async (t, h) => {
    const g = processGroup();
    try {
      await fn(t, h, g);
    } catch (e) {
      g.printLogs(`test "${t.name}" failed`);
      throw e;
    } finally {
      await g.killAll();
    }
  });
}

test('start → active within 3 s; REMB keeps the camera streaming; bitrate within min/max; keepalives; stop', withProcs(async (t, h, g) => {
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);

  const fake = g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '3']));
  const keepalives = g.add(brk.subscribe('cameras/cam1/stream/keepalive'));
  const d = await h.start({ config: daemonConfig(brk, { seed: 1 }) });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);

  const t0 = Date.now();
  const r = await d.post('/streams/cam1/start', { max_bandwidth: 800, min_bandwidth: 300 });
  assert.equal(r.status, 202, r.text);
  const active = await waitState(d, 'cam1', 'active', 3000);
  const startMs = Date.now() - t0;
  console.log(`start → active: ${startMs} ms`);
  assert.equal(active.bandwidth.max_kbps, 800);
  assert.match(fake.log, /answered bcgh_/);

  // ≥ 10 s of streaming with --remb-timeout 3: the frame count keeps growing all along.
  let last = (await stream(d, 'cam1')).stats.frames;
  for (let i = 0; i < 5; ++i) {
    await sleep(2000);
    const s = await stream(d, 'cam1');
    assert.equal(s.state, 'active', `still active after ${2 * (i + 1)} s`);
    assert.ok(s.stats.frames > last + 30, `frames grow: ${last} → ${s.stats.frames}`);
    last = s.stats.frames;
  }
  assert.doesNotMatch(fake.log, /stopped streaming/, 'the camera never stopped');
  const s = await stream(d, 'cam1');
  console.log(`after ${Date.now() - t0} ms: ${s.stats.frames} frames, ${s.source.rembs_sent} REMBs (last ${s.source.last_remb_kbps} kbps), ${s.source.keepalives_sent} keepalives, ${s.source.firs_sent} FIR`);
  // REMB about once a second, its bitrate inside min..max (no viewers → max).
  assert.ok(s.source.rembs_sent >= 8, `rembs_sent ${s.source.rembs_sent}`);
  assert.ok(s.source.last_remb_kbps >= 300 && s.source.last_remb_kbps <= 800, `last_remb_kbps ${s.source.last_remb_kbps}`);
  assert.equal(s.source.last_remb_kbps, 800);
  assert.equal(s.source.rtcp_to_origin, 'answer');
  const rows = await sqlite(d.dbPath, "select rtp_endpoint_id from stream_sessions where camera_id = 'cam1'");
  assert.deepEqual(rows, [{ rtp_endpoint_id: `udp:${s.source.video_port}` }]);
  // The camera followed the REMB: its encoder runs at 800 kbps.
  assert.match(fake.log, /REMB 800 kbps: encoder bitrate 1000 -> 800 kbps/);
  // Keepalives every second with the session id and a growing seq.
  assert.ok(s.source.keepalives_sent >= 8, `keepalives_sent ${s.source.keepalives_sent}`);
  const kas = keepalives.log.trim().split('\n').map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)));
  assert.ok(kas.length >= 8);
  assert.ok(kas.every((k) => k.session_id === s.source.bcgh_session_id));
  assert.ok(kas.every((k, i) => i === 0 || k.seq > kas[i - 1].seq));

  // Stop: a stop message, and the camera stops streaming.
  const stopped = await d.post('/streams/cam1/stop');
  assert.equal(stopped.status, 200);
  assert.equal(stopped.body.state, 'stopped');
  await fake.waitLog(/stopped streaming session bcgh_\w+: the daemon sent stop/, 5000);
}));

test('negative control: rtp.remb_enabled=false → the camera stops after 3 s and the daemon reports the loss', withProcs(async (t, h, g) => {
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);
  const fake = g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '3']));
  const d = await h.start({ config: daemonConfig(brk, { rtp: { remb_enabled: false }, seed: 2 }) });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
  assert.equal((await d.post('/streams/cam1/start')).status, 202);
  const t0 = Date.now();
  await waitState(d, 'cam1', 'active', 3000);
  await fake.waitLog(/no REMB received for 3 s/, 8000);
  const stopAfter = Date.now() - t0;
  console.log(`fakecam stopped ${stopAfter} ms after active (no REMB)`);
  assert.ok(stopAfter >= 2000 && stopAfter < 6000, `stopped after ${stopAfter} ms`);
  // The daemon notices (no RTP for rtp_timeout_s = 5 s) and re-offers.
  const rec = await waitState(d, 'cam1', 'reconnecting', 10000);
  assert.match(rec.error, /no RTP from the camera/);
  assert.equal((await stream(d, 'cam1')).source.rembs_sent, 0);
  await fake.waitLog(/offer bcgh_\w+: send RTP/, 5000, fake.log.lastIndexOf('no REMB received'));
  assert.match(d.log, /sending a fresh offer/);
}));

test('malformed answers are rejected with a reason; no answer → reconnecting "camera did not answer", offers go on with backoff', withProcs(async (t, h, g) => {
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);
  const offers = g.add(brk.subscribe('cameras/cam9/stream/offer'));
  const d = await h.start({ config: daemonConfig(brk, { cameras: [bcghCamera('cam9')], mqtt: { answer_timeout_s: 4 }, seed: 3 }) });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
  await sleep(300);  // the subscriptions are in place
  assert.equal((await d.post('/streams/cam9/start')).status, 202);
  await waitFor(() => /stream\/offer \{/.test(offers.log), { timeoutMs: 3000, message: 'offer published' });
  const offer = JSON.parse(offers.log.slice(offers.log.indexOf('{')).split('\n')[0]);
  assert.match(offer.session_id, /^bcgh_/);
  assert.match(offer.sdp, /m=video \d+ RTP\/AVPF 96/);
  assert.match(offer.sdp, /a=rtcp-fb:96 goog-remb/);

  const topic = 'cameras/cam9/stream/answer';
  const goodSdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 40000 RTP/AVPF 96\r\na=rtpmap:96 H264/90000\r\n';
  brk.publish(topic, '{"session_id": "x", "sdp": ');
  brk.publish(topic, JSON.stringify({ session_id: offer.session_id, sdp: 'hello' }));
  brk.publish(topic, JSON.stringify({ session_id: offer.session_id, sdp: goodSdp.replace('m=video 40000', 'm=video 0') }));
  brk.publish(topic, JSON.stringify({ session_id: 'bcgh_wrong', sdp: goodSdp }));
  brk.publish(topic, JSON.stringify({ session_id: offer.session_id }));
  await waitFor(() => (d.log.match(/rejected answer/g) || []).length >= 5, { timeoutMs: 3000, message: '5 rejections logged' });
  assert.match(d.log, /rejected answer: bad message: invalid JSON at byte/);
  assert.match(d.log, /rejected answer: bad SDP: line 1/);
  assert.match(d.log, /rejected answer: bad SDP: the camera rejected the video stream \(m=video 0\)/);
  assert.match(d.log, /rejected answer: session_id "bcgh_wrong" does not match the current offer/);
  assert.match(d.log, /rejected answer: bad message: "sdp" must be a non-empty string/);
  // No crash: the daemon still answers.
  const health = await d.get('/health');
  assert.equal(health.status, 200);
  assert.equal((await stream(d, 'cam9')).source.answers_rejected, 5);

  // No usable answer: the stream is wanted, so it shows why and offers again with backoff.
  const e = await waitState(d, 'cam9', 'reconnecting', 6000);
  assert.match(e.error, /^camera did not answer within 4 s/);
  assert.match(e.error, /last answer rejected/);
  assert.ok(e.source.next_attempt_at * 1000 > Date.now() - 500, JSON.stringify(e.source));
  assert.match(e.source.last_error, /^camera did not answer/);
  await waitFor(() => (offers.log.match(/stream\/offer \{/g) || []).length >= 2,
    { timeoutMs: 5000, message: 'a fresh offer after the backoff' });
  // An explicit stop ends it (a stop message; the ports are free again): a new start works.
  assert.equal((await d.post('/streams/cam9/stop')).status, 200);
  assert.equal((await stream(d, 'cam9')).state, 'stopped');
  assert.equal((await d.post('/streams/cam9/start')).status, 202);
  assert.equal((await stream(d, 'cam9')).state, 'starting');
}));

test('broker down at boot: an auto_start BCGH camera is reconnecting with the MQTT reason, then active once broker and camera are up', withProcs(async (t, h, g) => {
  const brk = new Broker(h.tempDir(), { port: await freePort() });  // not started yet
  const d = await h.start({
    config: daemonConfig(brk, { cameras: [{ ...bcghCamera('cam1'), auto_start: true }], mqtt: { answer_timeout_s: 2 }, seed: 8 }),
  });
  const down = await waitFor(async () => {
    const s = await stream(d, 'cam1');
    return s.state === 'reconnecting' && /MQTT/.test(s.error || '') ? s : null;
  }, { timeoutMs: 12000, message: 'reconnecting, saying the broker is unreachable' });
  console.log(`down: ${down.error}`);
  assert.match(down.error, /camera did not answer within 2 s \(the offer could not be sent: MQTT disconnected/);
  assert.ok(down.source.next_attempt_at, JSON.stringify(down.source));
  assert.equal((await d.get('/health')).body.status, 'degraded');
  // Past the daemon's 20 s start timeout it is still reconnecting, never error.
  await waitFor(async () => {
    const s = await stream(d, 'cam1');
    assert.equal(s.state, 'reconnecting', `state ${s.state}: ${s.error}`);
    return Date.now() - d.startedAt > 22000;
  }, { timeoutMs: 30000, intervalMs: 500, message: 'still reconnecting 22 s after the start' });

  // The broker and then the camera come up: active without anyone touching the daemon.
  const t0 = Date.now();
  await brk.start();
  g.add(brk.proc);
  g.add(await startFakecam(brk, 'cam1'));
  const up = await waitState(d, 'cam1', 'active', 40000);
  console.log(`active ${Date.now() - t0} ms after the broker came up`);
  assert.equal(up.error, null);
  assert.equal(up.source.next_attempt_at, undefined);
  assert.equal((await d.get('/health')).body.status, 'healthy');
}));

test('broker killed and restarted: the daemon reconnects, other cameras keep working, the stream comes back', withProcs(async (t, h, g) => {
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);
  const fake = g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '3']));
  const d = await h.start({
    config: daemonConfig(brk, {
      cameras: [bcghCamera('cam1'), bcghCamera('cam2'),
        { id: 'demo', auto_start: true, source: { type: 'test', width: 320, height: 240 } }],
      seed: 4,
    }),
  });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
  await d.post('/streams/cam1/start');
  await waitState(d, 'cam1', 'active', 3000);
  await waitState(d, 'demo', 'active', 5000);

  // A crash of the broker (no wills published): RTP and REMB do not need it.
  await brk.stop('SIGKILL');
  const down = await waitFor(async () => {
    const hb = (await d.get('/health')).body;
    return hb.subsystems.mqtt.startsWith('disconnected: ') ? hb : null;
  }, { timeoutMs: 5000, message: 'health shows the broker down' });
  console.log(`broker down: /health ${down.status}, mqtt "${down.subsystems.mqtt}"`);
  assert.equal(down.status, 'degraded');
  const f1 = (await stream(d, 'cam1')).stats.frames;
  const demo1 = (await stream(d, 'demo')).stats.frames;
  await sleep(2500);
  assert.equal((await stream(d, 'cam1')).state, 'active');
  assert.ok((await stream(d, 'cam1')).stats.frames > f1 + 30, 'the BCGH stream keeps running without the broker');
  assert.ok((await stream(d, 'demo')).stats.frames > demo1 + 30, 'the test camera keeps running');
  // The other cameras can be stopped and started as usual.
  const demoStop = await d.post('/streams/demo/stop');
  assert.equal(demoStop.status, 200);
  assert.equal((await d.post('/streams/demo/start')).status, 202);
  await waitState(d, 'demo', 'active', 5000);
  // A BCGH start while the broker is down: the offer cannot be published yet (logged) and
  // is sent as soon as the broker is back.
  assert.equal((await d.post('/streams/cam2/start')).status, 202);
  await waitFor(() => /offer bcgh_\w+ not published \(MQTT disconnected/.test(d.log), { timeoutMs: 3000, message: 'offer pending' });

  // The broker comes back on the same port: the daemon and the camera reconnect.
  const t0 = Date.now();
  await brk.start();
  g.add(brk.proc);
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', { timeoutMs: 8000, message: 'reconnected' });
  console.log(`daemon reconnected ${Date.now() - t0} ms after the broker restarted`);
  await waitFor(() => {
    const m = /camera cam2: broker is back; sending offer (bcgh_\w+)/.exec(d.log);
    return m && d.log.includes(`camera cam2: offer ${m[1]} published on cameras/cam2/stream/offer`);
  }, { timeoutMs: 3000, message: 'the pending offer is published' });
  assert.equal((await d.post('/streams/cam2/stop')).status, 200);
  await fake.waitLog(/connected to the broker; status online/, 8000, fake.log.lastIndexOf('first REMB'));
  assert.equal((await d.get('/health')).body.status, 'healthy');
  // The stream comes back through a fresh negotiation over the new connection.
  await d.post('/streams/cam1/stop');
  assert.equal((await d.post('/streams/cam1/start')).status, 202);
  const again = await waitState(d, 'cam1', 'active', 3000);
  // Media may make the stream active a moment before the answer message is processed.
  await waitFor(async () => (await stream(d, 'cam1')).source.answers_accepted === 1,
    { timeoutMs: 2000, message: 'the new answer is accepted' });
  const f2 = again.stats.frames;
  await sleep(1500);
  assert.ok((await stream(d, 'cam1')).stats.frames > f2 + 20);

  // A graceful broker shutdown publishes the camera's last will: offline → error, cleaned
  // up; the camera online again → the wanted stream restarts by itself.
  await brk.stop('SIGTERM');
  const off = await waitState(d, 'cam1', 'error', 5000);
  assert.equal(off.error, 'camera offline');
  await brk.start();
  g.add(brk.proc);
  const back = await waitState(d, 'cam1', 'active', 10000);
  assert.equal(back.error, null);
  assert.match(d.log, /back online; restarting the stream/);
}));

test('camera offline (status / last will) → error "camera offline"; online again → restarts if wanted', withProcs(async (t, h, g) => {
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);
  let fake = g.add(await startFakecam(brk, 'cam1', ['--mqtt-keepalive', '1']));
  const d = await h.start({ config: daemonConfig(brk, { seed: 5 }) });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
  await d.post('/streams/cam1/start', { max_bandwidth: 1500 });
  await waitState(d, 'cam1', 'active', 3000);

  // Graceful: the camera publishes {"state":"offline"} (retained).
  await fake.stop('SIGTERM');
  const off = await waitState(d, 'cam1', 'error', 3000);
  assert.equal(off.error, 'camera offline');
  assert.equal(off.viewers, 0);
  fake = g.add(await startFakecam(brk, 'cam1', ['--mqtt-keepalive', '1']));
  const on = await waitState(d, 'cam1', 'active', 5000);
  assert.equal(on.bandwidth.max_kbps, 1500, 'restarted with the same bandwidth');

  // Crash: the broker publishes the last will after ~1.5 keepalives.
  const t0 = Date.now();
  await fake.kill9();
  await waitState(d, 'cam1', 'error', 6000);
  console.log(`last will → error after ${Date.now() - t0} ms`);

  // Stopped by the user → not wanted: coming online does not restart it.
  assert.equal((await d.post('/streams/cam1/stop')).status, 200);
  fake = g.add(await startFakecam(brk, 'cam1'));
  await sleep(1500);
  assert.equal((await stream(d, 'cam1')).state, 'error');
}));

test('static negotiation: RTP on a fixed port, RTCP/REMB to the learned source, loss → reconnecting', withProcs(async (t, h, g) => {
  const { port_min: port } = rtpRange(6);
  const d = await h.start({
    config: {
      rtp: { remb_enabled: true },
      cameras: [{ id: 'st', auto_start: true, bandwidth: { min_kbps: 200, max_kbps: 1200 },
        source: { type: 'rtp', negotiation: 'static', video_port: port, rtp_timeout_s: 2 } }],
    },
  });
  assert.equal((await d.get('/health')).body.subsystems.mqtt, 'disabled');
  // A plain RTP pusher (as the benchmark's synthetic camera): RTP from port+100, RTCP +101.
  const pusher = () => g.add(spawnPusher(port));
  let p = pusher();
  const s = await waitState(d, 'st', 'active', 8000);
  await waitFor(async () => (await stream(d, 'st')).source.rembs_sent >= 2, { timeoutMs: 5000, message: 'REMBs sent' });
  const src = (await stream(d, 'st')).source;
  assert.equal(src.negotiation, 'static');
  assert.equal(src.rtp_from, `127.0.0.1:${port + 100}`);
  assert.equal(src.rtcp_to, `127.0.0.1:${port + 101}`);
  assert.equal(src.last_remb_kbps, 1200);
  assert.ok(s.stats.width > 0);
  await p.kill9();
  await waitState(d, 'st', 'reconnecting', 5000);
  p = pusher();
  await waitState(d, 'st', 'active', 8000);
}));

test('a camera that streams on while the broker is down: a start it cannot answer stays active, and its later answer changes nothing', withProcs(async (t, h, g) => {
  // The soak's finding: the broker stopped (the camera's last will said "offline"), a viewer
  // started the stream again at once, the new session got the same ports and the camera,
  // which never stopped, kept streaming into them. The offer could not be sent, so no
  // answer came: the stream went `reconnecting` although video flowed, and stayed there
  // after the broker was back and the camera had answered.
  const brk = await new Broker(h.tempDir()).start();
  g.add(brk.proc);
  g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '10']));
  const d = await h.start({ config: daemonConfig(brk, { seed: 6, mqtt: { answer_timeout_s: 2 } }) });
  await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
  await d.post('/streams/cam1/start');
  await waitState(d, 'cam1', 'active', 3000);

  await brk.stop('SIGTERM');  // publishes the camera's will: offline
  await waitState(d, 'cam1', 'error', 5000);
  // Once the old pipeline has let its ports go, the new session gets the same ones (the
  // allocator hands out the lowest free pair), where the camera still sends.
  await waitFor(() => /camera cam1: pipeline cam-cam1-\w+ released/.test(d.log), { timeoutMs: 5000, message: 'old pipeline released' });
  assert.equal((await d.post('/streams/cam1/start')).status, 202);  // at once, as a viewer would
  const ports = await waitFor(() => {
    const p = [...d.log.matchAll(/camera cam1: BCGH session on UDP (\d+)/g)].map((m) => m[1]);
    return p.length >= 2 ? p : null;
  }, { timeoutMs: 3000, message: 'the second session' });
  assert.equal(ports[1], ports[0], 'the new session has the ports the camera still sends to');
  await waitState(d, 'cam1', 'active', 5000);
  await waitFor(() => /camera cam1: camera did not answer within 2 s .*, but its video flows: the stream stays active/.test(d.log),
    { timeoutMs: 6000, message: 'the answer timeout passes while the video flows' });
  const states = new Set();
  const watch = setInterval(async () => { try { states.add((await stream(d, 'cam1')).state); } catch { /* next */ } }, 100);
  t.after(() => clearInterval(watch));
  await sleep(2500);
  await brk.start();
  g.add(brk.proc);
  await waitFor(async () => (await stream(d, 'cam1')).source.answers_accepted >= 1,
    { timeoutMs: 10000, message: 'the pending offer is sent and answered once the broker is back' });
  await sleep(3000);
  clearInterval(watch);
  assert.deepEqual([...states], ['active'], 'the stream never left active');
  const s = await stream(d, 'cam1');
  assert.equal(s.state, 'active');
  assert.equal(s.error, null);
  const f = s.stats.frames;
  await sleep(1000);
  assert.ok((await stream(d, 'cam1')).stats.frames > f + 15, 'frames keep coming');
}));
