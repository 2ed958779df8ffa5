// Debian's Janus (1.1.2) for the side-by-side benchmarks: streaming plugin + HTTP transport
// only, configuration generated into workDir, one RTP mountpoint (video only, H.264 pt 96,
// packetization-mode=1;profile-level-id=42e01f) listening on 127.0.0.1:rtpPort.
//
//   const j = await startJanus({ rtpPort, workDir });
//   j.apiUrl        http://127.0.0.1:PORT/janus   (REST API; CORS: Janus echoes the Origin)
//   j.mountpointId  the mountpoint to `watch`
//   j.pid, await j.stop()
// Options: httpIp (REST API bind address, default 127.0.0.1; '0.0.0.0' inside the private
// namespace lets viewers use distinct 127.x.y.z hosts), debugLevel (4 = Janus' default),
// mountpointId (1; null: no mountpoint at all, the empty server of the idle-cost baseline).
//   await j.listSessions()  session ids Janus holds (admin API on 127.0.0.1, for teardown checks)
//
// ICE: Janus skips loopback interfaces, so it must run in a network namespace that has an
// extra device carrying only `iceIp` (scripts/bench.sh: ifb0 with 127.0.0.2/32);
// `ice_enforce_list` is set to that address. Janus' own defaults otherwise (one event loop
// per handle, no NACK queue tuning, no keyframe buffering: viewers wait for the camera's next
// keyframe as they would with a real RTP camera).
import fs from 'node:fs';
import path from 'node:path';
import { freePort, httpRequest, waitFor } from '../../integration/lib/daemon.mjs';
import { spawnProc } from './procs.mjs';

export const JANUS_BIN = process.env.JANUS_BIN || '/usr/bin/janus';
const LIB = '/usr/lib/x86_64-linux-gnu/janus';

// One Janus REST call: POST JSON to apiUrl(+path), resolves the parsed answer.
export async function janusPost(apiUrl, pathSuffix, body, timeoutMs = 5000) {
  const u = new URL(apiUrl + pathSuffix);
  const tx = Math.random().toString(36).slice(2);
  const r = await httpRequest({ port: Number(u.port), host: u.hostname, method: 'POST',
    target: u.pathname, body: { transaction: tx, ...body }, timeoutMs });
  return typeof r.body === 'string' ? JSON.parse(r.body) : r.body;
}

export async function janusGet(apiUrl, pathSuffix = '', timeoutMs = 5000) {
  const u = new URL(apiUrl + pathSuffix);
  const r = await httpRequest({ port: Number(u.port), host: u.hostname, method: 'GET',
    target: u.pathname + u.search, timeoutMs });
  return typeof r.body === 'string' ? JSON.parse(r.body) : r.body;
}

// Lists the streaming plugin's mountpoints (creates and destroys a session).
export async function listMountpoints(apiUrl) {
  const s = await janusPost(apiUrl, '', { janus: 'create' });
  const sid = s.data.id;
  try {
    const a = await janusPost(apiUrl, `/${sid}`, { janus: 'attach', plugin: 'janus.plugin.streaming' });
    const hid = a.data.id;
    const m = await janusPost(apiUrl, `/${sid}/${hid}`, { janus: 'message', body: { request: 'list' } });
    return m.plugindata?.data?.list || [];
  } finally {
    await janusPost(apiUrl, `/${sid}`, { janus: 'destroy' }).catch(() => {});
  }
}

const ADMIN_SECRET = 'camrelay-bench';

function writeConfigs(workDir, { httpPort, adminPort, rtpPort, iceIp, mountpointId, debugLevel, httpIp }) {
  const confDir = path.join(workDir, 'conf');
  const plugins = path.join(workDir, 'plugins');
  const transports = path.join(workDir, 'transports');
  for (const d of [confDir, plugins, transports]) fs.mkdirSync(d, { recursive: true });
  // Only the plugin and transport we need are loaded: folders with just those two.
  const link = (src, dst) => {
    fs.rmSync(dst, { force: true });
    fs.symlinkSync(src, dst);
  };
  link(`${LIB}/plugins/libjanus_streaming.so`, path.join(plugins, 'libjanus_streaming.so'));
  link(`${LIB}/transports/libjanus_http.so`, path.join(transports, 'libjanus_http.so'));
  fs.writeFileSync(path.join(confDir, 'janus.jcfg'), `general: {
	configs_folder = "${confDir}"
	plugins_folder = "${plugins}"
	transports_folder = "${transports}"
	events_folder = "${workDir}/none"
	loggers_folder = "${workDir}/none"
	debug_level = ${debugLevel}
	server_name = "camrelay-bench"
	admin_secret = "${ADMIN_SECRET}"
	session_timeout = 60
}
certificates: {
}
media: {
	rtp_port_range = "20000-40000"
}
nat: {
	nice_debug = false
	full_trickle = false
	ice_lite = false
	ice_tcp = false
	ice_enforce_list = "${iceIp}"
}
plugins: {
}
transports: {
}
loggers: {
}
events: {
	broadcast = false
}
`);
  fs.writeFileSync(path.join(confDir, 'janus.transport.http.jcfg'), `general: {
	json = "plain"
	base_path = "/janus"
	http = true
	port = ${httpPort}
	ip = "${httpIp}"
	https = false
}
admin: {
	admin_base_path = "/admin"
	admin_http = true
	admin_port = ${adminPort}
	admin_ip = "127.0.0.1"
	admin_https = false
}
cors: {
}
`);
  fs.writeFileSync(path.join(confDir, 'janus.plugin.streaming.jcfg'), mountpointId === null ? `general: {
}
` : `general: {
}
bench: {
	type = "rtp"
	id = ${mountpointId}
	description = "bench"
	audio = false
	video = true
	videoport = ${rtpPort}
	videoiface = "127.0.0.1"
	videopt = 96
	videocodec = "h264"
	videofmtp = "packetization-mode=1;profile-level-id=42e01f"
}
`);
  return confDir;
}

export async function startJanus({ rtpPort, workDir, iceIp = '127.0.0.2', mountpointId = 1,
  debugLevel = 4, readyTimeoutMs = 15000, httpIp = '127.0.0.1' } = {}) {
  if (!rtpPort && mountpointId !== null) throw new Error('startJanus: rtpPort is required');
  if (!workDir) throw new Error('startJanus: workDir is required');
  if (!fs.existsSync(JANUS_BIN)) throw new Error(`${JANUS_BIN} not found: apt-get install janus (scripts/bench.sh does)`);
  const httpPort = await freePort();
  const adminPort = await freePort();
  const confDir = writeConfigs(workDir, { httpPort, adminPort, rtpPort, iceIp, mountpointId, debugLevel, httpIp });
  const p = await spawnProc('janus', JANUS_BIN,
    ['-C', path.join(confDir, 'janus.jcfg'), '-F', confDir, '-o'], { ready: null });
  const apiUrl = `http://127.0.0.1:${httpPort}/janus`;
  try {
    await waitFor(async () => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error('janus exited');
      const info = await janusGet(apiUrl, '/info', 1000);
      if (info.janus !== 'server_info') return false;
      const list = await listMountpoints(apiUrl);
      return mountpointId === null ? Array.isArray(list) : list.some((m) => m.id === mountpointId);
    }, { timeoutMs: readyTimeoutMs, intervalMs: 100, message: 'janus answers and lists the mountpoint' });
  } catch (e) {
    await p.stop(500);
    throw new Error(`${e.message}\n--- janus output ---\n${p.log().slice(-4000)}`);
  }
  const adminUrl = `http://127.0.0.1:${adminPort}/admin`;
  return { pid: p.pid, apiUrl, adminUrl, httpPort, mountpointId, confDir, log: p.log,
    // Session ids Janus holds now (admin API), e.g. to wait until viewers are gone.
    listSessions: async () => (await janusPost(adminUrl, '', { janus: 'list_sessions', admin_secret: ADMIN_SECRET })).sessions || [],
    stop: () => p.stop() };
}
