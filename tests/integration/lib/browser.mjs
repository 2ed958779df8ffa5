// Headless Debian chromium driven by playwright-core (never downloads a browser).
// WebRTC on a loopback-only host needs --allow-loopback-in-peer-connection and the mDNS
// hiding disabled (with mDNS on, Chromium offers only .local candidates that nothing here resolves). Run WebRTC tests inside a network namespace
// (*.netns.test.mjs files).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { SOURCE_DIR } from './daemon.mjs';

const require = createRequire(path.join(SOURCE_DIR, 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// Returns { browser, close() }. A fresh profile directory per launch, removed on close.
// trustCa: a PEM CA certificate Chromium trusts for TLS servers, the way a user installs one:
// in the NSS database of the (temporary) home directory Chromium runs with (certutil).
export async function launchBrowser({ trustCa = null } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'camrelay-chromium-'));
  const env = { ...process.env };
  if (trustCa) {
    const home = path.join(profile, 'home');
    const db = path.join(home, '.pki', 'nssdb');
    fs.mkdirSync(db, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'], { stdio: 'pipe' });
    execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'camrelay test CA', '-t', 'C,,', '-i', trustCa], { stdio: 'pipe' });
    env.HOME = home;
  }
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    env,
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage',
    ],
  });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Polls the viewer page's state (web/viewer.js exposes window.camrelayViewer).
export async function viewerState(page) {
  return page.evaluate(async () => {
    const s = window.camrelayViewer;
    const v = document.getElementById('video');
    let framesDecoded = 0;
    let framesDropped = 0;
    let pliCount = 0;
    if (s && s.pc) {
      const r = await s.pc.getStats();
      r.forEach((x) => {
        if (x.type !== 'inbound-rtp' || x.kind !== 'video') return;
        framesDecoded = x.framesDecoded || 0;
        framesDropped = x.framesDropped || 0;
        pliCount = x.pliCount || 0;
      });
    }
    return {
      status: document.getElementById('status').textContent,
      message: document.getElementById('message').textContent,
      viewerId: s ? s.viewerId : null,
      firstFrameMs: s ? s.firstFrameMs : null,
      connectedMs: s ? s.connectedMs : null,
      videoWidth: v.videoWidth,
      videoHeight: v.videoHeight,
      framesDecoded,
      framesDropped,  // before decoding (an undecodable or duplicate frame)
      pliCount,  // keyframe requests this browser sent
    };
  });
}

// A minimal standard WHEP client (draft-ietf-wish-whep), run inside the page: recvonly
// video, non-trickle offer, POST application/sdp, apply the answer. Returns its state
// accessor name on window.
export async function startWhep(page, url) {
  return page.evaluate(async (whepUrl) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    pc.ontrack = (ev) => { video.srcObject = new MediaStream([ev.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
      setTimeout(resolve, 2000);
    });
    const t0 = performance.now();
    const res = await fetch(whepUrl, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    const answer = await res.text();
    const location = res.headers.get('Location');
    if (res.status !== 201) return { status: res.status, body: answer };
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    window.whep = { pc, video, t0, location };
    return { status: res.status, location, answer };
  }, url);
}

export async function whepFrames(page) {
  return page.evaluate(async () => {
    let n = 0;
    (await window.whep.pc.getStats()).forEach((x) => { if (x.type === 'inbound-rtp' && x.kind === 'video') n = x.framesDecoded || 0; });
    return { framesDecoded: n, width: window.whep.video.videoWidth, state: window.whep.pc.connectionState };
  });
}
