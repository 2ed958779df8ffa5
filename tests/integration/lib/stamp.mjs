// Glass-to-glass latency in a page: the RTSP test camera started with --stamp paints the
// wall-clock ms into each frame (42 16x16 blocks, LSB first, top-left); this reads them
// back from a <video> (at each presented frame) or an <img> (MJPEG) and records
// Date.now() - stamp. Same host, same clock.

// Starts sampling in the page; returns nothing. Results in window.__g2g (array of ms).
export async function startG2G(page, selector) {
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const canvas = document.createElement('canvas');
    canvas.width = 42 * 16;
    canvas.height = 16;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    window.__g2g = [];
    const read = () => {
      const w = el.videoWidth || el.naturalWidth;
      if (!w) return;
      // Draw the source at its own scale so one block is 16 px.
      ctx.drawImage(el, 0, 0, 42 * 16, 16, 0, 0, 42 * 16, 16);
      const px = ctx.getImageData(0, 0, 42 * 16, 16).data;
      let ms = 0;
      for (let bit = 41; bit >= 0; --bit) {
        const i = (8 * 42 * 16 + bit * 16 + 8) * 4;
        ms = ms * 2 + (px[i] > 128 ? 1 : 0);
      }
      const lat = Date.now() - ms;
      if (lat > -50 && lat < 60000) window.__g2g.push(lat);  // ignore frames without a stamp
    };
    if (el.tagName === 'VIDEO' && 'requestVideoFrameCallback' in el) {
      const onFrame = () => { read(); el.requestVideoFrameCallback(onFrame); };
      el.requestVideoFrameCallback(onFrame);
    } else {
      setInterval(read, 33);
    }
  }, selector);
}

export async function g2gSamples(page) {
  return page.evaluate(() => window.__g2g.slice());
}

export function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1] };
}
