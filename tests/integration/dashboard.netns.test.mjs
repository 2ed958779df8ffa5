// The dashboard at / (web/index.html, web/dashboard/*.js; docs/dashboard.md) in headless
// Debian Chromium, against the real daemon, at desktop (1280x800) and phone (390x844) sizes:
//   * every camera tile shows a loaded snapshot (live MJPEG on hover), the stalled badge when
//     the stream says so; start / stop / record from the tiles change the state badge and the
//     recording appears in the list (thumbnail, playback, delete);
//   * the player plays WebRTC (WHEP), then HLS and MJPEG after switching; a blocked WHEP
//     POST makes it fall back to HLS and say why; fullscreen, mute, the stats overlay;
//   * errors become toasts; cameras are added, edited and deleted with the forms, and a
//     camera of the configuration file is shown read-only;
//   * keyboard: Tab to a tile, Enter opens the player, Esc closes it; no horizontal
//     scrolling at 390 px; light and dark both render; no CSP violation, no page error;
//   * with auth on, the dashboard shows the account, a session that ends leads to /login, and
//     a viewer account plays but gets no admin buttons.
// Screenshots go to $CAMRELAY_TEST_LOG_DIR (or <build>/test-logs)/dashboard/; with
// CAMRELAY_UPDATE_DOCS=1 the desktop one is also copied to docs/img/dashboard.png.
// WebRTC opens ICE: this file runs in its own network namespace (.netns).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { withDaemons, waitFor, BUILD_DIR, SOURCE_DIR } from './lib/daemon.mjs';
import { launchBrowser } from './lib/browser.mjs';

const LOG_DIR = path.join(process.env.CAMRELAY_TEST_LOG_DIR || path.join(BUILD_DIR, 'test-logs'), 'dashboard');
const cam = (id, name, pattern) => ({ id, name, auto_start: true,
  source: { type: 'test', pattern, width: 640, height: 360, fps: 15, keyframe_interval_s: 1 } });
const CONFIG = {
  hls: { target_duration_s: 0.5 },
  recording: { min_free_mb: 0, check_interval_s: 1 },
  cameras: [cam('demo', 'Front door', 'smpte'), cam('yard', 'Yard', 'ball')],
};
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// Collects what must not happen on a page: CSP violations, uncaught errors.
function watchPage(page) {
  const problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

const tiles = (page) => page.evaluate(() => [...document.querySelectorAll('.tile')].map((t) => {
  const img = t.querySelector('.tile-img');
  return {
    id: t.dataset.camera,
    name: t.querySelector('.tile-name').textContent,
    state: t.querySelector('.badge.state').textContent,
    rec: !t.querySelector('.badge.rec').hidden,
    imgWidth: img.complete && img.getAttribute('src') ? img.naturalWidth : 0,
    fps: t.querySelector('.fps').textContent,
    bitrate: t.querySelector('.bitrate').textContent,
    spark: t.querySelector('.spark-line').getAttribute('points') || '',
  };
}));

const player = (page) => page.evaluate(() => {
  const p = window.camrelayDashboard.player;
  const v = document.getElementById('player-video');
  const img = document.getElementById('player-mjpeg');
  const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0 };
  return {
    open: document.getElementById('player').open,
    protocol: p.protocol,
    status: p.status,
    message: p.message,
    messageShown: document.getElementById('player-message').textContent,
    time: v.currentTime,
    frames: q.totalVideoFrames,
    videoWidth: v.hidden ? 0 : v.videoWidth,
    mjpegWidth: img.hidden ? 0 : img.naturalWidth,
    stats: document.getElementById('player-stats').textContent,
    fullscreen: document.fullscreenElement ? document.fullscreenElement.id : null,
    fullscreenHasVideo: !!(document.fullscreenElement && document.fullscreenElement.contains(v)),
    muted: v.muted,
  };
});

const tileButton = (page, id, cls) => page.locator(`.tile[data-camera="${id}"] button.${cls}`);

// The page shows every camera with a loaded picture.
async function allPictures(page, n, what) {
  return waitFor(async () => {
    const t = await tiles(page);
    return t.length === n && t.every((x) => x.imgWidth > 0) ? t : null;
  }, { timeoutMs: 30000, intervalMs: 200, message: `${what}: every tile shows a loaded snapshot` });
}

// No horizontal scrolling: nothing is wider than the viewport.
const overflow = (page) => page.evaluate(() => ({
  doc: document.documentElement.scrollWidth,
  body: document.body.scrollWidth,
  viewport: document.documentElement.clientWidth,
  wide: [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.closest('dialog:not([open])');
  }).slice(0, 5).map((e) => `${e.tagName}.${e.className}`),
}));

const luminance = (css) => {
  const m = css.match(/\d+(\.\d+)?/g).map(Number);
  return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
};
const colors = (page) => page.evaluate(() => ({
  bg: getComputedStyle(document.body).backgroundColor,
  text: getComputedStyle(document.body).color,
  tile: getComputedStyle(document.querySelector('.tile')).backgroundColor,
}));

// A failed step must not leave a dialog or fullscreen behind for the next one.
const reset = (page) => page.evaluate(async () => {
  if (document.fullscreenElement) await document.exitFullscreen().catch(() => {});
  for (const dlg of document.querySelectorAll('dialog[open]')) dlg.close();
});

function shot(page, name, opts = {}) {
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const file = path.join(LOG_DIR, name);
  return page.screenshot({ path: file, ...opts }).then(() => file);
}

test('dashboard: tiles, controls, player with fallback, recordings, forms, keyboard, phone, themes', withDaemons(async (t, h) => {
  const d = await h.start({ config: CONFIG });
  const stream = async (id) => (await d.get(`/streams/${id}`)).body;
  await waitFor(async () => (await stream('demo')).state === 'active' && (await stream('yard')).state === 'active',
    { timeoutMs: 20000, message: 'both cameras active' });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.setViewportSize(DESKTOP);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(d.url('/'));

  await t.test('desktop: every tile shows a loaded snapshot, the state, fps and bitrate with sparklines', async () => {
    const got = await allPictures(page, 2, 'desktop');
    assert.deepEqual(got.map((x) => x.id), ['demo', 'yard']);
    assert.deepEqual(got.map((x) => x.name), ['Front door', 'Yard']);
    const live = await waitFor(async () => {
      const x = await tiles(page);
      return x.every((y) => y.state === 'active' && /[1-9]/.test(y.fps) && /[1-9]/.test(y.bitrate) && y.spark.split(' ').length >= 3) ? x : null;
    }, { timeoutMs: 15000, intervalMs: 200, message: 'fps and bitrate shown, sparklines drawn' });
    t.diagnostic(`tiles: ${live.map((x) => `${x.id} ${x.state} ${x.fps} ${x.bitrate}`).join('; ')}`);
    // The snapshot is refreshed (a new blob: URL every few seconds).
    const src0 = await page.locator('.tile[data-camera="demo"] .tile-img').getAttribute('src');
    assert.match(src0, /^blob:/);
    await waitFor(async () => (await page.locator('.tile[data-camera="demo"] .tile-img').getAttribute('src')) !== src0,
      { timeoutMs: 10000, intervalMs: 200, message: 'the snapshot is refreshed' });
    // Hovering over the picture plays the live MJPEG stream; leaving goes back to snapshots.
    await page.locator('.tile[data-camera="yard"] .tile-view').hover();
    await page.waitForFunction(() => {
      const img = document.querySelector('.tile[data-camera="yard"] .tile-img');
      return /\/streams\/yard\/mjpeg/.test(img.src) && img.naturalWidth === 640 &&
        !document.querySelector('.tile[data-camera="yard"] .live-tag').hidden;
    }, null, { timeout: 10000 });
    await page.mouse.move(5, 795);
    await page.waitForFunction(() => /^blob:/.test(document.querySelector('.tile[data-camera="yard"] .tile-img').src),
      null, { timeout: 5000 });
  });

  await t.test('the stalled badge shows when the stream says "stalled": true', async () => {
    assert.equal(await page.locator('.tile[data-camera="yard"] .badge.stalled').isVisible(), false);
    await page.route('**/streams', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const x of body.streams) if (x.camera_id === 'yard') x.stalled = true;
      await route.fulfill({ response: res, json: body });
    });
    await page.locator('.tile[data-camera="yard"] .badge.stalled').waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await page.locator('.tile[data-camera="demo"] .badge.stalled').isVisible(), false);
    await page.unroute('**/streams');
    await page.locator('.tile[data-camera="yard"] .badge.stalled').waitFor({ state: 'hidden', timeout: 5000 });
  });

  await t.test('stop and start from the tile change the state badge; a failing call shows a toast', async () => {
    await tileButton(page, 'yard', 'start').click();  // "Stop" while running
    await waitFor(async () => (await tiles(page))[1].state === 'stopped', { timeoutMs: 15000, intervalMs: 100, message: 'yard badge: stopped' });
    assert.equal((await stream('yard')).state, 'stopped');
    assert.equal(await tileButton(page, 'yard', 'start').textContent(), 'Start');
    // The API's error envelope becomes a toast.
    await page.route('**/streams/yard/start', (route) => route.fulfill({ status: 500, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'internal', message: 'injected failure for the test' } }) }));
    await tileButton(page, 'yard', 'start').click();
    await page.locator('.toast.error', { hasText: 'injected failure for the test' }).waitFor({ timeout: 5000 });
    await page.unroute('**/streams/yard/start');
    assert.equal((await stream('yard')).state, 'stopped');
    await tileButton(page, 'yard', 'start').click();
    await waitFor(async () => (await tiles(page))[1].state === 'active', { timeoutMs: 20000, intervalMs: 100, message: 'yard badge: active again' });
    await allPictures(page, 2, 'after the restart');
  });

  await t.test('record from the tile: REC badge, then the recording is listed, its thumbnail loads and it plays', async () => {
    await reset(page);
    await tileButton(page, 'demo', 'record').click();
    await waitFor(async () => (await tiles(page))[0].rec, { timeoutMs: 10000, intervalMs: 100, message: 'REC badge' });
    await waitFor(async () => {
      const r = (await stream('demo')).recording;
      return r.state === 'recording' && r.recorder && r.recorder.uptime_s >= 3;
    }, { timeoutMs: 20000, intervalMs: 200, message: '3 s recorded' });
    assert.equal(await tileButton(page, 'demo', 'record').getAttribute('aria-pressed'), 'true');
    await tileButton(page, 'demo', 'record').click();  // "Stop recording"
    await waitFor(async () => !(await tiles(page))[0].rec, { timeoutMs: 10000, intervalMs: 100, message: 'REC badge gone' });
    const row = page.locator('#recordings li.rec-item[data-camera="demo"][data-status="complete"]');
    await row.first().waitFor({ timeout: 15000 });
    const listed = (await d.get('/recordings?camera=demo')).body.recordings;
    assert.equal(listed.length, 1, JSON.stringify(listed));
    assert.equal(await row.first().getAttribute('data-id'), String(listed[0].id));
    await row.first().scrollIntoViewIfNeeded();
    await waitFor(() => page.evaluate(() => {
      const img = document.querySelector('#recordings li.rec-item .rec-thumb');
      return img && img.complete && img.naturalWidth > 0 ? true
        : { src: img && img.src, complete: img && img.complete, broken: img && img.classList.contains('broken'),
          items: document.querySelectorAll('#recordings li.rec-item').length, rect: img && JSON.stringify(img.getBoundingClientRect()) };
    }).then((x) => {
      if (x !== true) throw new Error(`not loaded: ${JSON.stringify(x)}`);
      return true;
    }), { timeoutMs: 15000, intervalMs: 200, message: 'the thumbnail loads' });
    await row.first().locator('.rec-actions button', { hasText: 'Play' }).click();
    await page.waitForFunction(() => {
      const v = document.getElementById('rec-video');
      return document.getElementById('rec-player').open && v.readyState >= 2 && v.duration > 2 && v.videoWidth === 640;
    }, null, { timeout: 15000 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('rec-player').open, null, { timeout: 5000 });
  });

  // The picture for the README: no toasts of the steps above, no focus ring.
  await page.evaluate(() => {
    for (const x of document.querySelectorAll('.toast')) x.remove();
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  await shot(page, 'desktop.png');
  if (process.env.CAMRELAY_UPDATE_DOCS === '1') {
    fs.mkdirSync(path.join(SOURCE_DIR, 'docs', 'img'), { recursive: true });
    fs.copyFileSync(path.join(LOG_DIR, 'desktop.png'), path.join(SOURCE_DIR, 'docs', 'img', 'dashboard.png'));
  }

  await t.test('player: WebRTC plays, stats overlay, fullscreen, mute; HLS and MJPEG after switching', async () => {
    await reset(page);
    await page.locator('.tile[data-camera="demo"] .tile-view').click();
    const w = await waitFor(async () => {
      const p = await player(page);
      return p.open && p.protocol === 'webrtc' && p.time > 1.5 && p.frames > 15 && p.videoWidth === 640 ? p : null;
    }, { timeoutMs: 30000, intervalMs: 200, message: 'WebRTC plays in the player' });
    assert.match(w.status, /playing \(WebRTC\)/);
    assert.equal(w.message, '', 'no fallback');
    const whep = (await d.get('/viewers/demo')).body.viewers.filter((v) => v.kind === 'whep');
    assert.equal(whep.length, 1, 'one WHEP viewer on the server');
    await waitFor(async () => /WebRTC/.test((await player(page)).stats) && /640×360/.test((await player(page)).stats) &&
      /[1-9]\d* fps/.test((await player(page)).stats), { timeoutMs: 10000, intervalMs: 200, message: 'stats overlay' });
    await shot(page, 'player.png');

    await page.locator('#player-fullscreen').click();
    await waitFor(async () => (await player(page)).fullscreenHasVideo, { timeoutMs: 5000, message: 'fullscreen on' });
    // The label follows the fullscreenchange event, which fires after fullscreenElement is set.
    await waitFor(async () => (await page.locator('#player-fullscreen').textContent()) === 'Exit fullscreen',
      { timeoutMs: 2000, intervalMs: 50, message: 'the button says "Exit fullscreen"' });
    await page.locator('#player-fullscreen').click();
    await waitFor(async () => (await player(page)).fullscreen === null, { timeoutMs: 5000, message: 'fullscreen off' });
    assert.equal((await player(page)).muted, true, 'starts muted (autoplay)');
    await page.locator('#player-mute').click();
    assert.equal((await player(page)).muted, false);
    assert.equal(await page.locator('#player-mute').getAttribute('aria-pressed'), 'false');
    await page.locator('#player-mute').click();
    assert.equal((await player(page)).muted, true);

    await page.locator('.segmented label', { hasText: 'HLS' }).click();
    const hls0 = await waitFor(async () => {
      const p = await player(page);
      return p.protocol === 'hls' && p.videoWidth === 640 && p.time > 0 ? p : null;
    }, { timeoutMs: 30000, intervalMs: 200, message: 'HLS starts' });
    await waitFor(async () => (await player(page)).time > hls0.time + 1, { timeoutMs: 15000, intervalMs: 200, message: 'HLS advances' });
    // Leaving WebRTC deleted the WHEP session (DELETE of its Location).
    await waitFor(async () => !(await d.get('/viewers/demo')).body.viewers.some((v) => v.kind === 'whep'),
      { timeoutMs: 10000, message: 'the WHEP viewer is gone' });
    assert.match((await player(page)).stats, /HLS/);

    await page.locator('.segmented label', { hasText: 'MJPEG' }).click();
    await waitFor(async () => {
      const p = await player(page);
      return p.protocol === 'mjpeg' && p.mjpegWidth === 640 && /MJPEG/.test(p.status) ? p : null;
    }, { timeoutMs: 15000, intervalMs: 200, message: 'MJPEG plays' });
    await waitFor(async () => (await d.get('/viewers/demo')).body.viewers.some((v) => v.kind === 'mjpeg'),
      { timeoutMs: 5000, message: 'an MJPEG viewer on the server' });
    await page.keyboard.press('Escape');
    await waitFor(async () => !(await player(page)).open, { timeoutMs: 5000, message: 'Esc closes the player' });
    await waitFor(async () => !(await d.get('/viewers/demo')).body.viewers.some((v) => v.kind === 'mjpeg'),
      { timeoutMs: 10000, message: 'closing the player ends the MJPEG stream' });
  });

  await t.test('fallback: a blocked WHEP POST → HLS plays and the reason is shown', async () => {
    await reset(page);
    await page.route('**/streams/*/whep', (route) => route.abort('connectionrefused'));
    await page.locator('.tile[data-camera="yard"] .tile-view').click();
    const p = await waitFor(async () => {
      const x = await player(page);
      return x.protocol === 'hls' && x.videoWidth === 640 && x.time > 0 ? x : null;
    }, { timeoutMs: 30000, intervalMs: 200, message: 'falls back to HLS' });
    t.diagnostic(`fallback message: "${p.messageShown}"`);
    assert.match(p.messageShown, /^WebRTC failed: .+; playing HLS$/);
    assert.equal(await page.locator('input[name="protocol"][value="hls"]').isChecked(), true, 'the switch shows HLS');
    await waitFor(async () => (await player(page)).time > p.time + 1, { timeoutMs: 15000, intervalMs: 200, message: 'HLS advances' });
    await page.unroute('**/streams/*/whep');
    await page.locator('#player-close').click();
    await waitFor(async () => !(await player(page)).open, { timeoutMs: 5000, message: 'the close button closes' });
  });

  await t.test('keyboard: Tab reaches a tile (visible focus), Enter opens the player, Esc closes it', async () => {
    await reset(page);
    await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    let focused = null;
    for (let i = 0; i < 30 && !focused; ++i) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => {
        const a = document.activeElement;
        return a && a.classList.contains('tile-view')
          ? { camera: a.closest('.tile').dataset.camera, visible: a.matches(':focus-visible'), label: a.getAttribute('aria-label'),
            outline: getComputedStyle(a).outlineStyle }
          : null;
      });
    }
    assert.ok(focused, 'Tab reaches a camera tile');
    assert.equal(focused.camera, 'demo');
    assert.ok(focused.visible, 'the focus is visible');
    assert.notEqual(focused.outline, 'none', 'a focus outline is drawn');
    assert.match(focused.label, /Open the player for Front door/);
    await page.keyboard.press('Enter');
    await waitFor(async () => (await player(page)).open, { timeoutMs: 5000, message: 'Enter opens the player' });
    await page.keyboard.press('Escape');
    await waitFor(async () => !(await player(page)).open, { timeoutMs: 5000, message: 'Esc closes the player' });
    assert.equal(await page.evaluate(() => document.activeElement.classList.contains('tile-view')), true,
      'the focus goes back to the tile');
  });

  await t.test('camera forms: add, edit, delete an API camera; a configuration camera is read-only', async () => {
    await reset(page);
    await page.locator('#add-camera').click();
    await page.locator('#cam-id').fill('demo');
    await page.locator('#camera-save').click();
    await page.locator('#camera-error', { hasText: 'duplicate id' }).waitFor({ timeout: 5000 });
    await page.locator('#cam-id').fill('lab');
    await page.locator('#cam-name').fill('Lab bench');
    await page.locator('#cam-auto').uncheck();
    await page.locator('#cam-src-pattern').fill('snow');
    await page.locator('#cam-src-width').fill('320');
    await page.locator('#cam-src-height').fill('240');
    await page.locator('#camera-save').click();
    await page.locator('.tile[data-camera="lab"]').waitFor({ timeout: 10000 });
    const created = (await d.get('/cameras/lab')).body;
    assert.equal(created.origin, 'api');
    assert.equal(created.camera.name, 'Lab bench');
    assert.equal(created.camera.auto_start, false);
    assert.deepEqual([created.camera.source.type, created.camera.source.pattern, created.camera.source.width], ['test', 'snow', 320]);
    await waitFor(async () => (await tiles(page)).find((x) => x.id === 'lab')?.state === 'stopped', { timeoutMs: 5000 });

    await tileButton(page, 'lab', 'edit').click();
    await page.locator('#cam-name').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#cam-id').inputValue(), 'lab');
    assert.equal(await page.locator('#cam-src-pattern').inputValue(), 'snow');
    await page.locator('#cam-name').fill('Lab');
    await page.locator('#camera-save').click();
    await waitFor(async () => (await tiles(page)).find((x) => x.id === 'lab')?.name === 'Lab', { timeoutMs: 10000, message: 'renamed tile' });
    assert.equal((await d.get('/cameras/lab')).body.camera.source.width, 320, 'keys not on the form are kept');

    await tileButton(page, 'demo', 'edit').click();
    await page.locator('#camera-note', { hasText: 'configuration file' }).waitFor({ timeout: 5000 });
    assert.equal(await page.locator('#camera-save').isVisible(), false, 'no Save for a file camera');
    assert.equal(await page.locator('#camera-delete').isVisible(), false, 'no Delete for a file camera');
    assert.equal(await page.locator('#cam-name').isDisabled(), true);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.getElementById('camera-dialog').open, null, { timeout: 5000 });

    await tileButton(page, 'lab', 'edit').click();
    page.once('dialog', (dlg) => dlg.accept());
    await page.locator('#camera-delete').click();
    await page.locator('.tile[data-camera="lab"]').waitFor({ state: 'detached', timeout: 10000 });
    assert.equal((await d.get('/cameras/lab')).status, 404);
  });

  await t.test('light and dark both render (prefers-color-scheme and the toggle)', async () => {
    await reset(page);
    const light = await colors(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colors(page);
    t.diagnostic(`light ${JSON.stringify(light)} dark ${JSON.stringify(dark)}`);
    assert.ok(luminance(light.bg) > 0.8 && luminance(light.text) < 0.3, `light: ${JSON.stringify(light)}`);
    assert.ok(luminance(dark.bg) < 0.2 && luminance(dark.text) > 0.7, `dark: ${JSON.stringify(dark)}`);
    assert.notEqual(light.tile, dark.tile);
    await shot(page, 'desktop-dark.png');
    // The toggle overrides the system: auto → light → dark → auto.
    await page.locator('#theme').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    assert.ok(luminance((await colors(page)).bg) > 0.8, 'forced light in a dark system');
    await page.locator('#theme').click();
    await page.locator('#theme').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await t.test('phone (390x844): tiles load, no horizontal scrolling, the player fits', async () => {
    const phone = await browser.newPage();
    const phoneProblems = watchPage(phone);
    await phone.setViewportSize(PHONE);
    await phone.goto(d.url('/'));
    await allPictures(phone, 2, 'phone');
    await phone.locator('#recordings li.rec-item').first().waitFor({ timeout: 10000 });
    const o = await overflow(phone);
    assert.ok(o.doc <= PHONE.width && o.body <= PHONE.width && o.wide.length === 0, `horizontal overflow at 390 px: ${JSON.stringify(o)}`);
    const box = await phone.locator('.tile').first().boundingBox();
    assert.ok(box.width <= PHONE.width && box.width > 300, `one tile per row: ${JSON.stringify(box)}`);
    await shot(phone, 'phone.png', { fullPage: true });
    await phone.locator('.tile[data-camera="demo"] .tile-view').click();
    await waitFor(async () => {
      const p = await player(phone);
      return p.protocol === 'webrtc' && p.time > 1 && p.videoWidth === 640;
    }, { timeoutMs: 30000, intervalMs: 200, message: 'WebRTC plays on the phone' });
    const dlg = await phone.locator('#player').boundingBox();
    assert.ok(dlg.x >= 0 && dlg.x + dlg.width <= PHONE.width, `the player fits: ${JSON.stringify(dlg)}`);
    const o2 = await overflow(phone);
    assert.ok(o2.doc <= PHONE.width, JSON.stringify(o2));
    await shot(phone, 'phone-player.png');
    await phone.keyboard.press('Escape');
    await phone.locator('#add-camera').click();
    const form = await phone.locator('#camera-dialog').boundingBox();
    assert.ok(form.x >= 0 && form.x + form.width <= PHONE.width, `the camera form fits: ${JSON.stringify(form)}`);
    await phone.keyboard.press('Escape');
    assert.deepEqual(phoneProblems, []);
    await phone.close();
  });

  await t.test('a recording is deleted from the list', async () => {
    await reset(page);
    const row = page.locator('#recordings li.rec-item[data-camera="demo"]').first();
    const id = await row.getAttribute('data-id');
    page.once('dialog', (dlg) => dlg.accept());
    await row.locator('button.danger').click();
    await row.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal((await d.get(`/recordings/${id}/thumbnail.jpg`)).status, 404);
    assert.equal((await d.get('/recordings?camera=demo')).body.count, 0);
  });

  assert.deepEqual(problems, [], 'no CSP violation and no uncaught error on the desktop page');
}));

test('dashboard with auth: the account is shown, a session that ends leads to /login, a viewer gets no admin buttons', withDaemons(async (t, h) => {
  const pw = `admin-pw-${crypto.randomBytes(6).toString('hex')}`;
  const d = await h.start({
    config: { auth: { disabled: false }, cameras: [{ id: 'a', auto_start: true,
      source: { type: 'test', width: 320, height: 240, fps: 10 } }] },
    env: { CAMRELAY_ADMIN_PASSWORD: pw },
  });
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.newPage();
  const problems = watchPage(page);
  await page.goto(d.url('/'));
  await page.waitForURL(/\/login\?next=(%2F|\/)$/, { timeout: 10000 });
  await page.locator('#username').fill('admin');
  await page.locator('#password').fill(pw);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(d.url('/'), { timeout: 10000 });
  await allPictures(page, 1, 'logged in');
  await page.locator('.account', { hasText: 'admin (admin)' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('#logout').isVisible(), true);
  // The session ends behind the page's back (logged out elsewhere): the next poll's 401
  // sends the page to the login form, which brings it back here afterwards.
  const cookie = (await browser.context.cookies()).find((c) => c.name === 'camrelay_session');
  assert.ok(cookie, 'a session cookie');
  const out = await d.post('/auth/logout', {}, { headers: { Cookie: `camrelay_session=${cookie.value}` } });
  assert.ok(out.status < 300, out.text);
  await page.waitForURL(/\/login\?next=(%2F|\/)$/, { timeout: 10000 });

  // A viewer account watches, but gets none of the admin buttons.
  const login = await d.post('/auth/login', { username: 'admin', password: pw }, { timeoutMs: 10000 });
  const admin = { Cookie: [].concat(login.headers['set-cookie'])[0].split(';')[0] };
  const vicPw = `vic-pw-${crypto.randomBytes(6).toString('hex')}`;
  const u = await d.post('/auth/users', { name: 'vic', password: vicPw, role: 'viewer', cameras: ['a'] }, { headers: admin, timeoutMs: 10000 });
  assert.equal(u.status, 201, u.text);
  await page.locator('#username').fill('vic');
  await page.locator('#password').fill(vicPw);
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(d.url('/'), { timeout: 10000 });
  await allPictures(page, 1, 'viewer account');
  await page.locator('.account', { hasText: 'vic (viewer)' }).waitFor({ timeout: 5000 });
  for (const sel of ['#add-camera', '.tile button.start', '.tile button.record', '.tile button.edit']) {
    assert.equal(await page.locator(sel).isVisible(), false, `${sel} hidden for a viewer`);
  }
  await page.locator('.tile[data-camera="a"] .tile-view').click();
  await waitFor(async () => {
    const p = await player(page);
    return p.protocol === 'webrtc' && p.time > 1 && p.videoWidth === 320;
  }, { timeoutMs: 30000, intervalMs: 200, message: 'a viewer account plays WebRTC' });
  assert.deepEqual(problems, []);
}));
