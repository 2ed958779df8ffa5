// Browser-side viewers for the benchmarks, measured the same way whatever the server:
// camrelay through WHEP (watchWhep) and Janus through its REST API (janus_page.mjs).
//
// In the page, window.bench holds every viewer started there:
//   window.bench.viewers[i] = { id, kind: 'whep'|'janus', keyframesOnly, pc, video,
//     t0            performance.now() when the viewer started negotiating,
//     connectedAt   performance.now() when pc.connectionState became 'connected',
//     firstFrameAt  presentation time of the first decoded frame
//                   (requestVideoFrameCallback metadata.presentationTime),
//     error, closed }
// and the encoded-frame counters of the transform (below) in window.bench.counts[id]:
//   { frames, pictures, keyframes, firstAt, firstKeyAt }  (times: performance.timeOrigin-based
//   ms). `frames` counts encoded frames as the browser assembled them, `pictures` distinct RTP
//   timestamps (a server that sets the RTP marker bit inside an access unit makes the browser
//   see two frames for one picture). viewers[i].marks: signaling milestones (ms after t0).
//
// Decode cost: every viewer's receiver goes through an encoded-frame transform that counts
// every frame (→ received fps) and, for keyframesOnly viewers, forwards only keyframes to the
// decoder. RTCRtpScriptTransform in one shared worker when the browser has it, else
// encodedInsertableStreams + receiver.createEncodedStreams() on the main thread.
// window.bench.transformMode says which.
//
// Node side:
//   await installBenchHooks(page)            (idempotent; watchWhep/watchJanus call it)
//   await watchWhep(page, url, { keyframesOnly }) → viewer index (resolves once the answer
//                                               is applied)
//   await collectViewers(page) → array of per-viewer snapshots (see snapshotSource below)
//   await closeViewers(page)                   closes every pc, DELETEs WHEP resources,
//                                               destroys Janus sessions
//   startBlankServer() → { url, close() }       a blank page on 127.0.0.1 to host viewers
import http from 'node:http';

// Runs in the page (serialised by playwright): defines window.bench once.
function benchHooksInit() {
  if (window.bench) return window.bench.transformMode;
  const now = () => performance.now();
  const B = {
    viewers: [],
    counts: {},
    worker: null,
    transformMode: typeof RTCRtpScriptTransform !== 'undefined' ? 'RTCRtpScriptTransform(worker)'
      : 'createEncodedStreams(main thread)',
    grid: null,
  };
  window.bench = B;

  const workerSrc = `
    const counts = {};
    let dirty = false;
    onrtctransform = (ev) => {
      const t = ev.transformer;
      const o = t.options;
      const c = counts[o.id] = { frames: 0, pictures: 0, keyframes: 0, firstAt: null, firstKeyAt: null, lastTs: -1 };
      t.readable.pipeThrough(new TransformStream({
        transform(frame, ctl) {
          const at = performance.timeOrigin + performance.now();
          c.frames++;
          const ts = frame.timestamp !== undefined ? frame.timestamp : frame.getMetadata().rtpTimestamp;
          if (ts !== c.lastTs) { c.pictures++; c.lastTs = ts; }
          if (o.trace && (c.trace = c.trace || []).length < 900) c.trace.push([ts, frame.type, frame.data.byteLength, Math.round(at)]);
          if (c.firstAt === null) c.firstAt = at;
          const key = frame.type === 'key';
          if (key) { c.keyframes++; if (c.firstKeyAt === null) c.firstKeyAt = at; }
          dirty = true;
          if (!o.keyframesOnly || key) ctl.enqueue(frame);
        },
      })).pipeTo(t.writable).catch(() => {});
    };
    setInterval(() => { if (dirty) { dirty = false; postMessage(counts); } }, 200);
    onmessage = () => postMessage(counts);
  `;

  B.ensureWorker = () => {
    if (B.worker || B.transformMode.startsWith('createEncoded')) return;
    const url = URL.createObjectURL(new Blob([workerSrc], { type: 'text/javascript' }));
    B.worker = new Worker(url);
    B.worker.onmessage = (ev) => { Object.assign(B.counts, ev.data); };
  };

  // Asks the worker for fresh counters (resolves after its answer).
  B.refreshCounts = () => new Promise((resolve) => {
    if (!B.worker) return resolve();
    const prev = B.worker.onmessage;
    B.worker.onmessage = (ev) => {
      Object.assign(B.counts, ev.data);
      B.worker.onmessage = prev;
      resolve();
    };
    B.worker.postMessage('get');
    setTimeout(resolve, 1000);
  });

  B.newViewer = (kind, keyframesOnly) => {
    const v = { id: B.viewers.length, kind, keyframesOnly: !!keyframesOnly, t0: now(), pc: null,
      video: null, connectedAt: null, firstFrameAt: null, loadedAt: null, error: null,
      closed: false, states: [], marks: {} };
    v.mark = (name) => { v.marks[name] = now(); };
    B.viewers.push(v);
    return v;
  };

  B.makePc = (v, config = {}) => {
    const cfg = { ...config };
    if (B.transformMode.startsWith('createEncoded')) cfg.encodedInsertableStreams = true;
    else B.ensureWorker();
    const pc = new RTCPeerConnection(cfg);
    v.pc = pc;
    pc.onconnectionstatechange = () => {
      v.states.push([pc.connectionState, Math.round(now() - v.t0)]);
      if (pc.connectionState === 'connected' && v.connectedAt === null) v.connectedAt = now();
    };
    pc.ontrack = (ev) => B.attach(v, ev.receiver, ev.track);
    return pc;
  };

  // Puts the counting/filtering transform on a video receiver (once). The offerer (WHEP)
  // must do it right after addTransceiver, before negotiation, else no frame reaches it.
  B.prepareReceiver = (v, receiver) => {
    if (v.transformed) return;
    v.transformed = true;
    if (B.transformMode.startsWith('RTCRtp')) {
      receiver.transform = new RTCRtpScriptTransform(B.worker, { id: v.id, keyframesOnly: v.keyframesOnly, trace: !!v.trace });
    } else {
      const c = B.counts[v.id] = { frames: 0, pictures: 0, keyframes: 0, firstAt: null, firstKeyAt: null, lastTs: -1 };
      const { readable, writable } = receiver.createEncodedStreams();
      readable.pipeThrough(new TransformStream({
        transform(frame, ctl) {
          const at = performance.timeOrigin + performance.now();
          c.frames++;
          const ts = frame.timestamp !== undefined ? frame.timestamp : frame.getMetadata().rtpTimestamp;
          if (ts !== c.lastTs) { c.pictures++; c.lastTs = ts; }
          if (c.firstAt === null) c.firstAt = at;
          const key = frame.type === 'key';
          if (key) { c.keyframes++; if (c.firstKeyAt === null) c.firstKeyAt = at; }
          if (!v.keyframesOnly || key) ctl.enqueue(frame);
        },
      })).pipeTo(writable).catch(() => {});
    }
  };

  B.attach = (v, receiver, track) => {
    if (track.kind !== 'video' || v.video) return;
    B.prepareReceiver(v, receiver);
    if (!B.grid) {
      B.grid = document.createElement('div');
      B.grid.style.cssText = 'display:flex;flex-wrap:wrap;gap:1px';
      document.body.append(B.grid);
    }
    const video = document.createElement('video');
    video.id = `v${v.id}`;
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.style.cssText = 'width:64px;height:36px;background:#000';
    video.srcObject = new MediaStream([track]);
    video.addEventListener('loadeddata', () => { if (v.loadedAt === null) v.loadedAt = now(); }, { once: true });
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback((t, meta) => {
        v.firstFrameAt = meta && meta.presentationTime ? meta.presentationTime : t;
      });
    }
    B.grid.append(video);
    v.video = video;
    video.play().catch(() => {});
  };

  // Resolves at the first local ICE candidate (or when gathering is over, or after the timeout).
  B.waitFirstCandidate = (pc, timeoutMs = 2000) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete' || /a=candidate:/.test(pc.localDescription?.sdp || '')) return resolve();
    const t = setTimeout(resolve, timeoutMs);
    const done = () => { clearTimeout(t); resolve(); };
    pc.addEventListener('icecandidate', (e) => { if (e.candidate) done(); });
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') done(); });
  });

  B.waitGathering = (pc, timeoutMs = 2000) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    const t = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(t); resolve(); }
    });
  });

  // Per-viewer snapshot: timings relative to t0 and inbound-rtp counters.
  B.snapshot = async () => {
    await B.refreshCounts();
    const tNow = now();
    return Promise.all(B.viewers.map(async (v) => {
      const s = { id: v.id, kind: v.kind, keyframesOnly: v.keyframesOnly, error: v.error,
        state: v.pc ? v.pc.connectionState : 'none', states: v.states,
        connectedMs: v.connectedAt !== null ? v.connectedAt - v.t0 : null,
        firstFrameMs: v.firstFrameAt !== null ? v.firstFrameAt - v.t0 : null,
        loadedMs: v.loadedAt !== null ? v.loadedAt - v.t0 : null,
        marks: Object.fromEntries(Object.entries(v.marks).map(([k, t]) => [k, t - v.t0])),
        width: v.video ? v.video.videoWidth : 0, at: performance.timeOrigin + tNow,
        t0Epoch: performance.timeOrigin + v.t0 };
      const c = B.counts[v.id];
      if (c) {
        s.encFrames = c.frames;
        s.encPictures = c.pictures;
        s.encKeyframes = c.keyframes;
        s.firstEncodedMs = c.firstAt !== null ? c.firstAt - performance.timeOrigin - v.t0 : null;
        s.firstKeyframeMs = c.firstKeyAt !== null ? c.firstKeyAt - performance.timeOrigin - v.t0 : null;
      }
      if (v.pc && !v.closed) {
        try {
          (await v.pc.getStats()).forEach((x) => {
            if (x.type === 'inbound-rtp' && x.kind === 'video') {
              Object.assign(s, { packetsReceived: x.packetsReceived, packetsLost: x.packetsLost,
                framesReceived: x.framesReceived, framesDecoded: x.framesDecoded,
                keyFramesDecoded: x.keyFramesDecoded, framesDropped: x.framesDropped,
                bytesReceived: x.bytesReceived, nackCount: x.nackCount, pliCount: x.pliCount,
                firCount: x.firCount, freezeCount: x.freezeCount, jitter: x.jitter });
            }
          });
        } catch (e) {
          s.statsError = String(e);
        }
      }
      return s;
    }));
  };

  B.closeAll = async () => {
    await Promise.all(B.viewers.map(async (v) => {
      if (v.closed) return;
      v.closed = true;
      try { if (v.cleanup) await v.cleanup(); } catch { /* best effort */ }
      try { if (v.pc) v.pc.close(); } catch { /* closed */ }
      if (v.video) { v.video.srcObject = null; v.video.remove(); }
    }));
  };
  return B.transformMode;
}

export async function installBenchHooks(page) {
  return page.evaluate(benchHooksInit);
}

// A camrelay (or any WHEP server) viewer: recvonly video, its offer POSTed (application/sdp).
// trickle (the default) does what the reference WHEP client (npm whip-whep) does: the offer
// goes at once, before the browser has gathered a candidate, and every candidate follows by
// PATCH (application/trickle-ice-sdpfrag) — gathering overlaps the HTTP round trip.
// trickle: false waits for the browser's first candidate and puts it in the offer (later
// ones still go by PATCH). Then the answer is applied. Marks (ms after t0): offerCreated,
// localSet, offerReady (POST sent), answerReceived, remoteSet. Resolves the viewer index in
// window.bench.viewers.
export async function watchWhep(page, url, { keyframesOnly = false, trace = false, trickle = true } = {}) {
  await installBenchHooks(page);
  return page.evaluate(async ({ url, keyframesOnly, trace, trickle }) => {
    const B = window.bench;
    const v = B.newViewer('whep', keyframesOnly);
    v.trace = trace;
    try {
      const pc = B.makePc(v);
      const tr = pc.addTransceiver('video', { direction: 'recvonly' });
      B.prepareReceiver(v, tr.receiver);
      const pending = [];
      let inOffer = null;  // candidates already in the POSTed offer
      let resource = null;
      const patch = (c) => {
        if (inOffer && inOffer.has(c.candidate)) return;
        if (!resource) return pending.push(c);
        const mid = c.sdpMid ?? '0';
        fetch(resource, { method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' },
          body: `a=mid:${mid}\r\na=${c.candidate}\r\n` }).catch(() => {});
      };
      pc.addEventListener('icecandidate', (e) => { if (e.candidate) patch(e.candidate); });
      const offer = await pc.createOffer();
      v.mark('offerCreated');
      await pc.setLocalDescription(offer);
      v.mark('localSet');
      if (!trickle) await B.waitFirstCandidate(pc);
      const sdp = pc.localDescription.sdp;
      inOffer = new Set((sdp.match(/a=candidate:[^\r\n]+/g) || []).map((l) => l.slice(2)));
      v.mark('offerReady');
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp });
      const answer = await res.text();
      if (res.status !== 201) throw new Error(`WHEP ${res.status}: ${answer.slice(0, 200)}`);
      const loc = res.headers.get('Location');
      if (loc) {
        resource = new URL(loc, url).href;
        v.cleanup = () => fetch(resource, { method: 'DELETE' });
        pending.splice(0).forEach(patch);
      }
      v.mark('answerReceived');
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
      v.mark('remoteSet');
    } catch (e) {
      v.error = String(e && e.message || e);
    }
    return v.id;
  }, { url, keyframesOnly, trace, trickle });
}

export async function collectViewers(page) {
  return page.evaluate(() => window.bench ? window.bench.snapshot() : []);
}

export async function closeViewers(page) {
  return page.evaluate(() => window.bench ? window.bench.closeAll() : null);
}

// A blank HTML page served on 127.0.0.1 (any path), to host viewers of any server from a
// real http origin (both camrelay and Janus answer CORS requests).
export async function startBlankServer() {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('<!doctype html><html><head><meta charset="utf-8"><title>bench</title></head><body></body></html>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  return { url: `http://127.0.0.1:${port}/`, port, close: () => new Promise((r) => srv.close(r)) };
}
