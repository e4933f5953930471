// A real `weft` API server in a child process for the HTTP benchmarks (bench/api.mjs,
// bench/policy.mjs), so server and load generator each get a core; plus the loopback client and
// the closed-loop load they share.
//
// As a child: `node bench/api-server.mjs CONFIG` serves on 127.0.0.1, prints {url, token} as one
// JSON line, and stops when its stdin closes.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pct } from './scratch.mjs';

/** Starts the child; `stop()` ends it (10 s grace, then SIGKILL). */
export async function startApiServer(config, nodeFlags = []) {
  const child = spawn(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const { url, token } = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]));
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    token,
    async stop() {
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** JSON requests over `agent`; resolves with the body text, rejects on a status of 300 or more. */
export function requester(base, token, agent) {
  return (method, path, body) =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        new URL(path, base),
        { method, agent, headers: { authorization: `Bearer ${token}`, ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}) } },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
            else resolve(text);
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
}

/** `count` operations, `C` in flight, stopping early after `seconds`; the latencies and the time taken come back too. */
export async function load(name, count, C, seconds, op) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < count && performance.now() < deadline) {
        const i = next++;
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  return { name, count: lat.length, opsPerSec: Math.round(lat.length / secs), p50: pct(lat, 50), p99: pct(lat, 99), latencies: lat, seconds: secs };
}

async function serve(config) {
  const { openStore } = await import('../dist/store/index.js');
  const { startServer } = await import('../dist/api/server.js');
  const { ensureBootstrapAdmin } = await import('../dist/api/auth.js');
  const store = await openStore(config);
  const { token } = await ensureBootstrapAdmin(store);
  const server = await startServer({ store, port: 0, host: '127.0.0.1', logger: false });
  process.stdout.write(JSON.stringify({ url: server.url, token }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await server.close();
    await store.close();
    process.exit(0);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(JSON.parse(process.argv[2]));
