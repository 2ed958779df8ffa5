// Glass-to-glass meter, page side. The test camera (tests/tools/rtsp_test_server.cpp,
// --stamp) paints the wall-clock Unix ms (42 bits, LSB first) as 16x16 black/white luma
// blocks into the top-left of every raw frame before the encoder. This reads the blocks
// back from a <video> (at every presented frame: requestVideoFrameCallback) or an MJPEG
// <img> (polled; each JPEG counted once, when first seen) and records Date.now() - stamp.
// Browser and camera run on one host: one clock.
//
// Same idea as tests/integration/lib/stamp.mjs (startG2G), which this does not reuse
// because the benchmark needs three things it lacks:
//  * luma, not the red channel: the stamp writes only the Y plane, so the blocks keep the
//    chroma of the picture under them. The benchmark camera shows moving SMPTE bars, and
//    a white block over the cyan bar comes back with R ~ 77 (read as 0 by stamp.mjs) while
//    its luma is still ~200. This decodes Y = 0.299 R + 0.587 G + 0.114 B, averaged over
//    the 8x8 centre of each block.
//  * a validity check instead of a checksum: a frame is dropped (and counted as
//    `rejected`) when any block's luma is ambiguous (between 96 and 160; over the SMPTE
//    bars black blocks read <= ~80 and white ones >= ~175) or when the decoded time is
//    implausible; so a compression artefact never yields a wrong sample silently.
//  * one sample per frame for the <img>: stamp.mjs samples the same JPEG at every 33 ms
//    tick, which counts a frame shown for 66 ms (15 fps MJPEG) twice and biases the
//    median up by about half a frame interval. Here the <img> is polled every 4 ms and a
//    stamp is recorded only when it changes (error: +0..4 ms).
//
//   await startStampReader(page, '#video');         // or '#mjpeg' (an <img>)
//   await resetStampSamples(page);                  // drop the warm-up samples
//   const { samples, rejected, frames, lastBad } = await stampSamples(page);
//   (lastBad: the per-bit block lumas of the last rejected frame, for diagnosis)

export async function startStampReader(page, selector, { key = '__g2g' } = {}) {
  await page.evaluate(({ sel, key }) => {
    const el = document.querySelector(sel);
    if (!el) throw new Error(`no element ${sel}`);
    const BITS = 42;
    const BLOCK = 16;
    const canvas = document.createElement('canvas');
    canvas.width = BITS * BLOCK;
    canvas.height = BLOCK;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const st = { samples: [], rejected: 0, frames: 0, last: -1, stop: false };
    window[key] = st;
    // Returns the stamp (ms) or null when a block is ambiguous.
    const decode = () => {
      const w = el.videoWidth || el.naturalWidth;
      if (!w) return undefined;
      // Source pixels 1:1, so one block is 16 canvas px.
      ctx.drawImage(el, 0, 0, BITS * BLOCK, BLOCK, 0, 0, BITS * BLOCK, BLOCK);
      const px = ctx.getImageData(0, 0, BITS * BLOCK, BLOCK).data;
      let ms = 0;
      const lumas = [];
      for (let bit = BITS - 1; bit >= 0; --bit) {
        let y = 0;
        for (let dy = 4; dy < 12; ++dy) {
          for (let dx = 4; dx < 12; ++dx) {
            const i = (dy * BITS * BLOCK + bit * BLOCK + dx) * 4;
            y += 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
          }
        }
        y /= 64;
        lumas[bit] = Math.round(y);
        if (y > 96 && y < 160) { st.lastBad = lumas.slice(); return null; }
        ms = ms * 2 + (y >= 160 ? 1 : 0);
      }
      return ms;
    };
    const record = (now, ms) => {
      st.frames += 1;
      if (ms === null) { st.rejected += 1; return; }
      const lat = now - ms;
      if (lat < -20 || lat > 30000) { st.rejected += 1; return; }
      st.samples.push(lat);
    };
    if (el.tagName === 'VIDEO') {
      const onFrame = () => {
        if (st.stop) return;
        const now = Date.now();
        const ms = decode();
        if (ms !== undefined) record(now, ms);
        el.requestVideoFrameCallback(onFrame);
      };
      el.requestVideoFrameCallback(onFrame);
    } else {
      const poll = () => {
        if (st.stop) return;
        if (el.complete && el.naturalWidth) {
          const now = Date.now();
          const ms = decode();
          if (ms !== undefined && ms !== st.last) {
            if (ms !== null) st.last = ms;
            record(now, ms);
          }
        }
        setTimeout(poll, 4);
      };
      poll();
    }
  }, { sel: selector, key });
}

export async function resetStampSamples(page, { key = '__g2g' } = {}) {
  await page.evaluate((key) => {
    const st = window[key];
    st.samples = [];
    st.rejected = 0;
    st.frames = 0;
  }, key);
}

export async function stampSamples(page, { key = '__g2g' } = {}) {
  return page.evaluate((key) => {
    const st = window[key];
    return st ? { samples: st.samples.slice(), rejected: st.rejected, frames: st.frames, lastBad: st.lastBad } : null;
  }, key);
}

export async function stopStampReader(page, { key = '__g2g' } = {}) {
  await page.evaluate((key) => { if (window[key]) window[key].stop = true; }, key).catch(() => {});
}
