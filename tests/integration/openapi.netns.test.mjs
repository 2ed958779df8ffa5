// docs/openapi.yaml against the daemon (issue 16 point 4): the document is a valid OpenAPI
// 3.1 file whose references resolve and whose examples fit their schemas; it describes
// exactly the routes of GET /auth/routes, with the router's access level; and the real
// answers of a running daemon — success and error, auth disabled and with accounts — have a
// status the document declares for that operation and a body its schema accepts
// (additionalProperties: false on the main objects: an undocumented field fails).
//
// Needs the /metrics merge (fields and routes described in the document before the daemon
// had them). With an older binary exactly the tests named "(needs the /metrics merge …)"
// fail, and only these:
//   - "every described route is served": GET /openapi.yaml, GET /metrics are not routes yet
//   - "GET /health (admin details …)" and "GET /health with an admin session …": no
//     "stalled_streams"
//   - "streams: …" and "GET /streams/{id} … while HLS …": the stream object has no "stalled",
//     "stalls", stats.fps/client_count/total_bytes_streamed/current_bitrate/frame_drops/
//     errors/uptime
//   - "GET /openapi.yaml serves docs/openapi.yaml" and "GET /metrics": 404
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import WebSocket from 'ws';
import { startDaemon, waitFor, sleep, SOURCE_DIR } from './lib/daemon.mjs';

const SPEC_PATH = path.join(SOURCE_DIR, 'docs', 'openapi.yaml');
const SPEC_TEXT = fs.readFileSync(SPEC_PATH, 'utf8');
const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
const OFFER = fs.readFileSync(path.join(SOURCE_DIR, 'tests/fixtures/sdp/chromium_video_only.sdp'), 'utf8');

// ---------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------

const doc = YAML.parse(SPEC_TEXT);
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'api.json');

const esc = (s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1');
const unesc = (s) => s.replace(/~1/g, '/').replace(/~0/g, '~');

// The value at a local JSON pointer ("#/a/b"); undefined if there is none.
function at(ptr) {
  assert.ok(ptr.startsWith('#'), `only local references: ${ptr}`);
  let v = doc;
  for (const part of ptr.slice(1).split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[unesc(decodeURIComponent(part))];
  }
  return v;
}

// Follows $ref from a pointer: [final pointer, value].
function deref(ptr) {
  let v = at(ptr);
  for (let i = 0; v && typeof v === 'object' && typeof v.$ref === 'string' && i < 20; ++i) {
    ptr = v.$ref;
    v = at(ptr);
  }
  return [ptr, v];
}

const validators = new Map();
function validatorAt(ptr) {
  if (!validators.has(ptr)) {
    const v = ajv.getSchema(`api.json${ptr}`);
    assert.ok(v, `no schema at ${ptr}`);
    validators.set(ptr, v);
  }
  return validators.get(ptr);
}

function errorsText(errors) {
  return (errors || []).slice(0, 15).map((e) => {
    const p = e.params || {};
    const extra = p.additionalProperty ? ` "${p.additionalProperty}"` : p.unevaluatedProperty ? ` "${p.unevaluatedProperty}"` : '';
    return `  ${e.instancePath || '/'} ${e.message}${extra} (${e.schemaPath})`;
  }).join('\n');
}

function validateAt(ptr, value, what) {
  const v = validatorAt(ptr);
  if (!v(value)) {
    assert.fail(`${what}: does not match ${ptr}\n${errorsText(v.errors)}\nbody: ${JSON.stringify(value).slice(0, 1500)}`);
  }
}

// Every (METHOD, path) the document describes, with its operation.
function operations() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) {
      if (item[m]) out.push({ method: m.toUpperCase(), path: p, op: item[m] });
    }
  }
  return out;
}

// The document path templates a concrete path matches (as the router matches: one non-empty
// segment per {name}).
function templatesFor(concrete) {
  const segs = concrete.split('?')[0].split('/').filter(Boolean);
  return Object.keys(doc.paths).filter((t) => {
    const ts = t.split('/').filter(Boolean);
    return ts.length === segs.length && ts.every((x, i) => /^\{.+\}$/.test(x) || x === decodeURIComponent(segs[i]));
  });
}

function templateMatches(template, target) {
  return templatesFor(target).includes(template);
}

// A real answer against the document: the operation exists, the status is declared, the
// content type is declared, a JSON body fits its schema. Returns the response.
function check(res, method, template, target) {
  const what = `${method} ${target} → ${res.status}`;
  if (target) assert.ok(templateMatches(template, target), `${target} is not an instance of ${template}`);
  const opPtr = `#/paths/${esc(template)}/${method.toLowerCase()}`;
  const op = at(opPtr);
  assert.ok(op, `${method} ${template} is not described`);
  const [rptr, resp] = deref(`${opPtr}/responses/${res.status}`);
  assert.ok(resp, `${what}: status ${res.status} is not declared for ${method} ${template} ` +
    `(declared: ${Object.keys(op.responses).join(', ')}); body: ${String(res.text).slice(0, 300)}`);
  checkContent(res, rptr, resp, what);
  return res;
}

function checkContent(res, rptr, resp, what) {
  if (!resp.content) {
    if (res.text !== undefined) assert.equal(res.text, '', `${what}: no body is declared, got ${String(res.text).slice(0, 200)}`);
    return;
  }
  const ct = String(res.headers['content-type'] || '');
  const media = ct.split(';')[0].trim().toLowerCase();
  const key = Object.keys(resp.content).find((k) => k.split(';')[0].trim().toLowerCase() === media) ||
    Object.keys(resp.content).find((k) => k === '*/*');
  assert.ok(key, `${what}: content type "${ct}" is not declared (${Object.keys(resp.content).join(', ')})`);
  if (media === 'application/json') {
    assert.equal(typeof res.body, 'object', `${what}: a JSON body`);
    validateAt(`${rptr}/content/${esc(key)}/schema`, res.body, what);
  }
}

// 405: the error body, and Allow = the methods of the plain-HTTP operations of every
// document path the target matches (the router's own answer).
function checkMethodNotAllowed(res, target) {
  assert.equal(res.status, 405, `${target}: ${res.text}`);
  const [rptr, resp] = deref('#/components/responses/MethodNotAllowed');
  checkContent(res, rptr, resp, `405 ${target}`);
  const allowed = new Set();
  for (const t of templatesFor(target)) {
    for (const m of METHODS) {
      const op = doc.paths[t][m];
      if (op && op['x-camrelay-kind'] === 'http') allowed.add(m.toUpperCase());
    }
  }
  const got = new Set(String(res.headers.allow || '').split(',').map((s) => s.trim()).filter(Boolean));
  assert.deepEqual([...got].sort(), [...allowed].sort(), `Allow of ${target}`);
}

function checkNoRoute(res, target) {
  assert.equal(res.status, 404, `${target}: ${res.text}`);
  assert.deepEqual(templatesFor(target), [], `${target} matches no described path`);
  const [rptr, resp] = deref('#/components/responses/NoRoute');
  checkContent(res, rptr, resp, `404 ${target}`);
}

// The status line and headers of a response that does not end (MJPEG), then hang up.
function headOf(port, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const q = http.get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      resolve({ status: res.statusCode, headers: res.headers });
      res.destroy();
    });
    q.setTimeout(15000, () => q.destroy(new Error(`${target}: no answer`)));
    q.on('error', reject);
  });
}

// A response that does not end, kept open: {status, headers, close()}.
function openStream(port, target, headers = {}) {
  return new Promise((resolve, reject) => {
    const q = http.get({ host: '127.0.0.1', port, path: target, headers, agent: false }, (res) => {
      res.on('data', () => {});
      res.on('error', () => {});
      resolve({ status: res.statusCode, headers: res.headers, close: () => res.destroy() });
    });
    q.setTimeout(15000, () => q.destroy(new Error(`${target}: no answer`)));
    q.on('error', reject);
  });
}

// A WebSocket: resolves the first message after the 101, or the refusal's status.
function wsFirstMessage(port, target, headers = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${target}`, { headers });
    const timer = setTimeout(() => { ws.terminate(); resolve({ status: 0 }); }, 10000);
    let status = 0;
    ws.on('upgrade', (res) => { status = res.statusCode; });
    ws.on('message', (data) => {
      clearTimeout(timer);
      ws.close();
      resolve({ status, message: JSON.parse(String(data)) });
    });
    ws.on('unexpected-response', (req, res) => {
      clearTimeout(timer);
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    ws.on('error', () => {});
  });
}

// ---------------------------------------------------------------------------------------
// 1. The document on its own
// ---------------------------------------------------------------------------------------

describe('docs/openapi.yaml as a document', () => {
  it('is OpenAPI 3.1 with info, paths and components', () => {
    assert.match(String(doc.openapi), /^3\.1\.\d+$/);
    assert.ok(doc.info && doc.info.title && doc.info.version);
    assert.ok(Object.keys(doc.paths).length > 50, 'paths');
    assert.ok(doc.components && doc.components.schemas && doc.components.securitySchemes);
  });

  it('every $ref resolves', () => {
    const bad = [];
    let n = 0;
    const walk = (v, where) => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}/${i}`));
      if (!v || typeof v !== 'object') return;
      if (typeof v.$ref === 'string') {
        ++n;
        if (!v.$ref.startsWith('#/') || at(v.$ref) === undefined) bad.push(`${where}: ${v.$ref}`);
      }
      for (const [k, x] of Object.entries(v)) walk(x, `${where}/${esc(k)}`);
    };
    walk(doc, '#');
    assert.ok(n > 100, `references found: ${n}`);
    assert.deepEqual(bad, [], 'unresolved references');
  });

  it('every operation has responses, an access level, a kind, a summary; path parameters match the template', () => {
    const problems = [];
    const ids = new Set();
    for (const { method, path: p, op } of operations()) {
      const name = `${method} ${p}`;
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${name}: no responses`);
      for (const [status, r] of Object.entries(op.responses || {})) {
        const [, resp] = deref(`#/paths/${esc(p)}/${method.toLowerCase()}/responses/${status}`);
        if (!/^[1-5]\d\d$/.test(status)) problems.push(`${name}: status ${status}`);
        if (!resp || !resp.description) problems.push(`${name} ${status}: no description (${JSON.stringify(r)})`);
      }
      if (!['open', 'asset', 'page', 'user', 'camera', 'admin'].includes(op['x-camrelay-access'])) {
        problems.push(`${name}: x-camrelay-access ${op['x-camrelay-access']}`);
      }
      if (!['http', 'stream', 'websocket'].includes(op['x-camrelay-kind'])) problems.push(`${name}: x-camrelay-kind`);
      if (op['x-camrelay-kind'] === 'websocket' && !op.responses['101']) problems.push(`${name}: a websocket without 101`);
      if (!op.summary) problems.push(`${name}: no summary`);
      // Security agrees with the access level: open and asset routes may be called without
      // credentials ({} among the requirements), the others may not.
      const sec = op.security ?? doc.security;
      const anonymous = sec.some((s) => Object.keys(s).length === 0);
      const needsNone = ['open', 'asset'].includes(op['x-camrelay-access']);
      if (anonymous !== needsNone) problems.push(`${name}: security ${JSON.stringify(sec)} for access ${op['x-camrelay-access']}`);
      for (const s of sec) {
        for (const k of Object.keys(s)) if (!doc.components.securitySchemes[k]) problems.push(`${name}: security scheme ${k}`);
      }
      if (!op.operationId || ids.has(op.operationId)) problems.push(`${name}: operationId missing or repeated`);
      ids.add(op.operationId);
      // Path parameters: exactly the template's names, required.
      const params = [...(doc.paths[p].parameters || []), ...(op.parameters || [])]
        .map((x) => (x.$ref ? at(x.$ref) : x)).filter((x) => x.in === 'path');
      const want = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const got = params.map((x) => x.name).sort();
      if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`${name}: path parameters ${got} (template: ${want})`);
      if (params.some((x) => x.required !== true)) problems.push(`${name}: a path parameter not required`);
    }
    assert.deepEqual(problems, []);
  });

  it('every schema example fits its schema', () => {
    const found = [];
    const walk = (v, ptr, inSchema) => {
      if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${ptr}/${i}`, inSchema));
      if (!v || typeof v !== 'object') return;
      if (inSchema && Array.isArray(v.examples)) v.examples.forEach((ex, i) => found.push([ptr, ex, `${ptr}/examples/${i}`]));
      if (inSchema && 'example' in v) found.push([ptr, v.example, `${ptr}/example`]);
      for (const [k, x] of Object.entries(v)) {
        if (k === 'examples' || k === 'example') continue;
        // Schemas: components.schemas.*, every "schema" of parameters and media types, and
        // everything inside a schema.
        const child = inSchema || k === 'schema' || (ptr === '#/components/schemas');
        walk(x, `${ptr}/${esc(k)}`, child);
      }
    };
    walk(doc, '#', false);
    // Media-type and parameter examples (outside schemas) against their schema.
    const mediaExamples = [];
    const walkMedia = (v, ptr) => {
      if (!v || typeof v !== 'object') return;
      if (v.schema && 'example' in v) mediaExamples.push([`${ptr}/schema`, v.example, `${ptr}/example`]);
      if (v.schema && v.examples && typeof v.examples === 'object' && !Array.isArray(v.examples)) {
        for (const [k, ex] of Object.entries(v.examples)) mediaExamples.push([`${ptr}/schema`, ex.value, `${ptr}/examples/${k}`]);
      }
      for (const [k, x] of Object.entries(v)) if (k !== 'schema') walkMedia(x, `${ptr}/${esc(k)}`);
    };
    walkMedia(doc.paths, '#/paths');
    walkMedia(doc.components.responses, '#/components/responses');
    walkMedia(doc.components.parameters, '#/components/parameters');
    const all = [...found, ...mediaExamples];
    assert.ok(all.length >= 5, `examples found: ${all.length}`);
    for (const [schemaPtr, ex, where] of all) validateAt(schemaPtr, ex, `example ${where}`);
  });

  it('the examples are checked: a wrong one fails', () => {
    // The validator this test relies on refuses an undocumented field and a wrong type.
    assert.equal(validatorAt('#/components/schemas/Route')({ method: 'GET', path: '/', access: 'open', kind: 'http', x: 1 }), false);
    assert.equal(validatorAt('#/components/schemas/Error')({ error: { code: 404, message: 'x' } }), false);
  });
});

// ---------------------------------------------------------------------------------------
// 2 and 3. A daemon with auth disabled (every request acts as admin)
// ---------------------------------------------------------------------------------------

const small = (id, extra = {}) => ({
  id, auto_start: false, ...extra,
  source: { type: 'test', width: 320, height: 240, fps: 10, keyframe_interval_s: 1, overlay_clock: false },
});

describe('a daemon with auth disabled', () => {
  let d;
  let failed = false;
  const get = (target, opts) => d.get(target, opts);
  const post = (target, body, opts) => d.post(target, body, opts);
  const req = (method, target, opts = {}) => d.request(method, target, opts);
  const step = (name, fn) => it(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });

  before(async () => {
    d = await startDaemon({
      name: 'openapi',
      config: {
        hls: { target_duration_s: 0.5 },
        recording: { min_free_mb: 0, check_interval_s: 1 },
        cameras: [small('demo', { name: 'Demo', auto_start: true }), small('idle')],
      },
    });
  });
  after(async () => {
    if (failed && d) d.printLog('openapi test failed');
    if (d) await d.cleanup();
  });

  step('route coverage: every route of GET /auth/routes is described, with its access level', async () => {
    const r = check(await get('/auth/routes'), 'GET', '/auth/routes', '/auth/routes');
    assert.ok(r.body.routes.length > 60, `routes: ${r.body.routes.length}`);
    const problems = [];
    for (const route of r.body.routes) {
      const name = `${route.method} ${route.path} (${route.kind})`;
      const item = doc.paths[route.path];
      const op = item && item[route.method.toLowerCase()];
      if (!op) {
        problems.push(`${name}: not described`);
        continue;
      }
      if (op['x-camrelay-kind'] === route.kind) {
        if (op['x-camrelay-access'] !== route.access) {
          problems.push(`${name}: x-camrelay-access ${op['x-camrelay-access']}, the router says ${route.access}`);
        }
      } else if (route.kind === 'websocket' && op['x-camrelay-websocket']) {
        // GET / is the dashboard page and, with Upgrade, signaling.
        if (op['x-camrelay-websocket'].access !== route.access) {
          problems.push(`${name}: x-camrelay-websocket.access ${op['x-camrelay-websocket'].access}, the router says ${route.access}`);
        }
        if (!op.responses['101']) problems.push(`${name}: no 101 response`);
      } else {
        problems.push(`${name}: x-camrelay-kind ${op['x-camrelay-kind']}, the router says ${route.kind}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  step('route coverage: every described route is served (needs the /metrics merge: /openapi.yaml, /metrics)', async () => {
    const r = await get('/auth/routes');
    const served = new Map(r.body.routes.map((x) => [`${x.method} ${x.path}`, x]));
    const servedKinds = new Map();
    for (const x of r.body.routes) {
      const k = `${x.method} ${x.path}`;
      servedKinds.set(k, [...(servedKinds.get(k) || []), x.kind]);
    }
    const missing = [];
    for (const { method, path: p, op } of operations()) {
      const k = `${method} ${p}`;
      if (!served.has(k)) {
        missing.push(k);
        continue;
      }
      if (!servedKinds.get(k).includes(op['x-camrelay-kind'])) missing.push(`${k} as ${op['x-camrelay-kind']}`);
      if (op['x-camrelay-websocket'] && !servedKinds.get(k).includes('websocket')) missing.push(`${k} as websocket`);
    }
    assert.deepEqual(missing, [], 'described but not served');
  });

  step('GET /health (admin details; needs the /metrics merge: stalled_streams)', async () => {
    const r = check(await get('/health'), 'GET', '/health', '/health');
    assert.ok('active_streams' in r.body, 'an admin gets the details');
    validateAt('#/components/schemas/HealthDetails', r.body, 'GET /health as admin');
  });

  step('GET /auth/me, GET /audit, GET /login, pages and static files', async () => {
    const me = check(await get('/auth/me'), 'GET', '/auth/me', '/auth/me');
    assert.equal(me.body.via, 'auth disabled');
    check(await get('/audit?limit=5'), 'GET', '/audit', '/audit');
    check(await get('/audit?limit=0'), 'GET', '/audit', '/audit');
    check(await get('/login'), 'GET', '/login', '/login');
    check(await get('/'), 'GET', '/', '/');
    check(await get('/viewer?camera=demo'), 'GET', '/viewer', '/viewer');
    check(await get('/stream/view/demo'), 'GET', '/stream/view/{id}', '/stream/view/demo');
    const css = check(await get('/style.css'), 'GET', '/{p0}', '/style.css');
    assert.equal(css.status, 200);
    check(await get('/no-such-file.txt'), 'GET', '/{p0}', '/no-such-file.txt');
    check(await get('/a/b/no-such.js'), 'GET', '/{p0}/{p1}/{p2}', '/a/b/no-such.js');
    check(await get('/vendor/hls.min.js'), 'GET', '/vendor/hls.min.js', '/vendor/hls.min.js');
    checkNoRoute(await get('/a/b/c/d/e'), '/a/b/c/d/e');
  });

  step('streams: GET /streams, /streams/{id} stopped and active, start 202/200, stop (needs the /metrics merge: stream fields)', async () => {
    await waitFor(async () => (await get('/streams/demo')).body.state === 'active', { timeoutMs: 20000, message: 'demo active' });
    check(await get('/streams'), 'GET', '/streams', '/streams');
    const stopped = check(await get('/streams/idle'), 'GET', '/streams/{id}', '/streams/idle');
    assert.equal(stopped.body.state, 'stopped');
    const active = check(await get('/streams/demo'), 'GET', '/streams/{id}', '/streams/demo');
    assert.equal(active.body.state, 'active');
    const started = check(await post('/streams/idle/start', {}), 'POST', '/streams/{id}/start', '/streams/idle/start');
    assert.equal(started.status, 202);
    await waitFor(async () => (await get('/streams/idle')).body.state === 'active', { timeoutMs: 20000 });
    check(await get('/streams/idle'), 'GET', '/streams/{id}', '/streams/idle');
    const again = check(await post('/streams/idle/start', { max_bandwidth: 2000 }), 'POST', '/streams/{id}/start', '/streams/idle/start');
    assert.equal(again.status, 200);
    const stop = check(await post('/streams/idle/stop', {}), 'POST', '/streams/{id}/stop', '/streams/idle/stop');
    assert.equal(stop.status, 200);
    // Seed 000 aliases.
    check(await get('/api/stream/active'), 'GET', '/api/stream/active', '/api/stream/active');
    check(await get('/api/stream/status/demo'), 'GET', '/api/stream/status/{id}', '/api/stream/status/demo');
    check(await post('/api/stream/start/idle', {}), 'POST', '/api/stream/start/{id}', '/api/stream/start/idle');
    check(await post('/api/stream/stop/idle', {}), 'POST', '/api/stream/stop/{id}', '/api/stream/stop/idle');
  });

  step('stream errors: unknown camera 404, malformed JSON 400, unknown field 400, 405 with Allow', async () => {
    const nf = check(await get('/streams/nope'), 'GET', '/streams/{id}', '/streams/nope');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.error.code, 'not_found');
    assert.equal(check(await get('/streams/bad%20id'), 'GET', '/streams/{id}', '/streams/bad%20id').status, 404);
    assert.equal(check(await post('/streams/nope/start', {}), 'POST', '/streams/{id}/start', '/streams/nope/start').status, 404);
    const bad = check(await post('/streams/demo/start', '{"max_bandwidth":', { headers: { 'Content-Type': 'application/json' } }),
      'POST', '/streams/{id}/start', '/streams/demo/start');
    assert.equal(bad.status, 400);
    const unknown = check(await post('/streams/demo/start', { foo: 1 }), 'POST', '/streams/{id}/start', '/streams/demo/start');
    assert.equal(unknown.status, 400);
    checkMethodNotAllowed(await req('DELETE', '/streams/demo'), '/streams/demo');
    checkMethodNotAllowed(await req('PUT', '/streams/demo/start'), '/streams/demo/start');
    checkMethodNotAllowed(await req('PUT', '/recordings/1'), '/recordings/1');
    checkMethodNotAllowed(await req('POST', '/health'), '/health');
  });

  step('request body schemas agree with the daemon: what the schema refuses is a 400, what it accepts is not', async () => {
    const cases = [
      ['/streams/{id}/start', '/streams/idle/start', { max_bandwidth: 0 }, false],
      ['/streams/{id}/start', '/streams/idle/start', { max_bandwidth: '500' }, false],
      ['/streams/{id}/start', '/streams/idle/start', { foo: 1 }, false],
      ['/streams/{id}/record/start', '/streams/idle/record/start', { duration_s: 0 }, false],
      ['/streams/{id}/record/start', '/streams/idle/record/start', { duration_s: 'abc' }, false],
      ['/streams/{id}/record/start', '/streams/idle/record/start', { duration_s: 1.5 }, false],
      ['/streams/{id}/record/start', '/streams/idle/record/start', { seconds: 5 }, false],
      ['/live/start', '/live/start', { record_duration: 0 }, false],
      ['/live/start', '/live/start', { record_duration: 'x' }, false],
      ['/cameras', '/cameras', { id: 'bad id', source: { type: 'test' } }, false],
      ['/cameras', '/cameras', { id: 'x1', colour: 'red' }, false],
      ['/cameras', '/cameras', { id: 'x1', source: { type: 'test', width: 5 } }, false],
      ['/cameras', '/cameras', { id: 'x1', source: { type: 'rtsp', transport: 'quic' } }, false],
      ['/cameras', '/cameras', { id: 'x1', source: { type: 'usb' } }, false],
      ['/cameras', '/cameras', { id: 'x1', record: { mode: 'always' } }, false],
      ['/cameras', '/cameras', { id: 'x1', bandwidth: { min_kbps: 0 } }, false],
      ['/cameras', '/cameras', { name: 'no id' }, false],
      ['/cameras', '/cameras', { id: 'x1', auto_start: false, record: { mode: 'continuous', segment_s: 60 },
        source: { type: 'rtsp', host: '127.0.0.1', port: 8554, path: '/x', transport: 'tcp', latency_ms: 100 } }, true],
      ['/cameras', '/cameras', { id: 'x2', auto_start: false, source: { type: 'rtp', negotiation: 'static', video_port: 0 } }, false],
      ['/cameras', '/cameras', { id: 'x2', source: { type: 'rtp', negotiation: 'static', video_port: 5700, codec: 'VP8' } }, false],
      ['/cameras', '/cameras', { id: 'x2', source: { type: 'rtp', negotiation: 'static', video_port: 5700, audio_clock_rate: 8000 } }, false],
      ['/cameras', '/cameras', { id: 'x2', source: { type: 'rtsp', url: 'http://cam/x' } }, false],
      ['/cameras', '/cameras', { id: 'x2', source: { type: 'rtsp', port: 554 } }, false],
      ['/cameras', '/cameras', { id: 'x2', source: { type: 'test', pattern: '' } }, false],
      ['/cameras', '/cameras', { id: 'x2', auto_start: false, source: { type: 'rtp', negotiation: 'static', video_port: 5700,
        audio_port: 5710, audio_codec: 'PCMU' } }, true],
      ['/cameras', '/cameras', { id: 'x3', auto_start: false, source: { type: 'rtsp', url: 'rtsps://u:p@cam:322/live' } }, true],
      ['/api/cameras/{id}/stream/start', '/api/cameras/idle/stream/start', { nope: 1 }, false],
      ['/api/webrtc/offer', '/api/webrtc/offer', { type: 'answer', sdp: 'v=0' }, false],
      ['/api/webrtc/offer', '/api/webrtc/offer', { type: 'offer', sdp: 'hello' }, false],
      ['/api/webrtc/offer', '/api/webrtc/offer', { sdp: 'v=0' }, false],
    ];
    const problems = [];
    for (const [template, target, body, valid] of cases) {
      const ptr = `#/paths/${esc(template)}/post/requestBody/content/application~1json/schema`;
      const schemaSays = validatorAt(ptr)(body);
      if (schemaSays !== valid) problems.push(`schema ${schemaSays ? 'accepts' : 'refuses'} ${template} ${JSON.stringify(body)}`);
      const r = await post(target, body);
      const daemonSays = r.status < 400;
      if (daemonSays !== valid) problems.push(`daemon answers ${r.status} to ${template} ${JSON.stringify(body)}: ${r.text.slice(0, 200)}`);
      if (r.status >= 400) check(r, 'POST', template, target);
    }
    for (const id of ['x1', 'x2', 'x3']) await req('DELETE', `/cameras/${id}`);
    assert.deepEqual(problems, []);
  });

  step('cameras: GET /cameras, POST/GET/PUT/DELETE an API camera, and their errors', async () => {
    check(await get('/cameras'), 'GET', '/cameras', '/cameras');
    const body = { id: 'apicam', name: 'API camera', auto_start: false,
      source: { type: 'test', width: 160, height: 120, fps: 5, overlay_clock: false } };
    const created = check(await post('/cameras', body), 'POST', '/cameras', '/cameras');
    assert.equal(created.status, 201, created.text);
    assert.equal(created.headers.location, '/cameras/apicam');
    assert.equal(check(await post('/cameras', body), 'POST', '/cameras', '/cameras').status, 409);
    assert.equal(check(await post('/cameras', { id: 'x', source: { type: 'foo' } }), 'POST', '/cameras', '/cameras').status, 400);
    assert.equal(check(await post('/cameras', '{"id":', { headers: { 'Content-Type': 'application/json' } }), 'POST', '/cameras', '/cameras').status, 400);
    check(await get('/cameras'), 'GET', '/cameras', '/cameras');
    check(await get('/cameras/apicam'), 'GET', '/cameras/{id}', '/cameras/apicam');
    const file = check(await get('/cameras/demo'), 'GET', '/cameras/{id}', '/cameras/demo');
    assert.equal(file.body.origin, 'config');
    assert.equal(check(await get('/cameras/nope'), 'GET', '/cameras/{id}', '/cameras/nope').status, 404);
    const put = check(await req('PUT', '/cameras/apicam', { body: { ...body, name: 'Renamed' } }), 'PUT', '/cameras/{id}', '/cameras/apicam');
    assert.equal(put.status, 200, put.text);
    assert.equal(check(await req('PUT', '/cameras/demo', { body: small('demo') }), 'PUT', '/cameras/{id}', '/cameras/demo').status, 409);
    assert.equal(check(await req('DELETE', '/cameras/apicam?recordings=maybe'), 'DELETE', '/cameras/{id}', '/cameras/apicam').status, 400);
    const del = check(await req('DELETE', '/cameras/apicam?recordings=keep'), 'DELETE', '/cameras/{id}', '/cameras/apicam');
    assert.equal(del.status, 200, del.text);
    assert.equal(check(await req('DELETE', '/cameras/demo'), 'DELETE', '/cameras/{id}', '/cameras/demo').status, 409);
  });

  step('stream settings: GET, PUT and DELETE /streams/{id}/settings and their errors', async () => {
    const T = '/streams/{id}/settings';
    assert.equal(check(await get('/streams/idle/settings'), 'GET', T, '/streams/idle/settings').status, 200);
    assert.equal(check(await get('/streams/nope/settings'), 'GET', T, '/streams/nope/settings').status, 404);
    const ok = check(await req('PUT', '/streams/idle/settings', { body: { video: { resolution: '160x120', fps: 5 } } }),
      'PUT', T, '/streams/idle/settings');
    assert.equal(ok.status, 200, ok.text);
    for (const body of [{ video: { fps: 0 } }, { latency_mode: 'low' }, { nope: 1 }]) {
      assert.equal(check(await req('PUT', '/streams/idle/settings', { body }), 'PUT', T, '/streams/idle/settings').status, 400);
    }
    assert.equal(check(await req('PUT', '/streams/nope/settings', { body: {} }), 'PUT', T, '/streams/nope/settings').status, 404);
    const reset = check(await req('DELETE', '/streams/idle/settings'), 'DELETE', T, '/streams/idle/settings');
    assert.equal(reset.status, 200, reset.text);
    assert.equal(reset.body.reset, true);
    assert.equal(check(await req('DELETE', '/streams/nope/settings'), 'DELETE', T, '/streams/nope/settings').status, 404);
  });

  step('outputs: HLS playlist and segment, snapshot, MJPEG, seed 003 and 004 aliases, viewers', async () => {
    const pl = check(await get('/streams/demo/hls/index.m3u8', { timeoutMs: 15000 }), 'GET', '/streams/{id}/hls/index.m3u8', '/streams/demo/hls/index.m3u8');
    assert.equal(pl.status, 200, pl.text);
    const seg = pl.text.split('\n').find((l) => l && !l.startsWith('#'));
    check(await get(`/streams/demo/hls/${seg}`), 'GET', '/streams/{id}/hls/{name}', `/streams/demo/hls/${seg}`);
    assert.equal(check(await get('/streams/demo/hls/evil.ts'), 'GET', '/streams/{id}/hls/{name}', '/streams/demo/hls/evil.ts').status, 400);
    assert.equal(check(await get('/streams/demo/hls/index.m3u8?_HLS_msn=x'), 'GET', '/streams/{id}/hls/index.m3u8', '/streams/demo/hls/index.m3u8').status, 400);
    const seedPl = check(await get('/api/cameras/demo/stream/playlist.m3u8', { timeoutMs: 15000 }),
      'GET', '/api/cameras/{id}/stream/playlist.m3u8', '/api/cameras/demo/stream/playlist.m3u8');
    const seedSeg = seedPl.text.split('\n').find((l) => l && !l.startsWith('#'));
    check(await get(`/api/cameras/demo/stream/${seedSeg}`), 'GET', '/api/cameras/{id}/stream/segment/{name}', `/api/cameras/demo/stream/${seedSeg}`);
    check(await get('/api/cameras/demo/stream/status'), 'GET', '/api/cameras/{id}/stream/status', '/api/cameras/demo/stream/status');
    const s3 = check(await post('/api/cameras/idle/stream/start', { rtsp_port: 554 }), 'POST', '/api/cameras/{id}/stream/start', '/api/cameras/idle/stream/start');
    assert.deepEqual(s3.body.ignored_fields, ['rtsp_port']);
    check(await post('/api/cameras/idle/stream/stop', {}), 'POST', '/api/cameras/{id}/stream/stop', '/api/cameras/idle/stream/stop');
    check(await post('/api/cameras/idle/stream/start', { nope: 1 }), 'POST', '/api/cameras/{id}/stream/start', '/api/cameras/idle/stream/start');

    const snap = check(await get('/streams/demo/snapshot.jpg', { timeoutMs: 15000 }), 'GET', '/streams/{id}/snapshot.jpg', '/streams/demo/snapshot.jpg');
    assert.equal(snap.status, 200);
    assert.equal(check(await get('/streams/demo/snapshot.jpg?width=5'), 'GET', '/streams/{id}/snapshot.jpg', '/streams/demo/snapshot.jpg').status, 400);
    // MJPEG (a taken-over connection): the status line and content type; a client stays
    // connected while /viewers is read.
    const mj = await headOf(d.port, '/streams/demo/mjpeg');
    check({ ...mj, text: undefined }, 'GET', '/streams/{id}/mjpeg', '/streams/demo/mjpeg');
    assert.equal(mj.status, 200);
    const live = await headOf(d.port, '/live/stream');
    check({ ...live, text: undefined }, 'GET', '/live/stream', '/live/stream');
    const mjNope = await get('/streams/nope/mjpeg');
    check(mjNope, 'GET', '/streams/{id}/mjpeg', '/streams/nope/mjpeg');
    assert.equal(mjNope.status, 404);

    check(await get('/live/status'), 'GET', '/live/status', '/live/status');
    check(await get('/camera/status'), 'GET', '/camera/status', '/camera/status');
    // An HLS reader (it lingers while idle) and an MJPEG client that stays connected.
    const client = await openStream(d.port, '/streams/demo/mjpeg');
    try {
      const v = await waitFor(async () => {
        const r = await get('/viewers');
        return r.body.viewers.some((x) => x.kind === 'mjpeg') && r;
      }, { timeoutMs: 10000, message: 'the MJPEG client is listed' });
      check(v, 'GET', '/viewers', '/viewers');
      assert.ok(v.body.viewers.some((x) => x.kind === 'hls'), JSON.stringify(v.body));
    } finally {
      client.close();
    }
    check(await get('/viewers/demo'), 'GET', '/viewers/{id}', '/viewers/demo');
    check(await get('/viewers/bad%20id'), 'GET', '/viewers/{id}', '/viewers/bad%20id');
  });

  step('WebRTC: WHEP offer, PATCH and DELETE, seed 002 JSON offer, their errors; WebSocket signaling upgrades', async () => {
    const whep = await post('/streams/demo/whep', OFFER, { headers: { 'Content-Type': 'application/sdp' }, timeoutMs: 15000 });
    check(whep, 'POST', '/streams/{id}/whep', '/streams/demo/whep');
    assert.equal(whep.status, 201, whep.text);
    const loc = whep.headers.location;
    assert.match(loc, /^\/streams\/demo\/whep\/[^/]+$/);
    const vlist = check(await get('/viewers/demo'), 'GET', '/viewers/{id}', '/viewers/demo');
    assert.ok(vlist.body.viewers.some((x) => x.kind === 'whep'), 'the WHEP viewer is listed');
    const patch = await req('PATCH', loc, { body: 'a=ice-ufrag:zzzz\r\na=candidate:1 1 UDP 1 127.0.0.1 9 typ host\r\n',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag' } });
    check(patch, 'PATCH', '/streams/{id}/whep/{vid}', loc);
    assert.equal(patch.status, 422, patch.text);
    const wrongType = await req('PATCH', loc, { body: '', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(check(wrongType, 'PATCH', '/streams/{id}/whep/{vid}', loc).status, 415);
    const del = check(await req('DELETE', loc), 'DELETE', '/streams/{id}/whep/{vid}', loc);
    assert.equal(del.status, 200);
    assert.equal(check(await req('DELETE', loc), 'DELETE', '/streams/{id}/whep/{vid}', loc).status, 404);
    assert.equal(check(await post('/streams/demo/whep', OFFER, { headers: { 'Content-Type': 'text/plain' } }),
      'POST', '/streams/{id}/whep', '/streams/demo/whep').status, 415);
    assert.equal(check(await post('/streams/demo/whep', 'hello', { headers: { 'Content-Type': 'application/sdp' } }),
      'POST', '/streams/{id}/whep', '/streams/demo/whep').status, 400);

    const seed = await post('/api/webrtc/offer', { type: 'offer', sdp: OFFER, camera: 'demo' }, { timeoutMs: 15000 });
    check(seed, 'POST', '/api/webrtc/offer', '/api/webrtc/offer');
    assert.equal(seed.status, 200, seed.text);
    assert.equal(check(await req('DELETE', seed.body.location), 'DELETE', '/streams/{id}/whep/{vid}', seed.body.location).status, 200);
    assert.equal(check(await post('/api/webrtc/offer', { type: 'answer', sdp: 'v=0' }), 'POST', '/api/webrtc/offer', '/api/webrtc/offer').status, 400);

    for (const [target, template] of [['/signaling', '/signaling'], ['/webrtc', '/webrtc'], ['/', '/']]) {
      const r = await wsFirstMessage(d.port, target);
      assert.equal(r.status, 101, `${target}: ${JSON.stringify(r)}`);
      assert.ok(doc.paths[template].get.responses['101'], `${template} declares 101`);
      assert.equal(r.message.type, 'hello');
    }
  });

  step('recording: start, stop, GET /recordings, download with Range, HEAD, thumbnail, DELETE, errors; /live/* aliases', async () => {
    const start = check(await post('/streams/demo/record/start', {}), 'POST', '/streams/{id}/record/start', '/streams/demo/record/start');
    assert.equal(start.status, 202, start.text);
    const again = check(await post('/streams/demo/record/start', {}), 'POST', '/streams/{id}/record/start', '/streams/demo/record/start');
    assert.equal(again.status, 200, again.text);
    assert.equal(check(await post('/streams/demo/record/start', { duration_s: 0 }), 'POST', '/streams/{id}/record/start', '/streams/demo/record/start').status, 400);
    await waitFor(async () => {
      const rec = (await get('/streams/demo')).body.recording;
      return rec.state === 'recording' && rec.recorder && rec.recorder.file;
    }, { timeoutMs: 15000, message: 'a file is written' });
    await sleep(2500);
    const stop = check(await post('/streams/demo/record/stop', {}), 'POST', '/streams/{id}/record/stop', '/streams/demo/record/stop');
    assert.equal(stop.status, 200);
    const row = await waitFor(async () => (await get('/recordings?camera=demo')).body.recordings.find((x) => x.status === 'complete'),
      { timeoutMs: 15000, message: 'a complete recording' });
    check(await get('/recordings'), 'GET', '/recordings', '/recordings');
    check(await get('/recordings?camera=demo&limit=1&from=0'), 'GET', '/recordings', '/recordings');
    assert.equal(check(await get('/recordings?limit=0'), 'GET', '/recordings', '/recordings').status, 400);
    assert.equal(check(await get('/recordings?cursor=x'), 'GET', '/recordings', '/recordings').status, 400);
    assert.equal(check(await get('/recordings?camera=bad%20id'), 'GET', '/recordings', '/recordings').status, 404);

    const rid = `/recordings/${row.id}`;
    const part = await get(rid, { headers: { Range: 'bytes=0-99' } });
    check({ ...part, text: undefined }, 'GET', '/recordings/{rid}', rid);
    assert.equal(part.status, 206);
    assert.equal(part.raw.length, 100);
    const whole = await get(rid);
    check({ ...whole, text: undefined }, 'GET', '/recordings/{rid}', rid);
    assert.equal(whole.status, 200);
    assert.equal(check(await get(rid, { headers: { Range: `bytes=${row.bytes + 10}-` } }), 'GET', '/recordings/{rid}', rid).status, 416);
    const head = await req('HEAD', rid);
    check({ ...head, text: undefined }, 'HEAD', '/recordings/{rid}', rid);
    assert.equal(head.status, 200);
    const thumb = check(await get(`${rid}/thumbnail.jpg`, { timeoutMs: 15000 }), 'GET', '/recordings/{rid}/thumbnail.jpg', `${rid}/thumbnail.jpg`);
    assert.equal(thumb.status, 200, thumb.text);
    const del = check(await req('DELETE', rid), 'DELETE', '/recordings/{rid}', rid);
    assert.equal(del.status, 200, del.text);
    assert.equal(check(await get(rid), 'GET', '/recordings/{rid}', rid).status, 404);
    assert.equal(check(await req('DELETE', rid), 'DELETE', '/recordings/{rid}', rid).status, 404);
    assert.equal(check(await get('/recordings/abc'), 'GET', '/recordings/{rid}', '/recordings/abc').status, 404);
    assert.equal(check(await get('/recordings/abc/thumbnail.jpg'), 'GET', '/recordings/{rid}/thumbnail.jpg', '/recordings/abc/thumbnail.jpg').status, 404);

    // Seed 004: the first camera (demo).
    check(await post('/live/record/start', { duration_s: 60 }), 'POST', '/live/record/start', '/live/record/start');
    check(await get('/live/status'), 'GET', '/live/status', '/live/status');
    check(await post('/live/record/stop', {}), 'POST', '/live/record/stop', '/live/record/stop');
    assert.equal(check(await post('/live/record/start', { foo: 1 }), 'POST', '/live/record/start', '/live/record/start').status, 400);
    check(await post('/live/start', {}), 'POST', '/live/start', '/live/start');
    assert.equal(check(await post('/live/start?record_duration=abc', {}), 'POST', '/live/start', '/live/start').status, 400);
    const stopped = check(await post('/live/stop', {}), 'POST', '/live/stop', '/live/stop');
    assert.equal(stopped.status, 200);
    check(await get('/camera/status'), 'GET', '/camera/status', '/camera/status');
  });

  step('GET /streams/{id} and /live/status while HLS, the JPEG branch and a recording run (needs the /metrics merge: stream fields)', async () => {
    await post('/streams/demo/start', {});
    await waitFor(async () => (await get('/streams/demo')).body.state === 'active', { timeoutMs: 20000, message: 'demo active' });
    assert.equal((await get('/streams/demo/hls/index.m3u8', { timeoutMs: 15000 })).status, 200);
    assert.equal((await get('/streams/demo/snapshot.jpg', { timeoutMs: 15000 })).status, 200);
    const rec = await post('/streams/demo/record/start', { duration_s: 30 });
    assert.equal(rec.status, 202, rec.text);
    check(rec, 'POST', '/streams/{id}/record/start', '/streams/demo/record/start');
    try {
      await waitFor(async () => (await get('/streams/demo')).body.recording.recorder?.file, { timeoutMs: 15000, message: 'recording' });
      check(await get('/live/status'), 'GET', '/live/status', '/live/status');
      const s = check(await get('/streams/demo'), 'GET', '/streams/{id}', '/streams/demo');
      const outs = s.body.source.outputs || {};
      assert.ok(outs.hls && outs.mjpeg && outs.record, `outputs: ${Object.keys(outs)}`);
      assert.equal(s.body.recording.reason, 'duration');
    } finally {
      await post('/streams/demo/record/stop', {});
    }
  });

  step('GET /openapi.yaml serves docs/openapi.yaml (needs the /metrics merge)', async () => {
    const r = check(await get('/openapi.yaml'), 'GET', '/openapi.yaml', '/openapi.yaml');
    assert.equal(r.status, 200);
    assert.equal(r.text, SPEC_TEXT, 'the served document is docs/openapi.yaml');
  });

  step('GET /metrics (needs the /metrics merge)', async () => {
    const r = check(await get('/metrics'), 'GET', '/metrics', '/metrics');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  });
});

// ---------------------------------------------------------------------------------------
// A daemon with accounts: the /auth/* routes, 401/403/302 answers, viewer tokens
// ---------------------------------------------------------------------------------------

describe('a daemon with accounts', () => {
  const ADMIN_PW = 'admin-pw-' + crypto.randomBytes(6).toString('hex');
  const VIC_PW = 'vic-pw-' + crypto.randomBytes(6).toString('hex');
  let d;
  let failed = false;
  const step = (name, fn) => it(name, async () => {
    try {
      await fn();
    } catch (e) {
      failed = true;
      throw e;
    }
  });
  const bearer = (t) => ({ Authorization: `Bearer ${t}` });
  const cookieOf = (res) => [].concat(res.headers['set-cookie'] || []).find((x) => x.startsWith('camrelay_session='))?.split(';')[0];
  let admin;  // headers
  let vic;

  before(async () => {
    d = await startDaemon({
      name: 'openapi-auth',
      config: { auth: { disabled: false }, cameras: [small('a'), small('b')] },
      env: { CAMRELAY_ADMIN_PASSWORD: ADMIN_PW },
    });
  });
  after(async () => {
    if (failed && d) d.printLog('openapi auth test failed');
    if (d) await d.cleanup();
  });

  step('without credentials: brief /health, 401 for the API, 302 for pages, open assets', async () => {
    const h = check(await d.get('/health'), 'GET', '/health', '/health');
    validateAt('#/components/schemas/HealthBrief', h.body, 'GET /health without credentials');
    const s = check(await d.get('/streams'), 'GET', '/streams', '/streams');
    assert.equal(s.status, 401);
    assert.match(s.headers['www-authenticate'], /^Bearer/);
    assert.equal(check(await d.get('/viewers'), 'GET', '/viewers', '/viewers').status, 401);
    assert.equal(check(await d.get('/streams/a'), 'GET', '/streams/{id}', '/streams/a').status, 401);
    assert.equal(check(await d.get('/'), 'GET', '/', '/').status, 302);
    assert.equal(check(await d.get('/index.html'), 'GET', '/{p0}', '/index.html').status, 302);
    assert.equal(check(await d.get('/style.css'), 'GET', '/{p0}', '/style.css').status, 200);
    assert.equal(check(await d.get('/streams', { headers: bearer('nonsense') }), 'GET', '/streams', '/streams').status, 401);
    const mj = await d.get('/streams/a/mjpeg');
    assert.equal(check(mj, 'GET', '/streams/{id}/mjpeg', '/streams/a/mjpeg').status, 401);
    const ws = await wsFirstMessage(d.port, '/signaling');
    assert.equal(ws.status, 401);
    check({ status: ws.status, headers: ws.headers, text: ws.text, body: JSON.parse(ws.text) }, 'GET', '/signaling', '/signaling');
  });

  step('POST /auth/login (JSON and form, wrong password), GET /auth/me, POST /auth/logout', async () => {
    const wrong = check(await d.post('/auth/login', { username: 'admin', password: 'nope' }, { timeoutMs: 10000 }), 'POST', '/auth/login', '/auth/login');
    assert.equal(wrong.status, 401);
    assert.equal(check(await d.post('/auth/login', { username: 'admin' }), 'POST', '/auth/login', '/auth/login').status, 400);
    const ok = check(await d.post('/auth/login', { username: 'admin', password: ADMIN_PW }, { timeoutMs: 10000 }), 'POST', '/auth/login', '/auth/login');
    assert.equal(ok.status, 200, ok.text);
    admin = { Cookie: cookieOf(ok) };
    const form = await d.post('/auth/login', `username=admin&password=${encodeURIComponent(ADMIN_PW)}&next=/viewer`,
      { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, timeoutMs: 10000 });
    check(form, 'POST', '/auth/login', '/auth/login');
    assert.equal(form.status, 303);
    const me = check(await d.get('/auth/me', { headers: admin }), 'GET', '/auth/me', '/auth/me');
    assert.equal(me.body.via, 'session');
    const other = { Cookie: cookieOf(form) };
    const out = check(await d.post('/auth/logout', undefined, { headers: other }), 'POST', '/auth/logout', '/auth/logout');
    assert.equal(out.status, 204);
    const outForm = await d.post('/auth/logout', '', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(check(outForm, 'POST', '/auth/logout', '/auth/logout').status, 303);
  });

  step('accounts: POST/GET/PATCH/DELETE /auth/users, tokens, viewer tokens, password, audit, 403s', async () => {
    const u = check(await d.post('/auth/users', { name: 'vic', password: VIC_PW, role: 'viewer', cameras: ['a'] },
      { headers: admin, timeoutMs: 10000 }), 'POST', '/auth/users', '/auth/users');
    assert.equal(u.status, 201, u.text);
    assert.equal(check(await d.post('/auth/users', { name: 'vic', password: VIC_PW }, { headers: admin, timeoutMs: 10000 }),
      'POST', '/auth/users', '/auth/users').status, 409);
    assert.equal(check(await d.post('/auth/users', { name: 'x', password: 'y', role: 'king' }, { headers: admin }),
      'POST', '/auth/users', '/auth/users').status, 400);
    check(await d.get('/auth/users', { headers: admin }), 'GET', '/auth/users', '/auth/users');
    const p = check(await d.request('PATCH', '/auth/users/vic', { body: { cameras: ['a'] }, headers: admin }), 'PATCH', '/auth/users/{name}', '/auth/users/vic');
    assert.equal(p.status, 200, p.text);
    assert.equal(check(await d.request('PATCH', '/auth/users/vic', { body: { colour: 'red' }, headers: admin }),
      'PATCH', '/auth/users/{name}', '/auth/users/vic').status, 400);
    assert.equal(check(await d.request('PATCH', '/auth/users/nobody', { body: { role: 'viewer' }, headers: admin }),
      'PATCH', '/auth/users/{name}', '/auth/users/nobody').status, 404);

    const tok = check(await d.post('/auth/tokens', { label: 'openapi' }, { headers: admin }), 'POST', '/auth/tokens', '/auth/tokens');
    assert.equal(tok.status, 201, tok.text);
    check(await d.get('/auth/tokens', { headers: bearer(tok.body.token) }), 'GET', '/auth/tokens', '/auth/tokens');
    check(await d.get('/auth/routes', { headers: bearer(tok.body.token) }), 'GET', '/auth/routes', '/auth/routes');

    const vicLogin = await d.post('/auth/login', { username: 'vic', password: VIC_PW }, { timeoutMs: 10000 });
    assert.equal(vicLogin.status, 200);
    vic = { Cookie: cookieOf(vicLogin) };
    check(await d.get('/auth/me', { headers: vic }), 'GET', '/auth/me', '/auth/me');
    assert.equal(check(await d.get('/viewers', { headers: vic }), 'GET', '/viewers', '/viewers').status, 403);
    assert.equal(check(await d.get('/auth/users', { headers: vic }), 'GET', '/auth/users', '/auth/users').status, 403);
    assert.equal(check(await d.get('/cameras/a', { headers: vic }), 'GET', '/cameras/{id}', '/cameras/a').status, 403);
    assert.equal(check(await d.get('/streams/b', { headers: vic }), 'GET', '/streams/{id}', '/streams/b').status, 403);
    assert.equal(check(await d.post('/streams/a/start', {}, { headers: vic }), 'POST', '/streams/{id}/start', '/streams/a/start').status, 403);
    const vc = check(await d.get('/cameras', { headers: vic }), 'GET', '/cameras', '/cameras');
    assert.deepEqual(vc.body.cameras.map((c) => c.id), ['a']);
    const vt = check(await d.post('/auth/viewer-tokens', { cameras: ['a'], ttl_s: 600 }, { headers: vic }),
      'POST', '/auth/viewer-tokens', '/auth/viewer-tokens');
    assert.equal(vt.status, 201, vt.text);
    assert.equal(check(await d.post('/auth/viewer-tokens', { cameras: ['b'] }, { headers: vic }),
      'POST', '/auth/viewer-tokens', '/auth/viewer-tokens').status, 403);
    assert.equal(check(await d.post('/auth/viewer-tokens', {}, { headers: vic }),
      'POST', '/auth/viewer-tokens', '/auth/viewer-tokens').status, 400);
    const withToken = check(await d.get(`/auth/me?token=${vt.body.token}`), 'GET', '/auth/me', '/auth/me');
    assert.equal(withToken.body.via, 'viewer token');
    assert.equal(check(await d.get(`/streams/b?token=${vt.body.token}`), 'GET', '/streams/{id}', '/streams/b').status, 403);
    assert.equal(check(await d.get(`/streams?token=${tok.body.token}`), 'GET', '/streams', '/streams').status, 401);

    assert.equal(check(await d.post('/auth/password', { current_password: 'wrong', new_password: 'vic-new-' + VIC_PW },
      { headers: vic, timeoutMs: 10000 }), 'POST', '/auth/password', '/auth/password').status, 403);
    const pw = check(await d.post('/auth/password', { current_password: VIC_PW, new_password: 'vic-new-' + VIC_PW },
      { headers: vic, timeoutMs: 10000 }), 'POST', '/auth/password', '/auth/password');
    assert.equal(pw.status, 204, pw.text);

    check(await d.get('/audit?limit=3', { headers: admin }), 'GET', '/audit', '/audit');
    assert.equal(check(await d.request('DELETE', `/auth/tokens/${tok.body.id}`, { headers: admin }),
      'DELETE', '/auth/tokens/{tid}', `/auth/tokens/${tok.body.id}`).status, 204);
    assert.equal(check(await d.request('DELETE', '/auth/tokens/nope', { headers: admin }),
      'DELETE', '/auth/tokens/{tid}', '/auth/tokens/nope').status, 404);
    assert.equal(check(await d.request('DELETE', '/auth/users/vic', { headers: admin }),
      'DELETE', '/auth/users/{name}', '/auth/users/vic').status, 204);
    assert.equal(check(await d.request('DELETE', '/auth/users/vic', { headers: admin }),
      'DELETE', '/auth/users/{name}', '/auth/users/vic').status, 404);
  });

  step('GET /health with an admin session: the details (needs the /metrics merge: stalled_streams)', async () => {
    const h = check(await d.get('/health', { headers: admin }), 'GET', '/health', '/health');
    assert.ok('active_streams' in h.body, 'an admin gets the details');
  });

  step('the route table of an auth daemon is the same', async () => {
    const r = check(await d.get('/auth/routes', { headers: admin }), 'GET', '/auth/routes', '/auth/routes');
    for (const route of r.body.routes) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      assert.ok(op, `${route.method} ${route.path} described`);
    }
  });
});
