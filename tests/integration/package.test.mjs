// The Debian package (cmake/Packaging.cmake, scripts/package.sh, docs/deploy.md), built by
// cpack from the already-built test build tree (no second build: the test build keeps
// CMAKE_INSTALL_PREFIX=/usr/local, and the package must still be laid out for /usr):
//   * camrelay_<version>_<arch>.deb with Package/Version/Architecture, a Depends line from
//     dpkg-shlibdeps plus the GStreamer plugin packages, the conffile and maintainer scripts;
//   * every file at a Debian path: usr/bin, usr/share/camrelay/web, etc/camrelay/camrelay.json,
//     the unit in the systemd unit dir with ExecStart=/usr/bin/camrelay, sysusers.d, tmpfiles.d;
//   * the extracted usr/bin/camrelay, run with the extracted configuration, streams the demo
//     test camera and serves /viewer and / from the extracted usr/share/camrelay/web;
//   * systemd-analyze verify accepts the extracted unit;
//   * dpkg --root installs it into a scratch root (maintainer scripts run with DPKG_ROOT):
//     the user, its video membership, /var/lib/camrelay, the configuration's mode, the
//     conffile kept over a re-install, remove and purge.
// cpack builds the `preinstall` target first: after a full build (scripts/test.sh, CI) that
// is a no-op; after building only `camrelay` it builds the rest of the tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { withDaemons, makeTempDir, waitFor, BUILD_DIR, SOURCE_DIR } from './lib/daemon.mjs';

const KEEP = !!process.env.CAMRELAY_KEEP_TMP;
const work = makeTempDir('camrelay-package-');
process.on('exit', () => { if (!KEEP) fs.rmSync(work, { recursive: true, force: true }); });

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return r;
}
function runOk(cmd, args, opts = {}) {
  const r = run(cmd, args, opts);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
  }
  return r.stdout;
}
const isLink = (p) => { try { return fs.lstatSync(p).isSymbolicLink(); } catch { return false; } };
const hasCommand = (c) => run('sh', ['-c', `command -v ${c}`]).status === 0;

function projectVersion() {
  const m = fs.readFileSync(path.join(SOURCE_DIR, 'CMakeLists.txt'), 'utf8')
    .match(/project\(\s*camrelay\s+VERSION\s+([0-9.]+)/);
  assert.ok(m, 'project(camrelay VERSION x.y.z) in CMakeLists.txt');
  return m[1];
}
// The unit directory the build tree was configured with (pkg-config systemd on this host).
function unitDir() {
  const cache = fs.readFileSync(path.join(BUILD_DIR, 'CMakeCache.txt'), 'utf8');
  const m = cache.match(/^CAMRELAY_SYSTEMD_UNITDIR:PATH=(.*)$/m);
  assert.ok(m, 'CAMRELAY_SYSTEMD_UNITDIR in CMakeCache.txt');
  return m[1].replace(/^\/+/, '');
}

// Builds and extracts the package once; every test awaits the same promise.
let built;
function pkg() {
  built ??= (async () => {
    for (const tool of ['cpack', 'dpkg-deb', 'dpkg-shlibdeps', 'file']) {
      if (!hasCommand(tool)) {
        throw new Error(`${tool} is not installed: the DEB generator needs it ` +
          '(scripts/deps.sh installs dpkg-dev and file with the build packages)');
      }
    }
    const cfg = path.join(BUILD_DIR, 'CPackConfig.cmake');
    assert.ok(fs.existsSync(cfg), `${cfg} missing: configure the build tree with cmake/Packaging.cmake`);
    const outDir = path.join(work, 'out');
    runOk('cpack', ['--config', cfg, '-G', 'DEB', '-B', outDir]);
    const debs = fs.readdirSync(outDir).filter((f) => f.endsWith('.deb'));
    assert.equal(debs.length, 1, `one .deb in ${outDir}: ${debs}`);
    const deb = path.join(outDir, debs[0]);
    const root = path.join(work, 'root');
    const control = path.join(work, 'control');
    runOk('dpkg-deb', ['-x', deb, root]);
    runOk('dpkg-deb', ['-e', deb, control]);
    return { deb, root, control };
  })();
  return built;
}

test('cpack makes camrelay_<version>_<arch>.deb with the control fields, Depends and conffile', async () => {
  const { deb } = await pkg();
  const version = projectVersion();
  const arch = runOk('dpkg', ['--print-architecture']).trim();
  assert.equal(path.basename(deb), `camrelay_${version}_${arch}.deb`);

  const info = runOk('dpkg-deb', ['-I', deb]);
  const field = (name) => {
    const m = info.match(new RegExp(`^ ${name}: (.*)$`, 'm'));
    assert.ok(m, `dpkg-deb -I shows ${name}:\n${info}`);
    return m[1];
  };
  assert.equal(field('Package'), 'camrelay');
  assert.equal(field('Version'), version);
  assert.equal(field('Architecture'), arch);
  assert.equal(field('Section'), 'video');
  assert.equal(field('Priority'), 'optional');
  assert.match(field('Maintainer'), /<[^@\s]+@[^>\s]+>/);
  assert.match(field('Description'), /camera streaming relay/);

  const depends = field('Depends').split(/,\s*/).map((d) => d.replace(/\s*\(.*\)$/, ''));
  // dpkg-shlibdeps: the libraries the binary links (versions vary with the release).
  for (const lib of ['libgstreamer1.0-0', 'libgstreamer-plugins-bad1.0-0', 'libpaho-mqttpp3-1',
    'libsqlite3-0', 'libsodium23', 'libjwt0', 'libc6']) {
    assert.ok(depends.includes(lib), `Depends has ${lib} (from dpkg-shlibdeps): ${depends}`);
  }
  assert.ok(depends.some((d) => /^libspdlog/.test(d)), `Depends has libspdlog*: ${depends}`);
  // The plugins loaded at run time, which dpkg-shlibdeps cannot see.
  for (const p of ['gstreamer1.0-plugins-base', 'gstreamer1.0-plugins-good', 'gstreamer1.0-plugins-bad',
    'gstreamer1.0-plugins-ugly', 'gstreamer1.0-libav', 'gstreamer1.0-nice']) {
    assert.ok(depends.includes(p), `Depends has ${p}: ${depends}`);
  }
  assert.match(field('Recommends'), /gstreamer1\.0-x/);

  assert.equal(runOk('dpkg-deb', ['-I', deb, 'conffiles']).trim(), '/etc/camrelay/camrelay.json');
  for (const s of ['postinst', 'prerm', 'postrm']) {
    assert.match(info, new RegExp(`^ +\\d+ bytes, +\\d+ lines +\\* +${s} +#!/bin/sh$`, 'm'),
      `${s} is an executable maintainer script:\n${info}`);
  }
});

test('the package lays its files out for /usr: binary, web, conffile, unit, sysusers.d, tmpfiles.d', async () => {
  const { deb, root } = await pkg();
  const udir = unitDir();
  // Every path in the archive is under /usr, /etc/camrelay or the unit directory: nothing of
  // the test build's /usr/local prefix leaks into the package.
  const files = runOk('dpkg-deb', ['-c', deb]).split('\n').filter(Boolean)
    .map((l) => l.split(/\s+/).slice(5).join(' ').replace(/^\.\//, ''))
    .filter((p) => p && !p.endsWith('/'));
  for (const f of files) {
    assert.match(f, new RegExp(`^(usr/(bin|share/camrelay/web|lib/sysusers\\.d|lib/tmpfiles\\.d)/|etc/camrelay/|${udir}/)`),
      `unexpected path in the package: ${f}`);
  }
  for (const f of ['usr/bin/camrelay', 'usr/bin/camrelay-fakecam']) {
    const st = fs.statSync(path.join(root, f));
    assert.ok(st.mode & 0o111, `${f} is executable`);
  }
  assert.match(runOk('file', [path.join(root, 'usr/bin/camrelay')]), /ELF .* stripped/);
  for (const f of ['index.html', 'viewer.html', 'viewer.js']) {
    assert.ok(fs.existsSync(path.join(root, 'usr/share/camrelay/web', f)), `web/${f} packaged`);
  }
  if (fs.existsSync(path.join(SOURCE_DIR, 'web/vendor/hls.min.js'))) {
    assert.ok(fs.existsSync(path.join(root, 'usr/share/camrelay/web/vendor/hls.min.js')), 'hls.js packaged');
  }

  assert.equal(fs.readFileSync(path.join(root, 'etc/camrelay/camrelay.json'), 'utf8'),
    fs.readFileSync(path.join(SOURCE_DIR, 'config/camrelay.example.json'), 'utf8'),
    'the conffile is the example configuration');

  const unit = fs.readFileSync(path.join(root, udir, 'camrelay.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/camrelay --config \/etc\/camrelay\/camrelay\.json --data-dir \/var\/lib\/camrelay$/m);
  assert.doesNotMatch(unit, /@[A-Z_]+@/, 'no unsubstituted template variable');
  const settings = unit.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  assert.doesNotMatch(settings, /\/usr\/local/, 'no /usr/local path in the packaged unit');
  assert.match(unit, /^User=camrelay$/m);
  assert.match(unit, /^StateDirectory=camrelay$/m);

  const sysusers = fs.readFileSync(path.join(root, 'usr/lib/sysusers.d/camrelay.conf'), 'utf8');
  assert.match(sysusers, /^u\s+camrelay\s+-\s+"[^"]+"\s+\/var\/lib\/camrelay\s+\/usr\/sbin\/nologin$/m);
  assert.match(sysusers, /^m\s+camrelay\s+video$/m);
  const tmpfiles = fs.readFileSync(path.join(root, 'usr/lib/tmpfiles.d/camrelay.conf'), 'utf8');
  assert.match(tmpfiles, /^d\s+\/var\/lib\/camrelay\s+0750\s+camrelay\s+camrelay\s+-$/m);
});

test('the extracted usr/bin/camrelay runs the packaged config (accounts on) and serves /viewer and / from usr/share/camrelay/web',
  withDaemons(async (t, h) => {
    const { root } = await pkg();
    // The packaged configuration as is (demo test camera, http.web_root '' = find it); only
    // the listen address is narrowed to loopback. The harness adds --data-dir and the port.
    const d = await h.start({
      bin: path.join(root, 'usr/bin/camrelay'),
      configPath: path.join(root, 'etc/camrelay/camrelay.json'),
      env: { API_SERVER_HOST: '127.0.0.1' },
    });
    const web = path.join(root, 'usr/share/camrelay/web');
    assert.ok(d.log.includes(`serving web files from ${web}`), `web root is ${web}:\n${d.log}`);
    // Safe by default: the packaged configuration has accounts on; the first start prints
    // the generated admin password once, pages lead to the login page.
    const pw = (d.log.match(/created the first account: user "admin", password "([^"]+)"/) || [])[1];
    assert.ok(pw, `first start prints the admin password:\n${d.log}`);
    const anon = await d.get('/viewer?camera=demo');
    assert.equal(anon.status, 302);
    assert.match(anon.headers.location, /^\/login\?next=/);
    assert.equal((await d.get('/login')).status, 200);
    const login = await d.post('/auth/login', { username: 'admin', password: pw }, { timeoutMs: 10000 });
    assert.equal(login.status, 200, login.text);
    const headers = { Cookie: [].concat(login.headers['set-cookie'])[0].split(';')[0] };
    const viewer = await d.get('/viewer?camera=demo', { headers });
    assert.equal(viewer.status, 200);
    assert.match(viewer.text, /camrelay viewer/);
    const index = await d.get('/', { headers });
    assert.equal(index.status, 200);
    assert.equal(index.text, fs.readFileSync(path.join(web, 'index.html'), 'utf8'));
    // The packaged binary's pipelines work: the demo camera (videotestsrc ! x264enc) streams.
    await waitFor(async () => {
      const s = (await d.get('/streams/demo', { headers })).body;
      return s.state === 'active' && s.stats.frames > 5;
    }, { timeoutMs: 15000, message: 'demo stream active with frames' });
  }));

test('systemd-analyze verify accepts the packaged unit', async (t) => {
  const { root } = await pkg();
  if (!hasCommand('systemd-analyze')) return t.skip('systemd-analyze is not installed');
  // Does verify work here at all (no running systemd)? A trivial unit must pass.
  const probeDir = path.join(work, 'probe');
  fs.mkdirSync(probeDir, { recursive: true });
  fs.writeFileSync(path.join(probeDir, 'camrelay-probe.service'), '[Service]\nExecStart=/bin/true\n');
  const probe = run('systemd-analyze', ['verify', path.join(probeDir, 'camrelay-probe.service')]);
  if (probe.status !== 0 || probe.stderr.trim()) {
    return t.skip(`systemd-analyze verify does not work in this environment: ${probe.stderr.trim()}`);
  }
  const unitPath = path.join(root, unitDir(), 'camrelay.service');
  const unit = fs.readFileSync(unitPath, 'utf8');

  // The unit as installed: its only possible complaint is a missing /usr/bin/camrelay on
  // this host (the package is extracted, not installed).
  const asIs = run('systemd-analyze', ['verify', unitPath]);
  const complaints = asIs.stderr.split('\n').filter(Boolean)
    .filter((l) => !(!fs.existsSync('/usr/bin/camrelay') &&
      /camrelay\.service: Command \/usr\/bin\/camrelay is not executable/.test(l)));
  assert.deepEqual(complaints, [], `systemd-analyze verify ${unitPath}:\n${asIs.stderr}`);

  // The same unit with ExecStart on the extracted binary: no complaint at all.
  const copyDir = path.join(work, 'unit-check');
  fs.mkdirSync(copyDir, { recursive: true });
  const copy = path.join(copyDir, 'camrelay.service');
  fs.writeFileSync(copy, unit.replace(/^ExecStart=\/usr\/bin\/camrelay /m,
    `ExecStart=${path.join(root, 'usr/bin/camrelay')} `));
  const r = run('systemd-analyze', ['verify', copy]);
  assert.equal(r.status, 0, `systemd-analyze verify (ExecStart on the extracted binary):\n${r.stderr}`);
  assert.equal(r.stderr.trim(), '', `systemd-analyze verify output:\n${r.stderr}`);
});

test('dpkg --root installs, upgrades, removes and purges it in a scratch root (maintainer scripts, conffile)', async (t) => {
  const { deb, control } = await pkg();
  for (const s of ['postinst', 'prerm', 'postrm']) {
    runOk('sh', ['-n', path.join(control, s)]);
  }
  if (process.getuid() !== 0) {
    return t.skip('dpkg --root needs root (it installs files as root:root and postinst chowns /var/lib/camrelay)');
  }
  // A scratch root: an empty dpkg database and a base passwd/group (root and the video
  // group, as Debian's base-passwd has them). dpkg runs the maintainer scripts outside it
  // with DPKG_ROOT set (--force-script-chrootless), with the host's tools; the package's
  // dependencies are not in the scratch root, hence --force-depends.
  const root = path.join(work, 'dpkg-root');
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc']) {
    fs.mkdirSync(path.join(root, d), { recursive: true });
  }
  fs.writeFileSync(path.join(root, 'var/lib/dpkg/status'), '');
  fs.writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nvideo:x:44:\n');
  fs.writeFileSync(path.join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  fs.writeFileSync(path.join(root, 'etc/gshadow'), 'root:*::\nvideo:*::\n', { mode: 0o640 });
  const dpkg = (...args) => runOk('dpkg', [`--root=${root}`, '--force-script-chrootless',
    '--force-depends', '--log=/dev/null', ...args], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });

  dpkg('-i', deb);
  assert.match(runOk('dpkg', [`--root=${root}`, '-s', 'camrelay']), /^Status: install ok installed$/m);
  assert.match(runOk('dpkg-query', [`--root=${root}`, '-W', '-f=${Conffiles}', 'camrelay']),
    /^ \/etc\/camrelay\/camrelay\.json [0-9a-f]{32}$/m, 'conffile registered');

  const passwd = fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8');
  const users = passwd.split('\n').filter((l) => l.startsWith('camrelay:'));
  assert.equal(users.length, 1, `one camrelay user:\n${passwd}`);
  const [, , uid, gid, , home, shell] = users[0].split(':');
  assert.ok(Number(uid) > 0 && Number(uid) < 1000, `system uid: ${users[0]}`);
  assert.equal(home, '/var/lib/camrelay');
  assert.equal(shell, '/usr/sbin/nologin');
  const group = fs.readFileSync(path.join(root, 'etc/group'), 'utf8');
  assert.match(group, new RegExp(`^camrelay:x:${gid}:`, 'm'));
  assert.match(group, /^video:x:44:(.*,)?camrelay(,.*)?$/m, `camrelay is in group video:\n${group}`);

  const state = fs.statSync(path.join(root, 'var/lib/camrelay'));
  assert.ok(state.isDirectory());
  assert.equal(state.mode & 0o7777, 0o750);
  assert.equal(state.uid, Number(uid));
  assert.equal(state.gid, Number(gid));

  const conf = path.join(root, 'etc/camrelay/camrelay.json');
  const cst = fs.statSync(conf);
  assert.equal(cst.mode & 0o7777, 0o640, 'config readable by root and group camrelay only');
  assert.equal(cst.uid, 0);
  assert.equal(cst.gid, Number(gid));

  // Not enabled, but the would-be link is recorded (deb-systemd-helper) so purge can remove it.
  const wants = path.join(root, 'etc/systemd/system/multi-user.target.wants/camrelay.service');
  assert.ok(!isLink(wants), 'the service is not enabled by the installation');
  const dshState = path.join(root, 'var/lib/systemd/deb-systemd-helper-enabled/camrelay.service.dsh-also');
  assert.match(fs.readFileSync(dshState, 'utf8'), /multi-user\.target\.wants\/camrelay\.service/);

  // An edited configuration survives a re-install (postinst configure <old version>) and a
  // remove; the user's mode stays.
  fs.appendFileSync(conf, '\n');
  fs.chmodSync(conf, 0o600);
  dpkg('-i', deb);
  assert.match(fs.readFileSync(conf, 'utf8'), /\n\n$/, 'the edited conffile is kept');
  assert.equal(fs.statSync(conf).mode & 0o7777, 0o600, 'the mode the administrator chose is kept');
  assert.equal(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8').split('\n')
    .filter((l) => l.startsWith('camrelay:')).length, 1, 'still one camrelay user');

  // Remove: binaries gone, configuration kept, unit masked. Purge: configuration, mask,
  // recorded links and the registry cache gone; the database and the user stay.
  fs.mkdirSync(path.join(root, 'var/cache/camrelay'), { recursive: true });
  fs.writeFileSync(path.join(root, 'var/lib/camrelay/camrelay.db'), '');
  dpkg('-r', 'camrelay');
  assert.ok(!fs.existsSync(path.join(root, 'usr/bin/camrelay')), 'remove deletes the binary');
  assert.ok(fs.existsSync(conf), 'remove keeps the configuration');
  const mask = path.join(root, 'etc/systemd/system/camrelay.service');
  assert.equal(fs.readlinkSync(mask), '/dev/null', 'remove masks the unit');
  dpkg('--purge', 'camrelay');
  assert.ok(!fs.existsSync(conf), 'purge deletes the configuration');
  assert.ok(!isLink(mask), 'purge unmasks the unit');
  assert.ok(!fs.existsSync(dshState), 'purge forgets the recorded links');
  assert.ok(!fs.existsSync(path.join(root, 'var/cache/camrelay')), 'purge removes /var/cache/camrelay');
  assert.ok(fs.existsSync(path.join(root, 'var/lib/camrelay/camrelay.db')), 'purge keeps the database');
  assert.match(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^camrelay:/m, 'purge keeps the user');
});
