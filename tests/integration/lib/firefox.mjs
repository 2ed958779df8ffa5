// Headless Debian Firefox ESR driven by puppeteer-core over WebDriver BiDi (never downloads a
// browser: executablePath is Debian's /usr/bin/firefox-esr; PUPPETEER_SKIP_DOWNLOAD=1 at npm
// install time). Run WebRTC tests inside a network namespace (*.netns.test.mjs files).
//
//   import { launchFirefox } from './lib/firefox.mjs';
//   const ff = await launchFirefox();
//   const page = await ff.newPage();
//   ...
//   await ff.close();          // closes the browser, removes the profile directory
//
// The prefs below make WebRTC work on a host (a netns) whose only interface is `lo`:
//   * permissions.default.camera / .microphone = 1 (allow) — THE ONE THAT MATTERS. Firefox
//     gathers candidates on every interface only for a document that is capturing or holds a
//     camera/microphone permission; otherwise it uses "default local addresses only" whatever
//     media.peerconnection.ice.default_address_only says, finds the default address by a UDP
//     connect() towards the internet, which fails in a route-less netns ("PR_Connect failed:
//     -5980 ... failed to find default addresses"), and gathers NO candidate at all (ICE
//     fails at once). A real getUserMedia() with fake devices did not lift it (Firefox ESR
//     153); the default-allow permission does.
//   * media.peerconnection.ice.loopback          gather candidates on 127.0.0.1 (off by default:
//                                                 without it Firefox gathers none at all here)
//   * media.peerconnection.ice.obfuscate_host_addresses  no mDNS .local names in candidates
//                                                 (nothing in the netns resolves them; with the
//                                                 permission above Firefox ESR 153 showed real
//                                                 addresses even with it true — kept for safety)
//   * media.peerconnection.ice.default_address_only  false: every interface, not only the one
//                                                 holding the default route (there is no route)
//   * media.peerconnection.ice.no_host            false: keep host candidates
//   * media.peerconnection.ice.link_local         true: harmless, covers fe80:: on lo-only hosts
//   * media.peerconnection.ice.proxy_only*        false: never wait for a proxy
//   * media.navigator.permission.disabled / media.navigator.streams.fake: no getUserMedia prompt
//   * media.autoplay.default 0 (+ block_policy 0): <video> plays without a gesture
//   * media.gmp-manager.updateEnabled false, media.gmp-gmpopenh264.* off: never try to download
//     OpenH264 (Debian's Firefox ESR has no H.264 without it; see tests/fixtures/sdp/README.md)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { SOURCE_DIR } from './daemon.mjs';

const require = createRequire(path.join(SOURCE_DIR, 'package.json'));
const puppeteer = require('puppeteer-core');

export const FIREFOX = process.env.FIREFOX_BIN || '/usr/bin/firefox-esr';

export const FIREFOX_PREFS = {
  // WebRTC on a loopback-only network namespace
  'media.peerconnection.enabled': true,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.default_address_only': false,
  'media.peerconnection.ice.no_host': false,
  'media.peerconnection.ice.link_local': true,
  'media.peerconnection.ice.proxy_only': false,
  'media.peerconnection.ice.proxy_only_if_behind_proxy': false,
  'media.peerconnection.use_document_iceservers': true,
  // a camera/microphone permission for every page: lifts "default address only" (see above)
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  // no permission prompts, fake devices if a test ever calls getUserMedia
  'media.navigator.permission.disabled': true,
  'media.navigator.streams.fake': true,
  // autoplay allowed
  'media.autoplay.default': 0,
  'media.autoplay.block-policy': 0,
  'media.autoplay.blocking_policy': 0,
  'media.autoplay.enabled.user-gestures-needed': false,
  // never download Gecko Media Plugins (OpenH264, Widevine)
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.url': 'http://127.0.0.1:9/none',
  'media.gmp-gmpopenh264.autoupdate': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-gmpopenh264.visible': false,
  'media.gmp-widevinecdm.enabled': false,
  'media.gmp-widevinecdm.visible': false,
  'media.eme.enabled': false,
  // nothing else phones home
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

// Returns { browser, pid, profile, newPage(), close() }. A fresh profile directory per launch,
// removed on close (puppeteer writes its own prefs and ours into its user.js).
export async function launchFirefox({ prefs = {}, env = {} } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'camrelay-firefox-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX,
      headless: true,
      userDataDir: profile,
      extraPrefsFirefox: { ...FIREFOX_PREFS, ...prefs },
      env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1', ...env },
      timeout: 60000,
    });
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  const proc = browser.process();
  return {
    browser,
    pid: proc ? proc.pid : null,
    profile,
    newPage: () => browser.newPage(),
    async close() {
      await browser.close().catch(() => {});
      // browser.close() waits for the process; make sure it is gone before removing its files
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        try { process.kill(proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Reads framesDecoded of the first inbound video stream of the RTCPeerConnection at
// window[name] (0 if none yet).
export async function framesDecoded(page, name = 'pc') {
  return page.evaluate(async (n) => {
    let f = 0;
    (await window[n].getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') f = x.framesDecoded || 0;
    });
    return f;
  }, name);
}
