// The 3-minute variant of the soak (tests/soak/soak.mjs, docs/reliability.md): four cameras,
// random viewers (Chromium WHEP and viewer pages, ICE-less WHEP, HLS, MJPEG), random source
// and broker faults, one daemon SIGTERM + restart. Asserts recovery after every fault, every
// viewer row closed, /viewers empty, no crash, no unrecovered ERROR, every stream active at
// the end, and FDs/threads/GStreamer elements back to the quiescent baseline. Leak slopes need a long run: here
// they are only reported (the gross RSS bounds are asserted through the quiescent check).
//
// Runs inside a network namespace (ctest: *.netns.test.mjs), ~4 minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, SANITIZED } from './lib/daemon.mjs';
import { runSoak } from '../soak/soak.mjs';

test('soak, 3 minutes: recoveries, closed viewer rows, no crash, no FD/thread growth', { timeout: 480000 }, async () => {
  const outDir = makeTempDir('camrelay-soak-smoke-');
  let summary;
  try {
    summary = await runSoak({ minutes: 3, outDir, faultGapS: [8, 15], warmupS: 30, maxViewers: 5 });
  } catch (e) {
    process.stderr.write(`soak aborted; output kept in ${outDir}\n`);
    throw e;
  }
  const c = summary.checks;
  const why = () => `\n${JSON.stringify(summary, null, 1).slice(0, 6000)}\n(output kept in ${outDir})`;
  console.log(`soak: ${c.recovery.faults} faults, ${summary.figures.viewer_rows_total} viewer rows, ` +
    `slopes over ${c.slopes.windowMin} min: RSS ${c.slopes.rssMbPerHour} MB/h, FDs ${c.slopes.fdsPerHour}/h (reported only); ` +
    `quiescent delta ${JSON.stringify(c.quiescent.delta)}`);
  assert.ok(c.recovery.ok, `a stream did not come back within its bound${why()}`);
  assert.ok(c.recovery.faults >= 4, `too few faults injected (${c.recovery.faults})${why()}`);
  assert.ok(c.no_crash.ok, `crash or unclean exit${why()}`);
  assert.ok(c.viewer_rows_closed.ok, `viewer rows left open${why()}`);
  assert.ok(c.viewers_empty.ok, `GET /viewers not empty${why()}`);
  assert.ok(c.stream_rows_ended.ok, `stream sessions not ended${why()}`);
  assert.ok(c.errors_recovered.ok, `ERROR without recovery${why()}`);
  assert.ok(c.all_active_at_end.ok, `not every stream active at the end${why()}`);
  // Under a sanitizer (scripts/test.sh --asan) memory and thread figures mean nothing (the
  // quarantine keeps freed memory): only reported there.
  if (!SANITIZED) assert.ok(c.quiescent.ok, `FDs/threads/RSS not back to the quiescent baseline${why()}`);
  assert.ok(c.elements.ok, `GStreamer elements not back to the quiescent baseline${why()}`);
  assert.ok(summary.figures.viewer_rows_total >= 5, `too few viewers ran${why()}`);
  if (!process.env.CAMRELAY_KEEP_TMP) fs.rmSync(outDir, { recursive: true, force: true });
  else console.log(`output kept in ${path.resolve(outDir)}`);
});
