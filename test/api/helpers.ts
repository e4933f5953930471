// Shared set-up for API tests: a real server on 127.0.0.1:0 over a real PGlite store, plus tiny
// HTTP and SSE clients written with fetch so the tests exercise exactly what a client sees.
import { createParser } from 'eventsource-parser';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { ensureBootstrapAdmin, issueToken } from '../../src/api/auth.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import type { Clock } from '../../src/control/clock.js';
import type { QueuePositions } from '../../src/control/queue-positions.js';
import type { RoleBinding } from '../../src/model/kinds/user.js';
import type { ImageBlobs } from '../../src/api/image-blobs.js';

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface Harness {
  server: RunningServer;
  store: Store;
  url: string;
  adminToken: string;
  call<T = any>(method: string, path: string, opts?: { token?: string | null; body?: unknown; raw?: string; contentType?: string }): Promise<Reply<T>>;
  /** Creates a User with these bindings and returns a token for it. */
  user(name: string, roles: RoleBinding[]): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(opts: { dataDir?: string; watchHeartbeatMs?: number; store?: Store; policyFlushIntervalMs?: number; clock?: Clock; positions?: QueuePositions; imageBlobs?: ImageBlobs } = {}): Promise<Harness> {
  const now = opts.clock ? { now: () => opts.clock!.now() } : {};
  const store = opts.store ?? (await openStore(opts.dataDir ? { dataDir: opts.dataDir, ...now } : now));
  const boot = await ensureBootstrapAdmin(store);
  const adminToken = boot.token ?? (await issueToken(store, { kind: 'user', subject: 'admin' })).token;
  const server = await startServer({
    store,
    port: 0,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.watchHeartbeatMs ? { watchHeartbeatMs: opts.watchHeartbeatMs } : {}),
    ...(opts.policyFlushIntervalMs ? { policyFlushIntervalMs: opts.policyFlushIntervalMs } : {}),
    ...(opts.positions ? { positions: opts.positions } : {}),
    ...(opts.imageBlobs ? { imageBlobs: opts.imageBlobs } : {}),
  });
  const url = server.url;
  const call: Harness['call'] = async (method, path, o = {}) => {
    const headers: Record<string, string> = {};
    const token = o.token === undefined ? adminToken : o.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.raw !== undefined) body = o.raw;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const res = await fetch(url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed as never, text };
  };
  const user: Harness['user'] = async (name, roles) => {
    const r = await call('POST', '/api/v1/users', { body: { apiVersion: 'weft/v1', kind: 'User', metadata: { name }, spec: { roles } } });
    if (r.status !== 201) throw new Error(`creating user ${name}: ${r.status} ${r.text}`);
    return (await issueToken(store, { kind: 'user', subject: name })).token;
  };
  return {
    server,
    store,
    url,
    adminToken,
    call,
    user,
    close: async () => {
      await server.close();
      if (!opts.store) await store.close();
    },
  };
}

export interface SseEvent {
  id?: string;
  data: any;
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  comments: string[];
  /** Resolves once at least n events have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, token: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let wake: () => void = () => undefined;
  const parser = createParser({
    onEvent: (e) => {
      events.push({ ...(e.id !== undefined ? { id: e.id } : {}), data: JSON.parse(e.data) });
      wake();
    },
    onComment: (c) => comments.push(c),
  });
  const ended = (async () => {
    if (!res.body || res.status !== 200) return;
    const decoder = new TextDecoder();
    try {
      // Node's web streams are async-iterable; the DOM-less lib this compiles against does not say so.
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
    } catch {
      /* aborted by close() */
    }
  })();
  const waitFor = async (n: number, timeoutMs = 10_000): Promise<SseEvent[]> => {
    const deadline = Date.now() + timeoutMs;
    while (events.length < n) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} events; got ${events.length}: ${JSON.stringify(events.map((e) => e.data.type + ' ' + e.data.object?.metadata?.name))}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return events.slice(0, n);
  };
  return { status: res.status, headers: res.headers, events, comments, waitFor, ended, close: () => ac.abort() };
}

export const job = (name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { resources: { cpu: '1' }, ...spec },
});

export const project = (name: string, spec: Record<string, unknown> = {}) => ({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name }, spec });

export async function mustCreate(h: Harness, path: string, body: unknown, token?: string): Promise<any> {
  const r = await h.call('POST', path, { body, ...(token ? { token } : {}) });
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.body;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
