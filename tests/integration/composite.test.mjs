// Composed cameras (docs/cameras.md "Composed cameras"; issue 19 point 3), against the real
// daemon with clients we did not write (ffmpeg decoding the JPEG snapshot into pixels,
// ffprobe reading HLS):
//   * a picture-in-picture camera of two solid test patterns is 1280x720 with the inset
//     where the layout says (bottom-right, a quarter of the size, a white border);
//   * its inputs are read once each (a "composite" reader in their /viewers) and were started
//     on demand; the composed stream goes on, with "no signal" in the inset's tile, when the
//     inset's camera goes away, and the inset comes back when it is added again;
//   * a grid with a camera that does not exist shows the others and says why;
//   * bad layouts get 400 naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withDaemons, waitFor } from './lib/daemon.mjs';

const solid = (id, pattern) => ({
  id, source: { type: 'test', width: 320, height: 240, fps: 10, pattern, overlay_clock: false },
});
const stream = async (d, id) => (await d.get(`/streams/${id}`)).body;

// The snapshot's pixels (RGB) at the given points, decoded by ffmpeg.
async function pixels(d, id, points, dir) {
  const r = await d.request('GET', `/streams/${id}/snapshot.jpg`, { timeoutMs: 20000 });
  assert.equal(r.status, 200, `snapshot of ${id}: ${r.status}`);
  const file = path.join(dir, `${id}-${Date.now()}.jpg`);
  fs.writeFileSync(file, r.raw);
  const info = await new Promise((resolve, reject) => execFile('ffprobe', ['-v', 'error', '-show_entries',
    'stream=width,height', '-of', 'json', file], (e, out, err) => (e ? reject(new Error(err)) : resolve(JSON.parse(out).streams[0]))));
  const raw = await new Promise((resolve, reject) => execFile('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo',
    '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 }, (e, out, err) => (e ? reject(new Error(String(err))) : resolve(out))));
  const at = ([x, y]) => {
    const o = (y * info.width + x) * 3;
    return [raw[o], raw[o + 1], raw[o + 2]];
  };
  return { width: info.width, height: info.height, at: (p) => at(p), points: points.map(at) };
}

const isColour = (rgb, name) => {
  const [r, g, b] = rgb;
  if (name === 'red') return r > 180 && g < 80 && b < 80;
  if (name === 'blue') return b > 180 && r < 80 && g < 80;
  if (name === 'white') return r > 200 && g > 200 && b > 200;
  if (name === 'dark') return r < 90 && g < 90 && b < 90;
  throw new Error(name);
};

test('picture-in-picture of two cameras: layout, readers, an input that stops and comes back', withDaemons(async (t, h) => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'camrelay-composite-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const d = await h.start({
    config: {
      cameras: [
        solid('main', 'blue'),
        { id: 'pip', source: { type: 'composite', layout: 'pip', inputs: ['main', 'inset'], position: 'bottom-right',
          scale: 0.25, border: 4, width: 1280, height: 720, fps: 15, bitrate_kbps: 1500 } },
      ],
    },
  });
  const added = await d.post('/cameras', solid('inset', 'red'), { timeoutMs: 15000 });  // an API camera: deleted below
  assert.equal(added.status, 201, added.text);
  const start = await d.post('/streams/pip/start', {});
  assert.ok([200, 202].includes(start.status), start.text);
  // Both inputs are read (started on demand) and in their tiles.
  const running = await waitFor(async () => {
    const s = await stream(d, 'pip');
    const inputs = s.source?.inputs ?? [];
    return s.state === 'active' && inputs.length === 2 && inputs.every((i) => i.live && i.frames > 5) ? s : null;
  }, { timeoutMs: 30000, message: 'the composed camera runs with both inputs live' });
  assert.equal(running.source.layout, 'pip');
  assert.equal(running.stats.width, 1280);
  assert.equal(running.stats.height, 720);
  for (const id of ['main', 'inset']) {
    const s = await stream(d, id);
    assert.equal(s.state, 'active', `${id} was started on demand`);
    assert.equal(s.viewers_by_protocol.composite, 1, `${id} has one composite reader`);
  }
  const readers = (await d.get('/viewers/main')).body.viewers;
  assert.deepEqual(readers.map((v) => [v.kind, v.user_agent]), [['composite', 'camrelay composite pip']]);

  // The inset: 320x180 at bottom-right with a margin of 4 + 20 px, inside a 4 px white border.
  // Frame: x 936..1256, y 516..696.
  const snap = await waitFor(async () => {
    const p = await pixels(d, 'pip', [[200, 200], [1096, 606], [934, 606], [1240, 540]], dir);
    return isColour(p.points[0], 'blue') && isColour(p.points[1], 'red') ? p : null;
  }, { timeoutMs: 20000, message: 'blue main picture with the red inset' });
  assert.equal(snap.width, 1280);
  assert.equal(snap.height, 720);
  assert.ok(isColour(snap.points[2], 'white'), `the border left of the inset is white: ${snap.points[2]}`);
  assert.ok(isColour(snap.points[3], 'red'), `inside the inset near its corner: ${snap.points[3]}`);
  assert.ok(isColour(snap.at([900, 606]), 'blue'), 'left of the border is the main picture');

  // HLS of the composed camera, read by ffprobe.
  const probed = await new Promise((resolve, reject) => execFile('ffprobe', ['-v', 'error', '-show_entries',
    'stream=codec_name,width,height', '-of', 'json', `http://127.0.0.1:${d.port}/streams/pip/hls/index.m3u8`],
  { timeout: 30000 }, (e, out, err) => (e ? reject(new Error(err)) : resolve(JSON.parse(out).streams))));
  assert.deepEqual(probed.map((s) => [s.codec_name, s.width, s.height]), [['h264', 1280, 720]]);

  // The inset's camera goes away (deleted): the composed stream goes on, its tile says
  // "no signal". (A camera that is only stopped is read again, which starts it again: the
  // composed camera keeps its inputs running while it runs.)
  const before = (await stream(d, 'pip')).stats.frames;
  const gone = await d.request('DELETE', '/cameras/inset', { timeoutMs: 15000 });
  assert.equal(gone.status, 200, gone.text);
  const missing = await waitFor(async () => {
    const s = await stream(d, 'pip');
    const inset = s.source?.inputs?.[1];
    return inset && !inset.live && /unknown camera 'inset'/.test(inset.why ?? '') ? s : null;
  }, { timeoutMs: 10000, message: 'the inset is reported missing' });
  assert.equal(missing.state, 'active');
  let seen = [];
  await waitFor(async () => {
    // A corner of the tile: its "no signal" text is in the middle.
    const p = await pixels(d, 'pip', [[200, 200], [950, 530]], dir);
    seen = p.points;
    return isColour(p.points[0], 'blue') && isColour(p.points[1], 'dark') ? p : null;
  }, { timeoutMs: 15000, message: 'the inset tile shows "no signal" (dark), the main picture goes on' })
    .catch((e) => { throw new Error(`${e.message}; pixels ${JSON.stringify(seen)}`); });
  await waitFor(async () => (await stream(d, 'pip')).stats.frames > before + 15, { timeoutMs: 10000, message: 'frames go on' });

  // It comes back: added again, it is read again (and started on demand).
  const again = await d.post('/cameras', solid('inset', 'red'), { timeoutMs: 15000 });
  assert.equal(again.status, 201, again.text);
  await waitFor(async () => {
    const p = await pixels(d, 'pip', [[1096, 606]], dir);
    return isColour(p.points[0], 'red') ? p : null;
  }, { timeoutMs: 20000, message: 'the inset is back' });

  // Stopping the composed camera lets the inputs it started go (after rtsp.grace_s).
  await d.post('/streams/pip/stop', {}, { timeoutMs: 15000 });
  await waitFor(async () => (await stream(d, 'main')).viewers === 0, { timeoutMs: 10000, message: 'main has no reader left' });
}));

test('a grid with a missing camera shows the others; bad layouts are refused', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      rtsp: { grace_s: 1 },
      cameras: [
        solid('a', 'blue'), solid('b', 'red'),
        { id: 'wall', auto_start: true,
          source: { type: 'composite', layout: 'grid', grid: '2x2', inputs: ['a', 'b', 'ghost'], width: 640, height: 360, fps: 10 } },
      ],
    },
  });
  const s = await waitFor(async () => {
    const x = await stream(d, 'wall');
    const inputs = x.source?.inputs ?? [];
    return x.state === 'active' && inputs[0]?.live && inputs[1]?.live ? x : null;
  }, { timeoutMs: 30000, message: 'the grid runs with a and b' });
  assert.equal(s.source.inputs[2].live, false);
  assert.match(s.source.inputs[2].why, /unknown camera 'ghost'/);

  const bad = [
    [{ layout: 'pip', inputs: ['a'] }, 'source.inputs'],
    [{ layout: 'grid', grid: '2x2', inputs: ['a', 'b', 'a'] }, 'source.inputs[2]'],
    [{ layout: 'grid', grid: '4x4', inputs: ['a'] }, 'source.grid'],
    [{ layout: 'pip', inputs: ['a', 'wall'] }, 'source.inputs[1]'],
    [{ layout: 'pip', inputs: ['a', 'b'], scale: 2 }, 'source.scale'],
    [{ layout: 'pip', inputs: ['x1', 'b'] }, 'source.inputs[0]'],
  ];
  for (const [src, key] of bad) {
    const r = await d.post('/cameras', { id: 'x1', source: { type: 'composite', ...src } }, { timeoutMs: 10000 });
    assert.equal(r.status, 400, `${JSON.stringify(src)}: ${r.text}`);
    assert.ok(r.body.error.message.includes(key), `${JSON.stringify(src)} names ${key}: ${r.text}`);
  }
  // Settings: a composed camera is encoded by camrelay.
  const settings = await d.get('/streams/wall/settings');
  assert.equal(settings.body.encoded_by, 'camrelay');
  assert.equal(settings.body.video.resolution, '640x360');
}));
