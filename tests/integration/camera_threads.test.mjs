// Each camera's pipeline work runs on a GLib thread of its own ("cam:<id>", created at the
// camera's first start), so one camera's graph changes never wait behind another's.
// Checked from outside: the thread names in /proc/PID/task/*/comm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { withDaemons, waitFor } from './lib/daemon.mjs';

const threadNames = (pid) => fs.readdirSync(`/proc/${pid}/task`).map((t) => {
  try { return fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim(); } catch { return ''; }
});

test('one GLib thread per camera, created at its first start', withDaemons(async (t, h) => {
  const d = await h.start({
    config: {
      cameras: [
        { id: 'a', source: { type: 'test' }, auto_start: true },
        { id: 'b', source: { type: 'test' }, auto_start: false },
        { id: 'front-door-camera', source: { type: 'test' }, auto_start: true },
      ],
    },
  });
  await waitFor(async () => (await d.get('/streams/a')).body.state === 'active', { timeoutMs: 15000 });
  await waitFor(async () => (await d.get('/streams/front-door-camera')).body.state === 'active', { timeoutMs: 15000 });
  let names = threadNames(d.pid);
  assert.equal(names.filter((n) => n === 'cam:a').length, 1, names.join(','));
  assert.equal(names.filter((n) => n === 'cam:front-door-').length, 1, 'names are cut to 15 characters');
  assert.ok(!names.includes('cam:b'), 'a camera that never ran has no thread');

  assert.equal((await d.post('/streams/b/start')).status, 202);
  await waitFor(async () => (await d.get('/streams/b')).body.state === 'active', { timeoutMs: 15000 });
  names = threadNames(d.pid);
  assert.equal(names.filter((n) => n === 'cam:b').length, 1, names.join(','));

  // Stop and start again: the camera keeps its one thread.
  assert.equal((await d.post('/streams/b/stop')).status, 200);
  assert.equal((await d.post('/streams/b/start')).status, 202);
  await waitFor(async () => (await d.get('/streams/b')).body.state === 'active', { timeoutMs: 15000 });
  names = threadNames(d.pid);
  assert.equal(names.filter((n) => n.startsWith('cam:')).length, 3, names.join(','));
}));
