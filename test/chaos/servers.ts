// The chaos suite's servers: real `weft server` processes (the built CLI) on an embedded data
// directory or a PostgreSQL URL, on loopback ports of their own. Each remembers when it was
// spawned and what it logged, so a run can tell how long it took to be ready and when it became
// leader; kill() is SIGKILL, stop() is SIGTERM and waits for the exit.
import type { ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { assertBuilt, sandbox, waitForOutput, type Sandbox } from '../cli/helpers.js';

const LISTENING = /listening on (http:\/\/\S+?)[ ,(]/;
const TOKEN = /(weft_[A-Za-z0-9_-]+)/;

export interface ServerBackend {
  /** Embedded data directory (PGlite). */
  dataDir?: string;
  /** PostgreSQL URL. */
  databaseUrl?: string;
}

export interface CallResult {
  status: number;
  requestId: string;
  // Shapes vary by route; the tests read what they need.
  body: any;
}

export class ChaosServer {
  child: ChildProcess | undefined;
  url = '';
  /** performance.now() of the latest spawn. */
  spawnedAt = 0;
  /** performance.now() of each "control plane: leading" line, over all starts. */
  readonly leadingAt: number[] = [];
  /** The most recent lines of output (both streams), for failure messages. */
  private tail: string[] = [];

  constructor(
    private readonly box: Sandbox,
    private readonly backend: ServerBackend,
    /** Admin token: printed by the first start of a fresh store, or handed over from another server. */
    public token = '',
    private readonly extraArgs: string[] = [],
  ) {}

  /** Spawns the server and waits until it listens (not until it is ready). */
  async start(): Promise<void> {
    const where = this.backend.databaseUrl ? ['--database-url', this.backend.databaseUrl] : ['--data-dir', this.backend.dataDir ?? '.weft'];
    this.spawnedAt = performance.now();
    const child = this.box.spawn(['server', '--port', '0', ...where, '--log-level', 'info', ...this.extraArgs]);
    this.child = child;
    const onLine = (d: Buffer): void => {
      const text = d.toString();
      if (text.includes('control plane: leading')) this.leadingAt.push(performance.now());
      for (const line of text.split('\n')) if (line && !line.includes('"request completed"') && !line.includes('"incoming request"')) this.tail.push(line.slice(0, 400));
      if (this.tail.length > 200) this.tail = this.tail.slice(-100);
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    // Generous: on a loaded machine a fresh embedded store (WebAssembly compile, initdb) is slow.
    const out = await waitForOutput(child, LISTENING, 240_000);
    this.url = LISTENING.exec(out)![1]!;
    this.token ||= TOKEN.exec(out)?.[1] ?? '';
  }

  /** Milliseconds from the latest spawn until /readyz answers 200. */
  async readyAfterMs(timeoutMs = 240_000): Promise<number> {
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      if (!this.running) throw new Error(`server exited (${this.child?.exitCode ?? this.child?.signalCode}) before it was ready:\n${this.lastLines()}`);
      const ok = await fetch(`${this.url}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) return performance.now() - this.spawnedAt;
      await sleep(50);
    }
    throw new Error(`server not ready after ${timeoutMs} ms:\n${this.lastLines()}`);
  }

  get running(): boolean {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM; resolves with the milliseconds until the process exited. */
  async stop(): Promise<number> {
    const t0 = performance.now();
    await this.signal('SIGTERM');
    return performance.now() - t0;
  }

  /** Sends `sig` and waits for the exit (SIGSTOP/SIGCONT are not for servers). */
  private async signal(sig: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(sig);
    await exited;
  }

  /** One authenticated JSON request. A refused connection (server down) throws a TypeError. */
  async call(method: string, path: string, body?: unknown): Promise<CallResult> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, requestId: res.headers.get('x-request-id') ?? '', body: await res.json().catch(() => undefined) };
  }

  lastLines(n = 30): string {
    return this.tail.slice(-n).join('\n');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** For a test file: each call gives a fresh sandbox (the build must exist); all are removed after the file. */
export function sandboxes(): () => Sandbox {
  const boxes: Sandbox[] = [];
  afterAll(() => {
    for (const b of boxes) b.cleanup();
  }, 60_000);
  return () => {
    assertBuilt();
    const box = sandbox();
    boxes.push(box);
    return box;
  };
}
