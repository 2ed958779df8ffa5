// A browser (headless Debian chromium) decodes a BCGH camera: camrelay-fakecam → MQTT offer/
// answer → RTP ingest → WebRTC viewer page. Runs in a fresh network namespace (loopback
// only). Also checks that a joining viewer makes the daemon send FIR/PLI to the camera and
// that REMB follows the viewer's estimate within min..max.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDaemons, waitFor } from './lib/daemon.mjs';
import { launchBrowser, viewerState } from './lib/browser.mjs';
import { Broker, processGroup, startFakecam, stream, waitState, rtpRange } from './lib/bcgh.mjs';

test('the viewer page decodes an RTP camera negotiated over MQTT', withDaemons(async (t, h) => {
  const g = processGroup();
  let browser;
  try {
    const brk = await new Broker(h.tempDir()).start();
    g.add(brk.proc);
    // A long GOP: a fast first frame proves the join sent a FIR/PLI to the camera.
    const fake = g.add(await startFakecam(brk, 'cam1', ['--remb-timeout', '3', '--width', '640', '--height', '360', '--keyframe-interval', '10']));
    const d = await h.start({
      config: {
        mqtt: { url: brk.url, keepalive_interval_s: 2 },
        rtp: rtpRange(21),
        cameras: [{ id: 'cam1', bandwidth: { min_kbps: 300, max_kbps: 2500 }, source: { type: 'rtp', negotiation: 'mqtt' } }],
      },
    });
    await waitFor(async () => (await d.get('/health')).body.subsystems.mqtt === 'connected', 5000);
    assert.equal((await d.post('/streams/cam1/start')).status, 202);
    const active = await waitState(d, 'cam1', 'active', 3000);
    assert.equal(active.source.offer_address, '127.0.0.1', 'inside the namespace the offer says 127.0.0.1');
    const firsBefore = (fake.log.match(/(FIR|PLI) received/g) || []).length;

    browser = await launchBrowser();
    const page = await browser.newPage();
    const t0 = Date.now();
    await page.goto(d.url('/viewer?camera=cam1'));
    const s = await waitFor(async () => {
      const v = await viewerState(page);
      return v.framesDecoded > 30 && v.videoWidth > 0 ? v : null;
    }, { timeoutMs: 20000, intervalMs: 100, message: 'the browser decodes the RTP camera' });
    console.log(`browser: ${s.videoWidth}x${s.videoHeight}, ${s.framesDecoded} frames decoded ${Date.now() - t0} ms after opening the page (first frame ${Math.round(s.firstFrameMs)} ms)`);
    assert.equal(s.videoWidth, 640);
    assert.equal(s.videoHeight, 360);
    // With a 10 s GOP, waiting for the next keyframe would take seconds.
    assert.ok(s.firstFrameMs < 3000, `first frame after ${s.firstFrameMs} ms`);

    // The join asked the camera for a keyframe (rtpbin turned the force-key-unit into FIR/PLI).
    await fake.waitLog(/(FIR|PLI) received/, 3000);
    const firsAfter = (fake.log.match(/(FIR|PLI) received/g) || []).length;
    assert.ok(firsAfter > firsBefore, `keyframe requests at the camera: ${firsBefore} → ${firsAfter}`);
    // The daemon's counters are sampled: they may show the request a moment after the camera.
    await waitFor(async () => {
      const src = (await stream(d, 'cam1')).source;
      return src.firs_sent + src.plis_sent >= 2;
    }, { timeoutMs: 3000, message: 'the daemon counts both keyframe requests it sent (start and join)' });

    // With a viewer the REMB follows its estimate, always inside min..max, and the camera
    // keeps streaming (REMB keeps arriving).
    const seen = new Set();
    const firsSettled = (fake.log.match(/(FIR|PLI) received/g) || []).length;
    // Frames received before the first keyframe are dropped at the start; count from here.
    const droppedSettled = (await viewerState(page)).framesDropped;
    for (let i = 0; i < 8; ++i) {
      const st = await stream(d, 'cam1');
      seen.add(st.source.last_remb_kbps);
      assert.ok(st.source.last_remb_kbps >= 300 && st.source.last_remb_kbps <= 2500, `REMB ${st.source.last_remb_kbps} kbps`);
      assert.equal(st.viewers, 1);
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`REMB values with one viewer: ${[...seen].join(', ')} kbps`);
    // Steady play asks for no more keyframes: at most the join's two follow-up requests (0.7
    // and 1.5 s after connecting) fall in this window. Once, each forced keyframe made
    // Chromium drop a frame and send a PLI: a FIR every 0.5 s, 8 in this window.
    const firsSteady = (fake.log.match(/(FIR|PLI) received/g) || []).length - firsSettled;
    assert.ok(firsSteady <= 2, `keyframe requests at the camera during 4 s of steady play: ${firsSteady}`);
    const dropped = (await viewerState(page)).framesDropped - droppedSettled;  // the loop: two a second
    assert.ok(dropped <= 1, `frames the browser dropped before decoding during 4 s of steady play: ${dropped}`);
    const before = (await viewerState(page)).framesDecoded;
    await waitFor(async () => (await viewerState(page)).framesDecoded > before + 60, { timeoutMs: 6000, message: 'frames keep coming' });
    assert.doesNotMatch(fake.log, /stopped streaming/);
  } catch (e) {
    g.printLogs(`test "${t.name}" failed`);
    throw e;
  } finally {
    if (browser) await browser.close();
    await g.killAll();
  }
}));
