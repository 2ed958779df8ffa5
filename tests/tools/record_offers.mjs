#!/usr/bin/env node
// Regenerates the recorded browser offers in tests/fixtures/sdp/ from Debian's chromium
// (playwright-core) and firefox-esr (puppeteer-core): real createOffer() texts, one file per
// shape. Run it inside a fresh network namespace so the candidates are loopback ones:
//
//   unshare -n sh -c 'ip link set lo up && node tests/tools/record_offers.mjs'
//
// Options: --out DIR (default tests/fixtures/sdp), --only chromium|firefox.
// safari_audio_video.sdp is written by hand (see README.md there) and never touched here.
// The SDP texts are written byte for byte as the browser produced them (CRLF line ends).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
process.env.CAMRELAY_SOURCE_DIR ||= path.resolve(HERE, '..', '..');
const { launchBrowser } = await import('../integration/lib/browser.mjs');
const { launchFirefox } = await import('../integration/lib/firefox.mjs');
const { makeOffer } = await import('../integration/lib/whep_page.mjs');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const OUT = path.resolve(opt('--out', path.join(HERE, '..', 'fixtures', 'sdp')));
const ONLY = opt('--only', null);

// name → [shape, gather] (shapes: tests/integration/lib/whep_page.mjs)
const CHROMIUM = {
  'chromium_video_only.sdp': ['video', 'complete'],
  'chromium_audio_video.sdp': ['audio_video', 'complete'],
  'chromium_audio_first.sdp': ['audio_first', 'complete'],
  'chromium_datachannel.sdp': ['datachannel', 'complete'],
  'chromium_no_candidates.sdp': ['audio_video', 'none'],
};
const FIREFOX = {
  'firefox_audio_video.sdp': ['audio_video', 'complete'],
  'firefox_video_only.sdp': ['video', 'complete'],
  'firefox_audio_first.sdp': ['audio_first', 'complete'],
};

const ifaces = Object.keys(os.networkInterfaces());
if (ifaces.some((n) => n !== 'lo')) {
  console.error(`record_offers: interfaces ${ifaces.join(', ')}: run me in a fresh network namespace:\n` +
    "  unshare -n sh -c 'ip link set lo up && node tests/tools/record_offers.mjs'");
  process.exit(2);
}

// A blank page on 127.0.0.1 (a secure context) for the browsers to run in.
const srv = http.createServer((req, res) => {
  res.setHeader('Content-Type', 'text/html');
  res.end('<!doctype html><meta charset="utf-8"><title>record offers</title><body></body>');
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const pageUrl = `http://127.0.0.1:${srv.address().port}/`;
fs.mkdirSync(OUT, { recursive: true });

async function record(label, launch, table) {
  const b = await launch();
  try {
    // Like Firefox, Chromium enumerates every interface only for a page holding a camera or
    // microphone permission; without one it gathers on the default-route address only, and a
    // netns has no default route: no candidate at all. (Firefox gets it from lib/firefox.mjs's
    // permissions.default.* prefs.)
    if (b.context) await b.context.grantPermissions(['camera', 'microphone']);
    const page = await b.newPage();
    await page.goto(pageUrl);
    const ua = await page.evaluate(() => navigator.userAgent);
    for (const [file, [shape, gather]] of Object.entries(table)) {
      const sdp = await makeOffer(page, { shape, gather });
      if (gather === 'complete' && !/\r\na=candidate:/.test(sdp)) throw new Error(`${file}: no candidate after gathering`);
      if (gather === 'none' && /a=candidate:/.test(sdp)) throw new Error(`${file}: has candidates`);
      fs.writeFileSync(path.join(OUT, file), sdp);
      console.log(`${label}: ${file} (${shape}, gather ${gather}, ${sdp.length} bytes)`);
    }
    console.log(`${label}: ${ua}`);
  } finally {
    await b.close();
  }
}

try {
  if (!ONLY || ONLY === 'chromium') await record('chromium', launchBrowser, CHROMIUM);
  if (!ONLY || ONLY === 'firefox') await record('firefox', launchFirefox, FIREFOX);
} finally {
  srv.close();
}
