// Small statistics helpers and the common result format of the bench scripts.
//
//   summary(xs) → { n, median, p95, min, max, mean }   (non-finite values are ignored;
//                 all null when nothing is left). p95 is the nearest-rank percentile.
//   percentile(xs, p)
//   writeResult(name, obj) → path: writes JSON to $BENCH_OUT/<name>.json (default
//                 <repo>/bench-results/) and prints it.
//   row(metric, unit, camrelay, janus, better) → one summary row
//
// Every bench script's JSON has `summary`: an array of rows
//   { metric, unit, camrelay, janus /* or null */, better: 'lower' | 'higher' }
// which report.mjs turns into the table (with the ratio camrelay/janus where both exist).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = process.env.CAMRELAY_SOURCE_DIR || path.resolve(HERE, '..', '..', '..');
export const OUT_DIR = process.env.BENCH_OUT || path.join(REPO_DIR, 'bench-results');

export function percentile(xs, p) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

export function summary(xs) {
  const s = (xs || []).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return { n: 0, median: null, p95: null, min: null, max: null, mean: null };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return {
    n: s.length,
    median,
    p95: percentile(s, 95),
    min: s[0],
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

export const row = (metric, unit, camrelay, janus = null, better = 'lower') =>
  ({ metric, unit, camrelay: camrelay ?? null, janus: janus ?? null, better });

// Rounds numbers in a JSON tree to `digits` significant decimals (for readable output).
export function roundDeep(v, digits = 3) {
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toFixed(digits)) : null;
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundDeep(x, digits)]));
  }
  return v;
}

export function writeResult(name, obj) {
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name}.json`);
  const out = { name, date: new Date().toISOString(), ...roundDeep(obj) };
  const text = JSON.stringify(out, null, 2);
  fs.writeFileSync(file, text + '\n');
  console.log(text);
  console.log(`wrote ${file}`);
  return file;
}
