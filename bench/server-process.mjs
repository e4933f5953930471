// Benchmarks that measure a whole server process (restart, recovery, pending load) start the
// built CLI as a user would: `weft server` (or `weft up`) on a scratch directory and a free
// loopback port, with its config file beside it. Needs `npm run build`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api } from './fleet-fill.mjs';

export const BIN = fileURLToPath(new URL('../bin/weft.js', import.meta.url));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const mib = (b) => (b / 2 ** 20).toFixed(1);

/**
 * Spawns `weft <command> --port PORT` plus args in cwd. The child collects its stdout in `.out`;
 * stderr (the JSON log) is inherited unless `quiet`, and lines matching `watch` are timestamped
 * into `.seen` ([performance.now(), line]).
 */
export function spawnWeft(cwd, command, port, args = [], { bin = BIN, nodeFlags = [], env = {}, quiet = false, watch } = {}) {
  const child = spawn(process.execPath, [...nodeFlags, bin, command, '--port', String(port), ...args], {
    cwd,
    env: { ...process.env, WEFT_CONFIG: join(cwd, 'config.yaml'), NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', quiet || watch ? 'pipe' : 'inherit'],
  });
  child.out = '';
  child.seen = [];
  // The last lines of the log, for a failure message when stderr is not shown.
  child.errTail = [];
  child.stdout.on('data', (d) => (child.out += d));
  child.stderr?.on('data', (d) => {
    for (const line of String(d).split('\n')) {
      if (!line) continue;
      if (watch?.test(line)) child.seen.push([performance.now(), line]);
      child.errTail.push(line.slice(0, 500));
    }
    if (child.errTail.length > 400) child.errTail.splice(0, 200);
  });
  return child;
}

/** Sends `signal` (default SIGINT) and resolves with the milliseconds until the process exited. */
export async function stopProcess(child, signal = 'SIGINT', killAfterMs = 120_000) {
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const t0 = performance.now();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const late = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(late);
  return performance.now() - t0;
}

/** The admin token a fresh store prints on its first start. */
export async function bootstrapToken(child, timeoutMs = 120_000) {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const token = /(weft_[A-Za-z0-9_-]{20,})/.exec(child.out)?.[1];
    if (token) return token;
    if (child.exitCode !== null) throw new Error(`weft exited with ${child.exitCode}:\n${child.out}`);
    await sleep(50);
  }
  throw new Error('no bootstrap token printed');
}

/**
 * Polls (every 20 ms) until the port accepts, /readyz says 200 and `listPath` answers, timing each
 * from t0. Returns {listening, readyz, list} in ms.
 */
export async function readyTimes(url, token, timeoutMs, t0 = performance.now(), listPath = '/api/v1/nodes?limit=50') {
  const deadline = t0 + timeoutMs;
  const t = {};
  while (performance.now() < deadline) {
    if (t.readyz === undefined) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res) {
        t.listening ??= performance.now() - t0;
        await res.arrayBuffer();
        if (res.ok) t.readyz = performance.now() - t0;
      }
    }
    if (t.listening !== undefined && t.list === undefined) {
      const list = await fetch(`${url}${listPath}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      if (list) await list.arrayBuffer();
      if (list?.ok || list?.status === 404) t.list = performance.now() - t0;
    }
    if (t.readyz !== undefined && t.list !== undefined) return t;
    await sleep(20);
  }
  throw new Error(`not ready within ${timeoutMs / 1000} s (${JSON.stringify(t)})`);
}

/** Bytes under path (a file or a directory tree). */
export function du(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, f) => n + du(join(path, f)), 0);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) the process has used so far, from /proc. */
export function cpuSeconds(pid) {
  const stat = readFileSyncSafe(`/proc/${pid}/stat`);
  if (!stat) return NaN;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100 Hz)
}

function readFileSyncSafe(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** Waits (at most 3 minutes) until the store's resourceVersion stops changing for 5 s. */
export async function settle(url, token) {
  let last;
  let stableSince = performance.now();
  const deadline = performance.now() + 180_000;
  while (performance.now() < deadline) {
    const list = await api(url, token, 'GET', '/api/v1/allocations?limit=1');
    const key = list.metadata?.resourceVersion;
    if (key !== last) {
      last = key;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 5000) return;
    await sleep(1000);
  }
}


/**
 * POSTs a new object, retrying what a loaded server may do to a client (a reset connection, a
 * 503) up to `tries` times; a 409 on a retry means the earlier attempt went through.
 */
export async function createRetrying(url, token, path, body, tries = 8) {
  for (let i = 1; ; i++) {
    let status = 0;
    let text = '';
    try {
      const res = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      status = res.status;
      text = await res.text();
      if (res.ok || (status === 409 && i > 1)) return;
    } catch (e) {
      text = e.cause?.code ?? e.message;
    }
    if (i >= tries || (status >= 400 && status < 500)) throw new Error(`POST ${path}: ${status || 'no answer'} ${text.slice(0, 300)}`);
    await sleep(200 * i);
  }
}
