// Merges $BENCH_OUT/*.json (default bench-results/) into results.json and prints the summary
// table (markdown), also written to summary.md. Each benchmark's JSON carries `summary`:
// rows { metric, unit, camrelay, janus, better }; the ratio column is camrelay / Janus, and
// "goal" marks whether camrelay is at least as good as Janus on that row.
//
//   node tests/bench/report.mjs [DIR]
//
// BENCH_DOCS=FILE (scripts/bench.sh --docs): the command (BENCH_COMMAND), the date and the
// table also replace what stands between the `<!-- bench:latest:begin -->` and
// `<!-- bench:latest:end -->` lines of FILE (docs/performance.md).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { OUT_DIR } from './lib/stats.mjs';

const dir = process.argv[2] || OUT_DIR;
if (!fs.existsSync(dir)) {
  console.error(`report: no results directory ${dir}`);
  process.exit(1);
}
const skip = new Set(['results.json']);
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json') && !skip.has(f)).sort();
const results = {};
for (const f of files) {
  try {
    results[f.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  } catch (e) {
    console.error(`report: ${f}: ${e.message}`);
  }
}

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
};
const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memMb: Math.round(os.totalmem() / 1048576),
  kernel: os.release(),
  os: sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']),
  janus: sh('sh', ['-c', 'dpkg-query -W -f="\\${Version}" janus']),
  chromium: sh('chromium', ['--version']),
  gstreamer: sh('gst-launch-1.0', ['--version'])?.split('\n')[1] ?? null,
  commit: sh('git', ['rev-parse', '--short', 'HEAD']),
  // Changes to what was built or run (documentation does not count).
  dirty: !!sh('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs']),
};

const fmt = (x) => {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (Number.isInteger(x)) return String(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
};

const lines = [];
lines.push(`Machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memMb} MB, ${machine.os}, Linux ${machine.kernel}; ` +
  `Janus ${machine.janus ?? '?'}; ${machine.chromium ?? 'chromium ?'}; ${machine.gstreamer ?? ''}; commit ${machine.commit ?? '?'}` +
  `${machine.dirty ? ' with uncommitted changes' : ''}`);
lines.push('');
lines.push('| benchmark | metric | unit | camrelay | Janus | camrelay/Janus | better |');
lines.push('|---|---|---|---:|---:|---:|---|');
for (const [name, r] of Object.entries(results)) {
  for (const row of r.summary || []) {
    const c = row.camrelay;
    const j = row.janus;
    const both = Number.isFinite(c) && Number.isFinite(j);
    const ratio = both && j !== 0 ? c / j : null;
    let mark = '';
    if (both) {
      const good = row.better === 'higher' ? c >= j : c <= j;
      mark = good ? ' ✓' : '';
    }
    lines.push(`| ${name} | ${row.metric} | ${row.unit ?? ''} | ${fmt(c)} | ${fmt(j)} | ${ratio === null ? '–' : ratio.toFixed(2)}${mark} | ${row.better ?? ''} |`);
  }
}
const md = lines.join('\n') + '\n';
fs.writeFileSync(path.join(dir, 'results.json'),
  JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2) + '\n');
fs.writeFileSync(path.join(dir, 'summary.md'), md);
console.log(md);
console.log(`report: ${Object.keys(results).length} result file(s) merged into ${path.join(dir, 'results.json')}; table in ${path.join(dir, 'summary.md')}`);

if (process.env.BENCH_DOCS) {
  const file = process.env.BENCH_DOCS;
  const begin = '<!-- bench:latest:begin -->';
  const end = '<!-- bench:latest:end -->';
  const doc = fs.readFileSync(file, 'utf8');
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  if (b < 0 || e < b) {
    console.error(`report: ${file} has no ${begin} … ${end} block; the table was not written there`);
    process.exit(1);
  }
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  const block = `${begin}\nCommand: \`${process.env.BENCH_COMMAND || 'node tests/bench/report.mjs'}\`, ${when} UTC.\n\n${md}`;
  fs.writeFileSync(file, doc.slice(0, b) + block + doc.slice(e));
  console.log(`report: the table replaced the latest-run block of ${file}`);
}
