// A network stall: every packet on loopback dropped for 10 s (nftables, inside this test's
// own network namespace; the kernel here has no sch_netem for `tc netem loss 100%`, and a
// drop rule is the same fault). Afterwards the RTSP camera (TCP) is back to `active` within
// its backoff, the test camera never stopped, MJPEG is served again, and nothing crashed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { withDaemons, waitFor, sleep } from './lib/daemon.mjs';
import { startRtspCamera, mjpegClient } from './lib/rtsp_camera.mjs';

const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;
const nft = (...args) => execFileSync('nft', args, { stdio: 'pipe' });

test('10 s of 100 % packet loss on the network: streams come back by themselves', withDaemons(async (t, h) => {
  const cam = await startRtspCamera({ extraArgs: ['--width', '320', '--height', '240'] });
  t.after(() => cam.stop());
  const d = await h.start({
    config: {
      cameras: [
        { id: 'ipcam', auto_start: true, source: { type: 'rtsp', url: cam.url, transport: 'tcp', latency_ms: 100 } },
        { id: 'local', auto_start: true, source: { type: 'test', width: 320, height: 240, fps: 15, bitrate_kbps: 300 } },
      ],
    },
  });
  for (const id of ['ipcam', 'local']) {
    await waitFor(async () => (await stream(d, id)).state === 'active', { timeoutMs: 10000, message: `${id} active` });
  }
  const before = await stream(d, 'ipcam');
  const client = mjpegClient(d.port, '/streams/ipcam/mjpeg', { keepBodies: 0 });
  t.after(() => client.close());
  await waitFor(() => client.parts.length >= 2, { timeoutMs: 10000, message: 'MJPEG pictures before the stall' });

  // The stall.
  nft('add', 'table', 'inet', 'stall');
  t.after(() => { try { nft('delete', 'table', 'inet', 'stall'); } catch { /* already gone */ } });
  nft('add', 'chain', 'inet', 'stall', 'in', '{ type filter hook input priority 0; }');
  nft('add', 'rule', 'inet', 'stall', 'in', 'drop');
  const stallAt = Date.now();
  await sleep(10000);
  nft('delete', 'table', 'inet', 'stall');
  assert.ok(d.running, 'the daemon is alive after the stall');

  // Back within the backoff (≤ 30 s between attempts) plus a start.
  const t0 = Date.now();
  const after = await waitFor(async () => {
    const s = await stream(d, 'ipcam');
    return s.state === 'active' && s.stats.frames > before.stats.frames + 30 ? s : null;
  }, { timeoutMs: 45000, intervalMs: 250, message: 'the RTSP camera is active again with new frames' });
  console.log(`ipcam active again ${Date.now() - t0} ms after the stall ended (${after.source.reconnects} reconnects)`);
  const local = await stream(d, 'local');
  assert.equal(local.state, 'active', 'the local test camera never stopped');
  assert.equal(local.session_id, (await stream(d, 'local')).session_id);
  // MJPEG: the client from before (if its TCP connection lived through) or a new one gets pictures.
  const parts = client.parts.length;
  const fresh = mjpegClient(d.port, '/streams/ipcam/mjpeg', { keepBodies: 0 });
  t.after(() => fresh.close());
  await waitFor(() => fresh.parts.length >= 3, { timeoutMs: 15000, message: 'a new MJPEG client gets pictures' });
  console.log(`old MJPEG client: ${client.ended ? 'ended' : 'still open'}, ${client.parts.length - parts} pictures since the stall`);
  assert.equal((await d.get('/health')).status, 200);
  assert.doesNotMatch(d.log, /\bcritical\b/);
  assert.ok(Date.now() - stallAt < 70000);
}));
