// The crash tests' server: the real `weft server` process on a data directory that outlives it,
// started, killed with SIGKILL and started again on the same data, and called over loopback with
// the admin token it printed on its first start.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { assertBuilt, sandbox, waitForOutput, type Sandbox } from '../cli/helpers.js';

const LISTENING = /listening on (http:\/\/\S+?)[ ,(]/;

/** A resource as the API returns it, as far as the crash tests read it. */
export interface Obj {
  metadata: { name: string; uid: string; resourceVersion: string };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface CallResult {
  status: number;
  // Responses are checked field by field in the tests; their shapes vary by route.
  body: any;
  /** The x-request-id the server gave the request (what its audit entry carries). */
  requestId: string | null;
}

export interface CrashServer {
  /** Starts the server on the data directory and waits until it listens. */
  start(): Promise<void>;
  /** SIGKILL, waiting for the exit; nothing when the server is not running. */
  kill(): Promise<void>;
  /** One authenticated JSON request; a fetch error (server down) is thrown as the TypeError it is. */
  call(method: string, path: string, body?: unknown): Promise<CallResult>;
  /** The admin token from the first start. */
  readonly token: string;
}

/** The server on the embedded store in `dataDir`, or on PostgreSQL when `databaseUrl` is given. */
export function crashServer(box: Sandbox, dataDir: string, opts: { databaseUrl?: string } = {}): CrashServer {
  let child: ChildProcess | undefined;
  let url = '';
  let token = '';
  const store = opts.databaseUrl ? ['--database-url', opts.databaseUrl] : ['--data-dir', dataDir];
  return {
    async start() {
      child = box.spawn(['server', '--port', '0', ...store, '--log-level', 'error']);
      const out = await waitForOutput(child, LISTENING, 60_000);
      url = LISTENING.exec(out)![1]!;
      // The token on a line of its own (a database URL may contain "weft_" too).
      token ||= /^\s+(weft_[A-Za-z0-9_-]{43})\s*$/m.exec(out)?.[1] ?? '';
    },
    async kill() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    },
    async call(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: await res.json().catch(() => undefined), requestId: res.headers.get('x-request-id') };
    },
    get token() {
      return token;
    },
  };
}

/** For a test file: each call gives a fresh sandbox (needs a build) with its data directory and server; all are removed after the file. */
export function crashSandboxes(): (opts?: { databaseUrl?: string }) => { dataDir: string; server: CrashServer } {
  const boxes: Sandbox[] = [];
  afterAll(() => {
    for (const b of boxes) b.cleanup();
  });
  return (opts = {}) => {
    assertBuilt();
    const box = sandbox();
    boxes.push(box);
    const dataDir = join(box.dir, 'data');
    return { dataDir, server: crashServer(box, dataDir, opts) };
  };
}
