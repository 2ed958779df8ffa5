// WHEP as third-party players send it, in headless Debian chromium, inside a network
// namespace: the npm `whip-whep` client (medooze) used as its README says, then raw
// RTCPeerConnection + fetch offers in the shapes real players send (audio+video, audio first,
// video only, video + data channel, non-trickle, trickle-only with PATCH), then viewers that
// die without a DELETE (page closed; browser SIGKILLed) and must be reaped.
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/webrtc_clients.netns.test.mjs'
//
// The page holds a camera/microphone permission (context.grantPermissions): without one
// Chromium gathers on the default-route address only, and the namespace has no route, so its
// offers would carry no candidate (ICE then works only through peer-reflexive candidates).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { Daemon, waitFor, sqlite } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';
import { rawWhep, pageFrames, whepDelete, loadWhipWhep, installPageLib, makeOffer } from './lib/whep_page.mjs';

const FIRST_FRAME_MS = 10000;   // deadline for the first decoded frames
const GROW_MS = 3000;           // framesDecoded must grow by GROW_FRAMES within this
const GROW_FRAMES = 20;         // the demo camera runs at 30 fps: 3 s = ~90 frames
const REAP_MS = 10000;          // a dead viewer must leave /viewers within this

let d;
let browser;
const WHEP = () => d.url('/streams/demo/whep');

before(async () => {
  d = new Daemon({
    name: 'camrelay(clients)',
    config: { cameras: [{ id: 'demo', name: 'Demo', auto_start: true, source: { type: 'test', keyframe_interval_s: 2 } }] },
  });
  await d.start();
  await waitFor(async () => (await d.get('/streams/demo')).body.state === 'active',
    { timeoutMs: 10000, message: 'demo stream active' });
  browser = await launchBrowser();
  await browser.context.grantPermissions(['camera', 'microphone']);
});

after(async () => {
  if (browser) await browser.close();
  if (d) {
    if (process.env.CAMRELAY_TEST_LOG) d.printLog('end of webrtc_clients');
    await d.cleanup();
  }
});

// The clients run in a document of camrelay's origin that has no Content-Security-Policy
// (the JSON of /health): camrelay's pages allow only their own scripts, and the npm
// whip-whep client is injected as an inline module, as a third-party player page would
// carry it.
async function newPage() {
  const page = await browser.newPage();
  await page.goto(d.url('/health'));
  await installPageLib(page);
  return page;
}

// Waits for decoded frames, then for framesDecoded to grow by GROW_FRAMES within GROW_MS.
// Fails early when the connection fails.
async function assertDecodes(read, what) {
  let last;
  const wait = async (cond, timeoutMs, message) => {
    try {
      return await waitFor(async () => {
        last = await read();
        if (last.state === 'failed' || last.state === 'closed') throw new Error(`connection ${last.state}`);
        return cond(last) ? last : null;
      }, { timeoutMs, intervalMs: 100, message });
    } catch (e) {
      throw new Error(`${what}: ${e.message.split('\n')[0]}; last page state ${JSON.stringify(last)}`);
    }
  };
  const first = await wait((s) => s.framesDecoded > 0, FIRST_FRAME_MS, 'first decoded video frame');
  return wait((s) => s.framesDecoded >= first.framesDecoded + GROW_FRAMES, GROW_MS,
    `framesDecoded grows by ${GROW_FRAMES} in ${GROW_MS} ms (from ${first.framesDecoded})`);
}

// What the answer tells the browser about the video section (for failure messages): its
// mid, payload type, and whether it announces the SSRC or the sdes:mid header extension (the
// browser needs one of them to route video on a BUNDLE with several RTP m-lines).
function answerFacts(answer = '') {
  const sec = answer.split(/\r\n(?=m=)/).find((x) => x.startsWith('m=video')) || '';
  const order = answer.split('\r\n').filter((l) => l.startsWith('m=')).map((l) => l.split(' ')[0]).join(',');
  return `answer: m-lines ${order}; video ${(/^m=video \S+ \S+ (\S+)/.exec(sec) || [])[1]} mid ${(/a=mid:(\S+)/.exec(sec) || [])[1]}; ` +
    `a=ssrc ${/a=ssrc:/.test(sec) ? 'yes' : 'NO'}; sdes:mid extmap ${/sdes:mid/.test(sec) ? 'yes' : 'NO'}`;
}

async function viewers() {
  const r = await d.get('/viewers');
  assert.equal(r.status, 200);
  return r.body.viewers;
}

// A raw WHEP viewer of `shape`; asserts 201 and that video decodes; DELETEs it afterwards.
async function rawShape(shape, gather = 'complete') {
  const page = await newPage();
  try {
    const r = await rawWhep(page, WHEP(), { shape, gather, name: 'v' });
    assert.equal(r.status, 201, `POST ${shape} offer: ${r.status} ${typeof r.body === 'string' ? r.body.slice(0, 300) : ''}`);
    assert.match(r.location, /\/streams\/demo\/whep\/v_[0-9a-f]+$/);
    try {
      await assertDecodes(() => pageFrames(page, 'v'), `${shape} (${gather})`);
    } catch (e) {
      e.message += `\n${answerFacts(r.answer)}`;
      throw e;
    }
    return { page, r };
  } finally {
    await whepDelete(page, 'v').catch(() => {});
    await page.close();
  }
}

describe('whip-whep (npm) WHEP client', () => {
  // Its README: new RTCPeerConnection, addTransceiver per kind, new WHEPClient(),
  // whep.view(pc, url, token). It POSTs the createOffer() text (no candidates) and trickles
  // the first m-line's candidates by PATCH.
  async function viewWith(page, kinds, direction) {
    await loadWhipWhep(page);
    return page.evaluate(async ([url, ks, dir]) => {
      const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      for (const k of ks) pc.addTransceiver(k, dir ? { direction: dir } : undefined);
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      document.body.append(video);
      pc.ontrack = (event) => { if (event.track.kind === 'video') video.srcObject = event.streams[0] || new MediaStream([event.track]); };
      const whep = new window.WHEPClient();
      window.ww = { pc, whep, video };
      try {
        await whep.view(pc, url);
        return { ok: true, resource: String(whep.resourceURL) };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    }, [WHEP(), kinds, direction]);
  }
  const readWw = (page) => page.evaluate(async () => {
    const s = await window.camrelayTest.stats(window.ww.pc);
    return { ...s, state: window.ww.pc.connectionState, width: window.ww.video.videoWidth };
  });

  it('video + audio recvonly: video decodes (framesDecoded grows over 3 s)', async () => {
    const page = await newPage();
    try {
      const r = await viewWith(page, ['video', 'audio'], 'recvonly');
      assert.ok(r.ok, `whep.view() failed: ${r.error}`);
      try {
        await assertDecodes(() => readWw(page), 'whip-whep video+audio');
      } catch (e) {
        e.message += `\n${answerFacts(await page.evaluate(() => window.ww.pc.remoteDescription?.sdp))}`;
        throw e;
      }
      const v = (await viewers()).find((x) => r.resource.endsWith(x.viewer_id));
      assert.ok(v, 'the viewer is listed');
      assert.equal(v.kind, 'whep');
    } finally {
      await page.evaluate(() => window.ww && window.ww.whep.stop()).catch(() => {});
      await page.close();
    }
  });

  it('exactly as its README: audio then video, default direction', async () => {
    const page = await newPage();
    try {
      const r = await viewWith(page, ['audio', 'video'], null);
      assert.ok(r.ok, `whep.view() failed: ${r.error}`);
      try {
        await assertDecodes(() => readWw(page), 'whip-whep README order');
      } catch (e) {
        e.message += `\n${answerFacts(await page.evaluate(() => window.ww.pc.remoteDescription?.sdp))}`;
        throw e;
      }
    } finally {
      await page.evaluate(() => window.ww && window.ww.whep.stop()).catch(() => {});
      await page.close();
    }
  });
});

describe('raw RTCPeerConnection + fetch offers', () => {
  it('audio + video (video first) decodes video', async () => {
    await rawShape('audio_video');
  });

  it('audio first (audio mid 0, video mid 1) decodes video', async () => {
    await rawShape('audio_first');
  });

  it('video only decodes', async () => {
    await rawShape('video');
  });

  it('video + data channel decodes video', async () => {
    await rawShape('datachannel');
  });

  it('non-trickle: the offer holds its candidates (gathering complete); video decodes', async () => {
    const { r } = await rawShape('video', 'complete');
    assert.match(r.offer, /\r\na=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/, 'the offer holds a loopback host candidate');
    assert.match(r.answer, /a=candidate:/, 'the answer holds the server candidates');
  });

  it('trickle-only: offer without candidates, candidates + end-of-candidates by PATCH; video decodes', async () => {
    const { r } = await rawShape('video', 'none');
    assert.doesNotMatch(r.offer, /a=candidate:/, 'the POSTed offer has no candidate');
    assert.deepEqual(r.patches, [204], 'the PATCH with candidates and a=end-of-candidates is accepted');
  });
});

// Seed 002's browser code, as the seed writes it: createOffer, setLocalDescription, POST the
// offer object as JSON to /api/webrtc/offer (no Content-Type, no candidates), then
// setRemoteDescription(await response.json()).
describe("seed 002's JSON offer API (POST /api/webrtc/offer)", () => {
  it('the seed\'s snippet plays the first camera; the answer names the WHEP resource to DELETE', async () => {
    const page = await newPage();
    try {
      const r = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        const videoElement = document.createElement('video');
        videoElement.muted = true;
        videoElement.autoplay = true;
        document.body.append(videoElement);
        window.seed = { pc, videoElement };
        // (seed 002 "WebRTC Pipeline", verbatim from here)
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        const response = await fetch('/api/webrtc/offer', {
          method: 'POST',
          body: JSON.stringify(offer),
        });
        const answer = await response.json();
        await pc.setRemoteDescription(answer);
        pc.ontrack = (event) => { videoElement.srcObject = event.streams[0]; };
        return { status: response.status, type: answer.type, camera: answer.camera, id: answer.id, location: answer.location };
      });
      assert.equal(r.status, 200);
      assert.equal(r.type, 'answer');
      assert.equal(r.camera, 'demo', 'the first camera');
      assert.equal(r.location, `/streams/demo/whep/${r.id}`);
      await assertDecodes(() => page.evaluate(async () => {
        const s = await window.camrelayTest.stats(window.seed.pc);
        return { ...s, state: window.seed.pc.connectionState };
      }), 'seed 002 snippet');
      const v = (await viewers()).find((x) => x.viewer_id === r.id);
      assert.ok(v, 'the viewer is listed');
      assert.equal(v.kind, 'whep');
      const del = await d.request('DELETE', r.location);
      assert.equal(del.status, 200);
      await waitFor(async () => !(await viewers()).some((x) => x.viewer_id === r.id),
        { timeoutMs: 5000, message: 'the viewer leaves /viewers after DELETE' });
    } finally {
      await page.evaluate(() => window.seed && window.seed.pc.close()).catch(() => {});
      await page.close();
    }
  });

  it('errors are JSON: not an offer, not SDP, bad JSON, unknown camera', async () => {
    const page = await newPage();
    try {
      const offer = await makeOffer(page, { shape: 'video', gather: 'none' });
      const cases = [
        [{ type: 'answer', sdp: offer }, 400, /"type" must be "offer"/],
        [{ type: 'offer', sdp: 'hello' }, 400, /not an SDP offer/],
        ['{"type": "offer", ', 400, /not valid JSON/],
        [{ type: 'offer', sdp: offer, camera: 'nope' }, 404, /unknown camera|nope/],
      ];
      for (const [body, status, message] of cases) {
        const r = await d.post('/api/webrtc/offer', typeof body === 'string' ? body : JSON.stringify(body));
        assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 60)} → ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body, 'object', 'a JSON error');
        assert.match(r.body.error.message, message);
      }
    } finally {
      await page.close();
    }
  });
});

// Samples /viewers every 250 ms for `ms` after a viewer died; returns
// [{t, listed, packets_sent, state}] (t in ms since the death).
async function sampleAfterDeath(vid, t0, ms = REAP_MS) {
  const samples = [];
  for (;;) {
    const t = Date.now() - t0;
    const v = (await viewers()).find((x) => x.viewer_id === vid);
    samples.push({ t, listed: !!v, packets_sent: v ? v.stats.packets_sent : null, state: v ? v.state : null });
    if (!v || t >= ms) return samples;
    await new Promise((r) => setTimeout(r, 250));
  }
}

// The daemon's UDP sockets (inodes), from /proc: every viewer has its own ICE sockets.
function udpSockets(pid) {
  const inodes = new Set();
  for (const f of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try { text = fs.readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.trim().split('\n').slice(1)) inodes.add(line.trim().split(/\s+/)[9]);
  }
  const mine = new Set();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    let link = '';
    try { link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { continue; }
    const m = link.match(/^socket:\[(\d+)\]$/);
    if (m && inodes.has(m[1])) mine.add(m[1]);
  }
  return mine;
}

// A dead viewer: gone from /viewers within REAP_MS, and the server stops sending to it: the
// UDP sockets that appeared when it joined are closed (no socket, no packet), and its
// viewer_sessions row names the reason. packets_sent grows until it is reaped (the browser's
// RTCP silence is what tells, webrtc.rtcp_timeout_s = 8 s by default).
async function assertReaped(t, samples, what, live) {
  const fmt = samples.map((s) => `${s.t}ms:${s.listed ? `${s.state}/${s.packets_sent}` : 'gone'}`).join(' ');
  console.log(`${what}: ${samples.at(-1).listed ? 'still listed' : 'reaped'} ${samples.at(-1).t} ms after it died`);
  await t.test(`${what}: gone from /viewers within ${REAP_MS / 1000} s`, () => {
    assert.ok(!samples.at(-1).listed, `still listed ${samples.at(-1).t} ms after: ${fmt}`);
  });
  await t.test(`${what}: its sockets are closed, nothing more is sent`, async () => {
    assert.ok(live.sockets.size > 0, 'the viewer had UDP sockets of its own');
    await waitFor(async () => [...live.sockets].every((i) => !udpSockets(d.pid).has(i)),
      { timeoutMs: 3000, message: `the viewer's UDP sockets closed after it was reaped (${fmt})` });
    const rows = await sqlite(d.dbPath, `select close_reason from viewer_sessions where viewer_id = '${live.vid}'`);
    assert.match(rows[0].close_reason, /no RTCP|connection/, JSON.stringify(rows));
  });
}

async function liveViewer(page, name) {
  const before = udpSockets(d.pid);
  const r = await rawWhep(page, WHEP(), { shape: 'video', gather: 'complete', name });
  assert.equal(r.status, 201, String(r.body));
  await assertDecodes(() => pageFrames(page, name), `dead-viewer setup ${name}`);
  const vid = r.location.split('/').pop();
  // The server is sending to it: packets_sent grows.
  const p0 = (await viewers()).find((x) => x.viewer_id === vid);
  assert.ok(p0, 'viewer listed');
  await waitFor(async () => ((await viewers()).find((x) => x.viewer_id === vid)?.stats.packets_sent ?? 0) > p0.stats.packets_sent,
    { timeoutMs: 5000, message: 'packets_sent grows while the viewer is alive' });
  const sockets = new Set([...udpSockets(d.pid)].filter((i) => !before.has(i)));
  return { vid, sockets };
}

// PIDs of processes whose parent is `ppid`, recursively (from ps).
function descendants(ppid) {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).trim().split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/)).filter(Boolean)
    .map(([, pid, pp, args]) => ({ pid: Number(pid), ppid: Number(pp), args }));
  const out = [];
  const walk = (p) => {
    for (const r of rows) if (r.ppid === p) { out.push(r); walk(r.pid); }
  };
  walk(ppid);
  return out;
}

describe('dead viewers are reaped', () => {
  it('a page closed without DELETE', async (t) => {
    const page = await newPage();
    const live = await liveViewer(page, 'dead1');
    const t0 = Date.now();
    await page.close();  // no DELETE: the RTCPeerConnection just disappears
    const samples = await sampleAfterDeath(live.vid, t0);
    await assertReaped(t, samples, 'closed page', live);
  });

  it('the whole browser process SIGKILLed', async (t) => {
    // A browser of its own, so killing it leaves the shared one alone. Its main process is a
    // child of this node process (playwright spawns it): the chromium child that was not
    // there before.
    const before = new Set(descendants(process.pid).map((p) => p.pid));
    const victim = await launchBrowser();
    let killed = false;
    try {
      await victim.context.grantPermissions(['camera', 'microphone']);
      const main = descendants(process.pid).find((p) => p.ppid === process.pid && !before.has(p.pid) && /chromium|chrome/.test(p.args));
      assert.ok(main, 'found the new chromium main process');
      const page = await victim.newPage();
      await page.goto(d.url('/login'));
      const live = await liveViewer(page, 'dead2');
      const tree = [main.pid, ...descendants(main.pid).map((p) => p.pid)];
      const t0 = Date.now();
      for (const pid of tree) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
      killed = true;
      const samples = await sampleAfterDeath(live.vid, t0);
      await assertReaped(t, samples, `SIGKILLed browser (pid ${main.pid}, ${tree.length} processes)`, live);
    } finally {
      if (!killed) await victim.close();
      else await victim.close().catch(() => {});  // removes its profile dir
    }
  });
});
