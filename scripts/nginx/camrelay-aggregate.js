// The lists of a sharded camrelay deployment, answered by nginx (njs module, Debian's
// libnginx-mod-http-js) from every instance's own answer: GET /streams, /cameras,
// /api/stream/active, /viewers and /health (docs/scaling.md). scripts/gen-nginx.sh sets
// $camrelay_instances (the instance names) and the internal location /_camrelay/{name}/…
// that proxies to one instance. The request's credentials (Authorization, cookie, ?token=)
// go to every instance with the subrequest, so each instance filters by its own grants.

const LIST_KEY = { '/streams': 'streams', '/api/stream/active': 'streams', '/cameras': 'cameras', '/viewers': 'viewers' };

function instances(r) {
  return (r.variables.camrelay_instances || '').split(' ').filter((n) => n.length > 0);
}

function ask(r, name, uri, method) {
  return r.subrequest(`/_camrelay/${name}${uri}`, { method: method || 'GET', args: r.variables.args || '' })
    .then((reply) => {
      let body = null;
      try { body = JSON.parse(reply.responseText); } catch (e) { body = null; }
      return { name, status: reply.status, body, headers: reply.headersOut };
    })
    .catch((e) => ({ name, status: 502, body: null, headers: {}, error: String(e) }));
}

// The instances' CORS answer (http.cors_origins: the same on every instance) goes on the
// merged answer as it is.
const CORS = ['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Allow-Headers',
  'Access-Control-Expose-Headers', 'Access-Control-Max-Age', 'Vary'];

function copyCors(r, results) {
  const src = results.find((x) => x.headers && x.headers['Access-Control-Allow-Origin'] !== undefined);
  if (!src) return;
  CORS.forEach((h) => { if (src.headers[h] !== undefined) r.headersOut[h] = src.headers[h]; });
}

function reply(r, status, obj, results) {
  r.headersOut['Content-Type'] = 'application/json';
  r.headersOut['Cache-Control'] = 'no-store';
  copyCors(r, results || []);
  r.return(status, JSON.stringify(obj) + '\n');
}

function instanceStates(results) {
  return results.map((x) => ({
    name: x.name,
    state: x.status === 200 ? 'ok' : x.status === 401 || x.status === 403 ? 'refused' : 'unavailable',
    status: x.status,
  }));
}

async function list(r) {
  const key = LIST_KEY[r.uri];
  if (r.method === 'OPTIONS') {  // a CORS preflight: the first instance's answer
    const pre = await ask(r, instances(r)[0], r.uri, 'OPTIONS');
    copyCors(r, [pre]);
    return r.return(pre.status);
  }
  const results = await Promise.all(instances(r).map((n) => ask(r, n, r.uri)));
  const ok = results.filter((x) => x.status === 200 && x.body && Array.isArray(x.body[key]));
  if (ok.length === 0) {
    // No instance gave a list: an authorization answer (401/403) keeps its meaning.
    const refused = results.find((x) => x.status >= 400 && x.status < 500 && x.body);
    if (refused) return reply(r, refused.status, refused.body, results);
    return reply(r, 503, { error: { code: 'unavailable', message: 'no camrelay instance answered' },
      instances: instanceStates(results) }, results);
  }
  let items = [];
  let skipped = [];
  ok.forEach((x) => {  // (njs 0.7 has no for…of)
    items = items.concat(x.body[key]);
    if (Array.isArray(x.body.skipped)) skipped = skipped.concat(x.body.skipped);
  });
  // One instance's list is sorted by camera id (/streams) or in file order (/cameras):
  // the merged list is sorted by camera id either way.
  const id = (o) => String(o.camera_id || o.id || '');
  items.sort((a, b) => (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
  const out = {};
  out[key] = items;
  out.count = items.length;
  if (skipped.length > 0) out.skipped = skipped;
  out.instances = instanceStates(results);
  return reply(r, 200, out, results);
}

async function health(r) {
  const results = await Promise.all(instances(r).map((n) => ask(r, n, '/health')));
  const up = results.filter((x) => x.status === 200 && x.body);
  const healthy = up.length === results.length && up.every((x) => x.body.status === 'healthy');
  const out = {
    status: up.length === 0 ? 'down' : healthy ? 'healthy' : 'degraded',
    instances: results.map((x) => ({ name: x.name, status: x.status === 200 && x.body ? x.body.status : 'unavailable',
      health: x.body })),
  };
  return reply(r, up.length === 0 ? 503 : 200, out, results);
}

export default { list, health };
