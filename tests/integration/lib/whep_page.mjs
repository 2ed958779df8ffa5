// In-page WebRTC helpers shared by the Chromium (playwright-core) and Firefox (puppeteer-core)
// tests and by tests/tools/record_offers.mjs. Both drivers have page.evaluate(fn, arg), which
// is all this file uses.
//
//   await installPageLib(page);                         // once per document
//   const offer = await makeOffer(page, { shape: 'audio_video', gather: 'complete' });
//   const r = await rawWhep(page, url, { shape: 'audio_first', gather: 'complete', name: 'v1' });
//   await pageFrames(page, 'v1')  → { framesDecoded, width, state, ... }
//   await whepDelete(page, 'v1')
//   await loadWhipWhep(page, 'chromium')                // the npm whip-whep WHEPClient on window
//
// Shapes (what real players send):
//   video        addTransceiver('video', recvonly)
//   audio_video  video then audio, both recvonly                (most WHEP players)
//   audio_first  audio then video, both recvonly                (whip-whep's README order, OBS…)
//   datachannel  video recvonly + createDataChannel             (players with a control channel)
// gather:
//   complete     wait for ICE gathering to complete: the offer holds every candidate (non-trickle)
//   none         the createOffer() text, no candidate (for trickle: candidates go by PATCH)
import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_DIR } from './daemon.mjs';

const PAGE_LIB = String.raw`(() => {
  if (window.camrelayTest) return;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  function buildPc(shape) {
    const pc = new RTCPeerConnection();
    const add = (kind) => pc.addTransceiver(kind, { direction: 'recvonly' });
    let dc = null;
    if (shape === 'video') add('video');
    else if (shape === 'audio_video') { add('video'); add('audio'); }
    else if (shape === 'audio_first') { add('audio'); add('video'); }
    else if (shape === 'datachannel') { add('video'); dc = pc.createDataChannel('control'); }
    else throw new Error('unknown shape ' + shape);
    return { pc, dc };
  }
  function gatheringComplete(pc, timeoutMs) {
    return new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve(true);
      const t = setTimeout(() => resolve(false), timeoutMs);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(true); }
      });
    });
  }
  // Returns the offer SDP of a fresh peer connection (closed afterwards).
  async function makeOffer(shape, gather) {
    const { pc } = buildPc(shape);
    const offer = await pc.createOffer();
    let sdp = offer.sdp;
    if (gather === 'complete') {
      await pc.setLocalDescription(offer);
      const complete = await gatheringComplete(pc, 10000);
      if (!complete) throw new Error('ICE gathering did not complete within 10 s');
      sdp = pc.localDescription.sdp;
    }
    pc.close();
    return sdp;
  }
  // A raw WHEP viewer: RTCPeerConnection + fetch. Stored on window.whepViewers[name].
  async function rawWhep(url, shape, gather, name) {
    const { pc, dc } = buildPc(shape);
    const v = { pc, dc, video: null, location: null, patches: [], candidates: [], gatheredAll: false };
    window.whepViewers = window.whepViewers || {};
    window.whepViewers[name] = v;
    pc.ontrack = (ev) => {
      if (ev.track.kind === 'audio') {
        // Played out (the browser then computes audioLevel for inbound-rtp).
        const audio = document.createElement('audio');
        audio.autoplay = true;
        audio.srcObject = new MediaStream([ev.track]);
        document.body.append(audio);
        v.audio = audio;
        return;
      }
      if (ev.track.kind !== 'video') return;
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.srcObject = new MediaStream([ev.track]);
      document.body.append(video);
      v.video = video;
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate && ev.candidate.candidate) v.candidates.push(ev.candidate);
      else if (!ev.candidate) v.gatheredAll = true;
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    let body = offer.sdp;  // trickle: the createOffer() text, no candidate in it
    if (gather === 'complete') {
      const complete = await gatheringComplete(pc, 10000);
      if (!complete) return { status: 0, body: 'ICE gathering did not complete within 10 s' };
      body = pc.localDescription.sdp;
    }
    v.offer = body;
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body });
    const text = await res.text();
    if (res.status !== 201) { pc.close(); return { status: res.status, body: text, offer: body }; }
    v.location = new URL(res.headers.get('Location'), url).href;
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    if (gather === 'none') {
      // RFC 8840 sdpfrag: our ufrag/pwd, the first m-section (BUNDLE: one transport), every
      // candidate gathered, then a=end-of-candidates.
      await gatheringComplete(pc, 10000);
      const ufrag = /a=ice-ufrag:(.*)\r\n/.exec(offer.sdp)[1];
      const pwd = /a=ice-pwd:(.*)\r\n/.exec(offer.sdp)[1];
      const t0 = pc.getTransceivers()[0];
      const mline = /m=(\w+) /.exec(offer.sdp)[1];
      let frag = 'a=ice-ufrag:' + ufrag + '\r\na=ice-pwd:' + pwd + '\r\n' +
        'm=' + mline + ' 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:' + t0.mid + '\r\n';
      for (const c of v.candidates) if (c.sdpMLineIndex === 0 || c.sdpMid === t0.mid) frag += 'a=' + c.candidate + '\r\n';
      frag += 'a=end-of-candidates\r\n';
      const p = await fetch(v.location, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: frag });
      v.patches.push({ status: p.status, frag });
    }
    return { status: res.status, location: v.location, answer: text, offer: body, patches: v.patches.map((p) => p.status) };
  }
  async function stats(pc) {
    const out = { framesDecoded: 0, audioPackets: null, bytesReceived: 0 };
    (await pc.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') {
        out.framesDecoded = x.framesDecoded || 0;
        out.bytesReceived = x.bytesReceived || 0;
        out.codecId = x.codecId;
      }
      if (x.type === 'inbound-rtp' && x.kind === 'audio') {
        out.audioPackets = x.packetsReceived || 0;
        out.audioLevel = x.audioLevel || 0;
        out.totalAudioEnergy = x.totalAudioEnergy || 0;
        out.audioCodecId = x.codecId;
      }
    });
    return out;
  }
  async function frames(name) {
    const v = window.whepViewers[name];
    const s = await stats(v.pc);
    return { ...s, width: v.video ? v.video.videoWidth : 0, height: v.video ? v.video.videoHeight : 0,
      state: v.pc.connectionState, ice: v.pc.iceConnectionState };
  }
  async function del(name) {
    const v = window.whepViewers[name];
    v.pc.close();
    if (!v.location) return 0;
    return (await fetch(v.location, { method: 'DELETE' })).status;
  }
  window.camrelayTest = { buildPc, gatheringComplete, makeOffer, rawWhep, stats, frames, del, sleep };
})()`;

export async function installPageLib(page) {
  await page.evaluate(PAGE_LIB);
}

export async function makeOffer(page, { shape = 'video', gather = 'complete' } = {}) {
  await installPageLib(page);
  return page.evaluate(([s, g]) => window.camrelayTest.makeOffer(s, g), [shape, gather]);
}

export async function rawWhep(page, url, { shape = 'video', gather = 'complete', name = 'v' } = {}) {
  await installPageLib(page);
  return page.evaluate(([u, s, g, n]) => window.camrelayTest.rawWhep(u, s, g, n), [url, shape, gather, name]);
}

export async function pageFrames(page, name = 'v') {
  return page.evaluate((n) => window.camrelayTest.frames(n), name);
}

export async function whepDelete(page, name = 'v') {
  return page.evaluate((n) => window.camrelayTest.del(n), name);
}

// The npm whip-whep package's WHEP client (node_modules/whip-whep/whep.js, an ES module with
// no imports) as window.WHEPClient. The file is read from node_modules and run as an inline
// module script (Playwright and puppeteer both inline `content`), plus one line exporting the
// class to window: nothing of it is rewritten.
export const WHIP_WHEP_DIR = path.join(SOURCE_DIR, 'node_modules', 'whip-whep');

export async function loadWhipWhep(page) {
  const src = fs.readFileSync(path.join(WHIP_WHEP_DIR, 'whep.js'), 'utf8');
  await page.addScriptTag({ type: 'module', content: `${src}\nwindow.WHEPClient = WHEPClient;\n` });
  await page.waitForFunction(() => typeof window.WHEPClient === 'function', { timeout: 5000 });
}
