// A hand-written Janus streaming-plugin viewer, run inside a playwright page. Measured exactly
// like the camrelay (WHEP) viewers: see viewer_page.mjs (window.bench.viewers[i], the
// encoded-frame transform, collectViewers/closeViewers).
//
//   await page.goto((await startBlankServer()).url);   // any http page works (Janus answers CORS)
//   const i = await watchJanus(page, j.apiUrl, j.mountpointId, { keyframesOnly: false });
//   // window.bench.viewers[i].video is the <video>; .pc the RTCPeerConnection
//
// Per viewer, over the REST API: create a session → attach janus.plugin.streaming →
// message {request:'watch', id} → the JSEP offer arrives on the session's long poll →
// RTCPeerConnection answer → message {request:'start'} with the answer. trickle (the default,
// as janus.js does) sends the answer at once and each browser candidate as a
// {janus:'trickle'} request (then {completed:true}); trickle: false waits until the browser's
// gathering is over and sends the answer with its candidates in it. The long poll runs until the offer is in (the
// browser allows 6 connections per host, so 100 parked long polls would block every other
// request); after that a keepalive every 25 s keeps the session (timeout 60 s). t0 (the
// start of negotiation) is taken before the `create` request. closeViewers() destroys the
// session. Resolves the viewer index (errors are stored in viewers[i].error).
import { installBenchHooks } from './viewer_page.mjs';

export { installBenchHooks, collectViewers, closeViewers, startBlankServer } from './viewer_page.mjs';

export async function watchJanus(page, apiUrl, mountpointId, { keyframesOnly = false, trickle = true } = {}) {
  await installBenchHooks(page);
  return page.evaluate(async ({ apiUrl, mountpointId, keyframesOnly, trickle }) => {
    const B = window.bench;
    const v = B.newViewer('janus', keyframesOnly);
    const tx = () => Math.random().toString(36).slice(2, 12);
    // text/plain body: a "simple" CORS request, no preflight.
    const post = async (path, body) => {
      const r = await fetch(apiUrl + path, { method: 'POST', body: JSON.stringify({ transaction: tx(), ...body }) });
      const j = await r.json();
      if (j.janus === 'error') throw new Error(`janus ${path}: ${JSON.stringify(j.error)}`);
      return j;
    };
    try {
      const sid = (await post('', { janus: 'create' })).data.id;
      v.cleanup = async () => {
        clearInterval(v.keepalive);
        await post(`/${sid}`, { janus: 'destroy' }).catch(() => {});
      };
      const hid = (await post(`/${sid}`, { janus: 'attach', plugin: 'janus.plugin.streaming' })).data.id;
      // Long poll until the offer (an event carrying jsep) arrives.
      const offerP = (async () => {
        const deadline = performance.now() + 15000;
        while (performance.now() < deadline) {
          const r = await fetch(`${apiUrl}/${sid}?rid=${Date.now()}&maxev=10`);
          let evs = await r.json();
          if (!Array.isArray(evs)) evs = [evs];
          for (const ev of evs) {
            if (ev.janus === 'event' && ev.sender === hid) {
              const d = ev.plugindata && ev.plugindata.data;
              if (d && d.error) throw new Error(`janus watch: ${d.error}`);
              if (ev.jsep && ev.jsep.type === 'offer') return ev.jsep;
            }
          }
        }
        throw new Error('janus: no offer within 15 s');
      })();
      await post(`/${sid}/${hid}`, { janus: 'message', body: { request: 'watch', id: mountpointId } });
      const offer = await offerP;
      v.mark('offerReceived');
      const pc = B.makePc(v);
      if (trickle) {
        pc.addEventListener('icecandidate', (e) => {
          const candidate = e.candidate
            ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex }
            : { completed: true };
          post(`/${sid}/${hid}`, { janus: 'trickle', candidate }).catch(() => {});
        });
      }
      await pc.setRemoteDescription(offer);
      await pc.setLocalDescription(await pc.createAnswer());
      if (!trickle) await B.waitGathering(pc);
      v.mark('answerReady');
      await post(`/${sid}/${hid}`, { janus: 'message', body: { request: 'start' },
        jsep: { type: 'answer', sdp: pc.localDescription.sdp } });
      v.mark('startAcked');
      v.keepalive = setInterval(() => { post(`/${sid}`, { janus: 'keepalive' }).catch(() => {}); }, 25000);
    } catch (e) {
      v.error = String(e && e.message || e);
    }
    return v.id;
  }, { apiUrl, mountpointId, keyframesOnly, trickle });
}
