// The viewer swarm (tests/tools/swarm, the benchmark's receive-only WebRTC viewers) against
// the daemon's built-in test camera: 3 viewers over WHEP for ~4 s must all connect, get
// >= 25 fps with < 0.5 % loss, and say goodbye (DELETE) so that GET /viewers is empty
// afterwards; with 10 % of UDP dropped (an nftables rule in the namespace) the swarm must NACK,
// get camrelay's retransmissions (RTX) so that less loss is left, and send PLIs for what
// stays lost that camrelay counts as keyframe requests (and GET /viewers its NACKs and
// retransmissions); in a join burst some viewers must
// start from a short-GOP replay, and the viewers are sent from one thread per core; a wrong
// camera id must make the swarm exit non-zero naming the 404. All with the default receiver
// (lite: libnice + DTLS + libsrtp2); 2 viewers also with --receiver webrtcbin.
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/swarm.netns.test.mjs'
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, waitFor, BUILD_DIR } from './lib/daemon.mjs';

const SWARM = process.env.CAMRELAY_SWARM || path.join(BUILD_DIR, 'tests', 'camrelay-swarm');

// Runs the swarm to its end; resolves { code, out (parsed JSON or null), err }. `during(pid)`
// runs while it does.
function runSwarm(args, timeoutMs = 30000, during = null) {
  return new Promise((resolve, reject) => {
    const p = spawn(SWARM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const side = during ? during(p.pid) : Promise.resolve();
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => {
      process.kill(p.pid, 'SIGKILL');
      reject(new Error(`swarm did not finish within ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    p.on('error', reject);
    p.on('exit', async (code) => {
      clearTimeout(t);
      try {
        await side;
      } catch (e) {
        reject(e);
        return;
      }
      let json = null;
      try {
        json = JSON.parse(out);
      } catch {
        // left null: the test says so
      }
      resolve({ code, out: json, err });
    });
  });
}

let d;

before(async () => {
  assert.ok(fs.existsSync(SWARM), `${SWARM} missing (build with -DCAMRELAY_BUILD_TESTS=ON)`);
  d = new Daemon({
    name: 'camrelay(swarm)',
    config: {
      webrtc: { max_viewers_per_ip: 0 },
      cameras: [{ id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 1 } }],
    },
  });
  await d.start();
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active',
    { timeoutMs: 10000, message: 'demo stream active' });
});

after(async () => {
  if (d) await d.cleanup();
});

describe('camrelay-swarm', () => {
  it('3 WHEP viewers connect, get >= 25 fps with < 0.5 % loss, and leave', async () => {
    const r = await runSwarm(['--whep', d.url('/streams/demo/whep'), '--n', '3', '--settle-s', '1', '--duration-s', '4']);
    assert.equal(r.code, 0, `swarm exit ${r.code}\n${r.err}`);
    assert.ok(r.out, `swarm printed no JSON\n${r.err}`);
    assert.equal(r.out.receiver, 'lite');
    assert.equal(r.out.summary.connected, 3, JSON.stringify(r.out.summary));
    for (const v of r.out.viewers) {
      assert.ok(v.fps >= 25, `viewer ${v.id}: ${v.fps} fps`);
      assert.ok(v.loss_pct < 0.5, `viewer ${v.id}: ${v.loss_pct} % loss`);
      assert.ok(v.connected_ms > 0 && v.first_packet_ms > 0, JSON.stringify(v));
    }
    assert.ok(r.out.swarm.cpu_pct > 0 && r.out.swarm.rss_kb > 0, JSON.stringify(r.out.swarm));
    // Every viewer DELETEd its session: none left on the daemon.
    await waitFor(async () => (await d.get('/viewers')).body.count === 0,
      { timeoutMs: 5000, message: 'GET /viewers empty after the swarm left' });
  });

  it('a join burst on a camera that makes keyframes when asked: later viewers start from the short GOP, not a wait', async () => {
    // The first viewer's join forces a keyframe; viewers joining within 0.5 s of it are
    // given the frames since (a replay) instead of waiting for the next forced keyframe,
    // which the source's rate limit (one per 0.5 s) would hold back. With a 1 s keyframe
    // interval and 5 joins 100 ms apart, some join always lands within 0.5 s of a keyframe.
    const replays = async () => (await d.get('/streams/demo')).body.source.outputs?.['webrtc-rtp-h264']?.replays ?? 0;
    const before = await replays();
    const r = await runSwarm(['--whep', d.url('/streams/demo/whep'), '--n', '5', '--join-interval-ms', '100',
      '--settle-s', '1', '--duration-s', '2']);
    assert.equal(r.code, 0, `swarm exit ${r.code}\n${r.err}`);
    assert.equal(r.out.summary.connected, 5, JSON.stringify(r.out.summary));
    for (const v of r.out.viewers) assert.ok(v.fps >= 25 && v.loss_pct < 0.5, JSON.stringify(v));
    // Read while the shared payloader lingers (5 s after its last viewer).
    const after = await replays();
    assert.ok(after - before >= 1, `no viewer of the burst started from a replay (replays ${before} -> ${after})`);
    // The viewers were spread over one send thread per core (at most 4): with 2+ cores some
    // of the 5 above were sent from a thread other than the payloader's, and all got video.
    const fan = (await d.get('/streams/demo')).body.source.outputs['webrtc-rtp-h264'];
    assert.equal(fan.send_threads, Math.min(Math.max(os.cpus().length, 1), 4), JSON.stringify(fan));
    assert.equal(fan.dropped_out, 0, JSON.stringify(fan));
  });

  it('with 10 % UDP loss: NACKs answered by retransmissions, PLIs for the rest that camrelay counts', async () => {
    const rules = path.join(os.tmpdir(), `swarm-drop-${process.pid}.nft`);
    fs.writeFileSync(rules, 'table inet swarmdrop {\n  chain in {\n    type filter hook input priority 0;\n' +
      '    meta l4proto udp numgen random mod 100 < 10 drop\n  }\n}\n');
    let keyframeRequests = 0;
    let served = { nacks: 0, retransmitted: 0, sendErrors: 0 };
    try {
      const r = await runSwarm(['--whep', d.url('/streams/demo/whep'), '--n', '2', '--settle-s', '2', '--duration-s', '5'],
        30000, async () => {
          // Drop once both are connected (ICE and DTLS at full health), until the window ends.
          await waitFor(async () => (await d.get('/viewers')).body.viewers.filter((v) => v.state === 'connected').length === 2,
            { timeoutMs: 10000, message: 'both swarm viewers connected' });
          execFileSync('nft', ['-f', rules]);
          await waitFor(async () => {
            const vs = (await d.get('/viewers')).body.viewers;
            const sum = (k) => vs.reduce((a, v) => a + (v.stats?.[k] || 0), 0);
            keyframeRequests = sum('keyframe_requests');
            served = { nacks: sum('nacks_received'), retransmitted: sum('retransmitted'), sendErrors: sum('send_errors') };
            return keyframeRequests >= 2 && served.retransmitted > 0;
          }, { timeoutMs: 8000, intervalMs: 200, message: 'camrelay counts keyframe requests and retransmissions for the swarm' });
        });
      assert.ok(r.out, `swarm printed no JSON\n${r.err}`);
      for (const v of r.out.viewers) {
        assert.ok(v.nacks_sent > 0, `viewer ${v.id}: no NACK`);
        assert.ok(v.rtx_in_time > 0, `viewer ${v.id}: no retransmission arrived in time`);
        assert.ok(v.loss_pct < 9, `viewer ${v.id}: ${v.loss_pct} % loss left of 10 % dropped`);
      }
      assert.ok(r.out.viewers.reduce((a, v) => a + v.plis_sent, 0) >= 2, JSON.stringify(r.out.viewers));
      assert.ok(keyframeRequests >= 2);
      // GET /viewers shows the same from the server's side.
      assert.ok(served.nacks >= served.retransmitted && served.retransmitted > 0, JSON.stringify(served));
      assert.equal(served.sendErrors, 0, JSON.stringify(served));
    } finally {
      try {
        execFileSync('nft', ['delete', 'table', 'inet', 'swarmdrop'], { stdio: 'ignore' });
      } catch {
        // not added
      }
      fs.rmSync(rules, { force: true });
    }
  });

  it('the webrtcbin receiver: 2 viewers connect, get >= 25 fps with < 0.5 % loss, and leave', async () => {
    const r = await runSwarm(['--whep', d.url('/streams/demo/whep'), '--receiver', 'webrtcbin', '--n', '2',
      '--settle-s', '1', '--duration-s', '2']);
    assert.equal(r.code, 0, `swarm exit ${r.code}\n${r.err}`);
    assert.equal(r.out.receiver, 'webrtcbin');
    assert.equal(r.out.pipeline, 'shared');
    assert.equal(r.out.summary.connected, 2, JSON.stringify(r.out.summary));
    for (const v of r.out.viewers) assert.ok(v.fps >= 25 && v.loss_pct < 0.5, JSON.stringify(v));
    await waitFor(async () => (await d.get('/viewers')).body.count === 0,
      { timeoutMs: 5000, message: 'GET /viewers empty after the webrtcbin swarm left' });
  });

  it('exits non-zero and names the 404 for an unknown camera', async () => {
    const r = await runSwarm(['--whep', d.url('/streams/nosuch/whep'), '--n', '1', '--duration-s', '1']);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /HTTP 404/);
    assert.equal(r.out.summary.connected, 0);
  });
});
