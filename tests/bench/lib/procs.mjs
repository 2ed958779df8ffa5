// Child processes of the bench scripts: spawned, readiness by a stdout line, killed by PID
// at the end (also on an exception, SIGINT or SIGTERM). Used by camera.mjs and janus.mjs.
import { spawn } from 'node:child_process';

const live = new Set();
let hooked = false;

function hook() {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of live) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

// Spawns `bin args`; resolves { child, pid, log(), stop() } once `ready(line)` is true for a
// line of stdout/stderr (or at once when ready is null). Rejects if the process exits first
// or after timeoutMs.
export function spawnProc(name, bin, args, { ready = null, timeoutMs = 10000, env, cwd } = {}) {
  hook();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: env || process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let log = '';
    let done = false;
    const exited = new Promise((r) => child.on('exit', (code, signal) => {
      live.delete(child);
      r({ code, signal });
    }));
    const handle = {
      child,
      pid: child.pid,
      name,
      log: () => log,
      exited,
      async stop(graceMs = 3000) {
        if (child.exitCode !== null || child.signalCode !== null) return exited;
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          // gone
        }
        const t = setTimeout(() => {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }, graceMs);
        const r = await exited;
        clearTimeout(t);
        return r;
      },
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      handle.stop(500);
      reject(new Error(`${name}: not ready within ${timeoutMs} ms\n${log.slice(-4000)}`));
    }, timeoutMs);
    const onData = (s) => {
      log = (log + s).slice(-1024 * 1024);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${s}`);
      if (!done && ready && s.split('\n').some((l) => ready(l))) {
        done = true;
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (e) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name}: cannot spawn ${bin}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited before ready (code ${code}, signal ${signal})\n${log.slice(-4000)}`));
    });
    if (!ready) {
      child.once('spawn', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(handle);
      });
    }
  });
}
