// A real install and an out-of-tree binary find the web pages by themselves:
//   * `cmake --install <build> --prefix <tmp>` puts bin/camrelay and share/camrelay/web in
//     place; the installed daemon serves /, /viewer and /vendor/hls.min.js from there;
//   * the binary copied alone somewhere else (as a build made with `cmake -S . -B /elsewhere`
//     is) still finds this source tree's web/ and says so in its log;
//   * a configured web root without index.html is warned about at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { withDaemons, makeTempDir, BUILD_DIR, SOURCE_DIR, defaultBin } from './lib/daemon.mjs';

async function pages(d) {
  for (const p of ['/', '/viewer?camera=x', '/viewer.js', '/vendor/hls.min.js']) {
    const r = await d.get(p);
    assert.equal(r.status, 200, `${p}: ${r.status}`);
  }
  assert.match((await d.get('/viewer')).text, /camrelay viewer/);
}

test('cmake --install: the installed daemon serves its pages from share/camrelay/web', withDaemons(async (t, h) => {
  const prefix = makeTempDir('camrelay-install-');
  t.after(() => fs.rmSync(prefix, { recursive: true, force: true }));
  execFileSync('cmake', ['--install', BUILD_DIR, '--prefix', prefix], { stdio: 'pipe' });
  const bin = path.join(prefix, 'bin', 'camrelay');
  assert.ok(fs.existsSync(bin), 'bin/camrelay installed');
  assert.ok(fs.existsSync(path.join(prefix, 'share', 'camrelay', 'web', 'index.html')), 'web files installed');
  const d = await h.start({ bin, config: { cameras: [], http: { web_root: '' } } });  // '' = find it
  await pages(d);
  assert.match(d.log, new RegExp(`serving web files from ${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/share/camrelay/web`));
}));

test('a binary outside the source tree (out-of-tree build) finds the source web/', withDaemons(async (t, h) => {
  const dir = makeTempDir('camrelay-oot-');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'camrelay');
  fs.copyFileSync(defaultBin(), bin);
  fs.chmodSync(bin, 0o755);
  const d = await h.start({ bin, config: { cameras: [], http: { web_root: '' } } });  // '' = find it
  await pages(d);
  assert.match(d.log, new RegExp(`serving web files from ${path.join(SOURCE_DIR, 'web').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
}));

test('a configured web root without index.html is a warning at start', withDaemons(async (t, h) => {
  const empty = makeTempDir('camrelay-noweb-');
  t.after(() => fs.rmSync(empty, { recursive: true, force: true }));
  const d = await h.start({ config: { cameras: [], http: { web_root: empty } } });
  assert.match(d.log, /has no index\.html: the dashboard and viewer pages will answer 404/);
  assert.equal((await d.get('/viewer')).status, 404);
}));
