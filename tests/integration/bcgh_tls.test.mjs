// BCGH over MQTT with TLS (seed: local broker on 8883 with TLS): certificates made here with
// openssl (a CA and a server certificate for 127.0.0.1), mosquitto with a TLS listener,
// camrelay connecting with ssl:// and mqtt.ca_file, the fakecam with --cafile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor, sleep } from './lib/daemon.mjs';
import { Broker, makeCerts, processGroup, startFakecam, stream, waitState, rtpRange } from './lib/bcgh.mjs';

test('ssl:// broker with a CA file: connect, negotiate, stream; a wrong CA is refused', withDaemons(async (t, h) => {
  const g = processGroup();
  try {
    const certs = makeCerts(h.tempDir('camrelay-certs-'));
    const brk = await new Broker(h.tempDir(), { tls: certs }).start();
    g.add(brk.proc);
    assert.match(brk.url, /^ssl:\/\/127\.0\.0\.1:\d+$/);
    const fake = g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '3']));
    const d = await h.start({
      config: {
        mqtt: { url: brk.url, ca_file: certs.ca, keepalive_interval_s: 1 },
        rtp: rtpRange(11),
        cameras: [{ id: 'cam1', source: { type: 'rtp', negotiation: 'mqtt' } }],
      },
    });
    await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected',
      { timeoutMs: 8000, message: 'TLS connection' });
    const t0 = Date.now();
    assert.equal((await d.post('/streams/cam1/start')).status, 202);
    await waitState(d, 'cam1', 'active', 3000);
    console.log(`TLS: start → active ${Date.now() - t0} ms`);
    await sleep(4000);
    const s = await stream(d, 'cam1');
    assert.equal(s.state, 'active');
    assert.ok(s.source.keepalives_sent >= 3);
    assert.ok(s.source.rembs_sent >= 3);
    assert.doesNotMatch(fake.log, /stopped streaming/);
    assert.match(brk.proc.log, /New client connected .* as camrelay/);

    // A daemon that trusts another CA must not connect (and must keep serving).
    const bad = await h.start({
      config: {
        mqtt: { url: brk.url, ca_file: certs.otherCa, client_id: 'camrelay-bad-ca' },
        rtp: rtpRange(12),
        cameras: [{ id: 'cam2', source: { type: 'rtp', negotiation: 'mqtt' } }],
      },
    });
    const hb = await waitFor(async () => {
      const b = (await bad.get('/health')).body;
      return b.subsystems.mqtt.startsWith('disconnected: ') ? b : null;
    }, { timeoutMs: 8000, message: 'TLS failure reported' });
    console.log(`wrong CA: /health mqtt = "${hb.subsystems.mqtt}"`);
    assert.equal(hb.status, 'degraded');
    await sleep(1500);
    assert.notEqual((await bad.get('/health')).body.subsystems.mqtt, 'connected');
    assert.doesNotMatch(brk.proc.log, /as camrelay-bad-ca/);
  } catch (e) {
    g.printLogs(`test "${t.name}" failed`);
    throw e;
  } finally {
    await g.killAll();
  }
}));
