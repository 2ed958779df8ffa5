// Process CPU and memory from /proc (Linux only).
//   cpuTicks(pid)            user+system CPU time of the process so far, in seconds
//   rssKb(pid)               resident set size (VmRSS) in kB
//   rssAnonKb(pid)           its private anonymous part (RssAnon: heap, stacks; not the
//                            pages mapped from library files, which processes share)
//   cpuPercentOver(pid, ms)  CPU used over the next `ms` milliseconds, in % of one core
// Threads are included (/proc/PID/stat sums all threads of the process).
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the usual Linux value
}
export const CLK_TCK = clkTck;

export function cpuTicks(pid) {
  const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(rest[14 - 3]);
  const stime = Number(rest[15 - 3]);
  return (utime + stime) / CLK_TCK;
}

export function rssKb(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = s.match(/^VmRSS:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : 0;
}

export function rssAnonKb(pid) {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = s.match(/^RssAnon:\s+(\d+)\s+kB/m);
  return m ? Number(m[1]) : 0;
}

export async function cpuPercentOver(pid, ms) {
  const c0 = cpuTicks(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, ms));
  const c1 = cpuTicks(pid);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return (100 * (c1 - c0)) / elapsed;
}

// Waits until the RSS of pid changes less than 2 % (and 512 kB) over 1 s, at most maxMs;
// returns the last reading (kB).
export async function rssSettle(pid, maxMs = 10000) {
  const t0 = Date.now();
  let prev = rssKb(pid);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const cur = rssKb(pid);
    if (Math.abs(cur - prev) < Math.max(512, 0.02 * prev) || Date.now() - t0 > maxMs) return cur;
    prev = cur;
  }
}
