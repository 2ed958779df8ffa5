// WebRTC on a network that loses packets: Chromium (WHEP, its own offer with rtx) watches the
// test camera while an nftables rule in this namespace drops 3 % of all UDP. camrelay answers
// with RTX (a=rtpmap rtx + apt) and retransmits what the browser NACKs, so the picture keeps
// moving: without retransmissions one lost packet spoils the picture until the next keyframe
// (measured before RTX: 11 frames decoded in 10 s, 8.4 s frozen).
//
// Run: unshare -n sh -c 'ip link set lo up && node --test tests/integration/webrtc_loss.netns.test.mjs'
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withDaemons, waitFor, sleep } from './lib/daemon.mjs';
import { launchBrowser, startWhep } from './lib/browser.mjs';

const WINDOW_MS = 8000;

async function inbound(page) {
  return page.evaluate(async () => {
    let o = null;
    (await window.whep.pc.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') {
        o = { lost: x.packetsLost, received: x.packetsReceived, nacks: x.nackCount,
          rtx: x.retransmittedPacketsReceived, decoded: x.framesDecoded, freezeS: x.totalFreezesDuration || 0 };
      }
    });
    return o;
  });
}

test('WebRTC with 3 % UDP loss: NACKs answered with RTX, the picture keeps moving', withDaemons(async (t, h) => {
  const d = await h.start({
    config: { cameras: [{ id: 'cam', source: { type: 'test', width: 640, height: 360, fps: 30, keyframe_interval_s: 4 } }] },
  });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  await page.goto(d.url('/health'));
  const w = await startWhep(page, d.url('/streams/cam/whep'));
  assert.equal(w.status, 201, w.body);
  const rtx = /a=rtpmap:(\d+) rtx\/90000[\s\S]*a=fmtp:\1 apt=(\d+)/.exec(w.answer);
  assert.ok(rtx, `the answer offers RTX:\n${w.answer}`);
  assert.match(w.answer, new RegExp(`a=rtpmap:${rtx[2]} H264/90000`), 'RTX is for the H.264 payload type');
  await waitFor(async () => ((await inbound(page)) || {}).decoded > 30, { timeoutMs: 15000, message: 'video decodes' });

  const rules = path.join(h.tempDir('camrelay-loss-'), 'lossy.nft');
  fs.writeFileSync(rules, 'table inet lossy {\n  chain in {\n    type filter hook input priority 0;\n' +
    '    meta l4proto udp numgen random mod 100 < 3 drop\n  }\n}\n');
  const a = await inbound(page);
  execFileSync('nft', ['-f', rules]);
  try {
    await sleep(WINDOW_MS);  // a fixed measurement window: the rates below are over it
  } finally {
    execFileSync('nft', ['delete', 'table', 'inet', 'lossy']);
  }
  const b = await inbound(page);
  const lost = b.lost - a.lost;
  const rtxIn = (b.rtx || 0) - (a.rtx || 0);
  const fps = ((b.decoded - a.decoded) * 1000) / WINDOW_MS;
  const frozen = b.freezeS - a.freezeS;
  t.diagnostic(`${WINDOW_MS / 1000} s at 3 % loss: ${b.received - a.received} packets, ${lost} lost, ` +
    `${b.nacks - a.nacks} NACKs, ${rtxIn} retransmissions, ${fps.toFixed(1)} fps decoded, ${frozen.toFixed(2)} s frozen`);
  assert.ok(lost > 0, 'the rule dropped packets');
  assert.ok(rtxIn > 0, 'retransmissions arrived');
  assert.ok(fps >= 20, `decoded ${fps.toFixed(1)} fps under loss`);
  assert.ok(frozen < 1, `frozen ${frozen.toFixed(2)} s`);
  const v = (await d.get('/viewers/cam')).body.viewers.find((x) => x.kind === 'whep');
  assert.ok(v && v.stats.packets_lost > 0, `camrelay sees the loss in the receiver reports: ${JSON.stringify(v && v.stats)}`);
}));
