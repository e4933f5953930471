// Shared set-up for gateway tests: a real API server with the gateway on a real PGlite store,
// tiny node:http servers on 127.0.0.1 standing in for model servers, and — for autoscaling — the
// control plane plus a stand-in node agent that starts one such server per Allocation and writes
// status.endpoint, as the agent does (contract B).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ensureBootstrapAdmin, issueToken } from '../../src/api/auth.js';
import { startGateway, type Gateway, type GatewayOptions } from '../../src/api/gateway/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { AutoscalerController } from '../../src/control/autoscaler-controller.js';
import { systemClock } from '../../src/control/clock.js';
import { startControlPlane, type ControlPlane } from '../../src/control/control-plane.js';
import { createWorkloadControllers } from '../../src/control/workloads/index.js';
import { ConflictError } from '../../src/model/errors.js';
import type { Resource } from '../../src/model/metadata.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

export const PROJECT = 'serve';
/** The node replicas run on in these tests; it registered 127.0.0.1, where the replicas listen. */
export const NODE = 'node-a';

export interface FakeReplica {
  url: string;
  /** Requests answered (readiness probes excluded). */
  hits: number;
  /** Last request's headers and body, as the replica saw them. */
  last?: { headers: http.IncomingHttpHeaders; body: string; url: string };
  ready: boolean;
  /** With `hold`: answers every request held so far. */
  release(): void;
  close(): Promise<void>;
}

/**
 * A model server: answers after `delayMs` (or, with `hold`, only when released), echoing the
 * request; /ready answers 200 or 503.
 */
export async function startReplica(name: string, opts: { delayMs?: number; ready?: boolean; hold?: boolean; host?: string } = {}): Promise<FakeReplica> {
  const held: (() => void)[] = [];
  const r: FakeReplica = { url: '', hits: 0, ready: opts.ready ?? true, release: () => held.splice(0).forEach((f) => f()), close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.url === '/ready') {
      res.writeHead(r.ready ? 200 : 503).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.hits++;
      r.last = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' };
      const answer = () => {
        if (req.url?.startsWith('/stream')) {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('one\n');
          setTimeout(() => res.end('two\n'), 50);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ replica: name, url: req.url, body: r.last!.body }));
      };
      if (opts.hold) held.push(answer);
      else setTimeout(answer, opts.delayMs ?? 0);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  r.url = `http://${host}:${(server.address() as AddressInfo).port}`;
  // Like a model server on SIGTERM: stop accepting, finish what is in flight (at most 5 s).
  r.close = () =>
    new Promise<void>((resolve) => {
      r.release();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      server.close(() => (clearTimeout(force), resolve()));
      server.closeIdleConnections();
    });
  return r;
}

export interface GatewayHarness {
  store: Store;
  gateway: Gateway;
  server: RunningServer;
  url: string;
  adminToken: string;
  controlPlane?: ControlPlane;
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown }): Promise<{ status: number; headers: Headers; body: any; text: string }>;
  user(name: string, roles: { role: string; project?: string }[]): Promise<string>;
  createService(name: string, spec: Record<string, unknown>): Promise<Resource>;
  close(): Promise<void>;
}

export async function startGatewayHarness(
  opts: GatewayOptions & { controlPlane?: boolean; autoscalerPeriodMs?: number; store?: Store } = {},
): Promise<GatewayHarness> {
  const store = opts.store ?? (await openStore({}));
  const boot = await ensureBootstrapAdmin(store);
  const adminToken = boot.token!;
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
  await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: NODE }, spec: { cpu: '64', memory: '256Gi', provider: 'agent' }, status: { address: '127.0.0.1' } });
  const gateway = await startGateway(store, opts);
  const server = await startServer({ store, port: 0, gateway });
  let controlPlane: ControlPlane | undefined;
  if (opts.controlPlane) {
    const wc = createWorkloadControllers({ store, clock: systemClock, tickMs: 100 });
    const autoscaler = new AutoscalerController({ store, clock: systemClock, traffic: gateway.traffic, periodMs: opts.autoscalerPeriodMs ?? 200 });
    controlPlane = startControlPlane({ store, clock: systemClock, cycleIntervalMs: 100, adapters: wc.adapters, controllers: [...wc.controllers, autoscaler] });
    await controlPlane.leading;
  }
  const call: GatewayHarness['call'] = async (method, path, o = {}) => {
    const token = o.token === undefined ? adminToken : o.token;
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + path, { method, headers, ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}), signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  return {
    store,
    gateway,
    server,
    url: server.url,
    adminToken,
    controlPlane,
    call,
    async user(name, roles) {
      await store.create({ apiVersion: 'weft/v1', kind: 'User', metadata: { name }, spec: { roles } });
      return (await issueToken(store, { kind: 'user', subject: name })).token;
    },
    async createService(name, spec) {
      const r = await call('POST', `/api/v1/projects/${PROJECT}/services`, { body: { apiVersion: 'weft/v1', kind: 'Service', metadata: { name }, spec: { resources: { cpu: '1' }, ...spec } } });
      if (r.status !== 201) throw new Error(`creating service ${name}: ${r.status} ${r.text}`);
      return r.body as Resource;
    },
    async close() {
      await controlPlane?.stop();
      await server.close();
      await gateway.stop();
      await store.close();
    },
  };
}

/** Writes an Allocation for replica `replica` of `svc` as the scheduler and the agent would. */
export async function writeReplica(store: Store, svc: Resource, replica: number, status: Record<string, unknown>, node = NODE): Promise<Resource> {
  const name = `${svc.metadata.name}-${replica}`;
  return store.create({
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: { name, project: svc.metadata.project, labels: { 'weft.dev/workload-kind': 'Service', 'weft.dev/workload': svc.metadata.name } },
    spec: { workload: { kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid }, replica, attempt: svc.metadata.generation, node, gpus: [], cpuMilli: 1000, memoryBytes: 0 },
    status,
  });
}

export async function patchStatus(store: Store, project: string, name: string, patch: Record<string, unknown>): Promise<void> {
  for (;;) {
    const a = await store.get({ kind: 'Allocation', project, name });
    if (!a) return;
    try {
      await store.update({ ...a, status: { ...(a.status ?? {}), ...patch } }, { resourceVersion: a.metadata.resourceVersion });
      return;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
}

export async function until<T>(what: string | (() => string), fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
