// A whole server process in-process: it listens before its control plane has started (/readyz
// says why it is not ready), it schedules with the policy it was configured with, and on a
// shared PostgreSQL database only the leader writes: a follower serves the API and runs no
// controller and no provider.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../api/server.js';
import { LEADER_NAME } from '../control/control-plane.js';
import { until } from '../control/testing/until.js';
import type { Resource } from '../model/metadata.js';
import { registerDemoFleet } from '../providers/sim/index.js';
import { openStore } from '../store/index.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../store/testing/pg-database.js';
import type { Store } from '../store/types.js';
import { loadServerConfig, type ServerConfig } from './config.js';
import { startWeftServer, type RunningWeft } from './start.js';

// The server key and audit checkpoints go to a scratch directory: a server on PostgreSQL would
// otherwise keep them beside its (default, relative) data directory, in the working tree.
const auditDir = mkdtempSync(join(tmpdir(), 'weft-start-audit-'));
afterAll(() => rmSync(auditDir, { recursive: true, force: true }));

function config(flags: Record<string, string>, command: 'up' | 'server' = 'server'): ServerConfig {
  return loadServerConfig({ command, env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent', auditDir, ...flags } });
}

async function api(server: RunningWeft, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${server.bootstrapToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const running: RunningWeft[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(cfg: ServerConfig): Promise<RunningWeft> {
  const s = await startWeftServer(cfg);
  running.push(s);
  return s;
}

describe('readiness while starting', () => {
  let store: Store | undefined;
  afterAll(async () => store?.close());

  it('/readyz is 503 with the reason while the process is starting, 200 once it is not', async () => {
    store = await openStore();
    let waiting: string | undefined = 'the control plane is starting';
    const app = createServer({ store, notReady: () => waiting });
    try {
      const before = await app.inject({ method: 'GET', url: '/readyz' });
      expect(before.statusCode).toBe(503);
      expect(before.headers['content-type']).toContain('application/problem+json');
      expect(before.json().detail).toBe('the control plane is starting');
      // Liveness and the API do not wait for readiness.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      waiting = undefined;
      const after = await app.inject({ method: 'GET', url: '/readyz' });
      expect(after.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('a started server is ready', async () => {
    const s = await start(config({}));
    const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('placement policy', () => {
  const node = (name: string) => ({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name }, spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) } });
  const job = (name: string) => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name }, spec: { replicas: 1, resources: { cpu: '1', memory: '1Gi', gpu: { count: 1 } } } });

  /** Places two one-GPU jobs one after the other on two empty nodes; true when they share a node. */
  async function shareANode(policy: string): Promise<boolean> {
    const s = await start(config({ policy }));
    for (const n of ['n1', 'n2']) expect((await api(s, 'POST', '/nodes', node(n))).status).toBe(201);
    expect((await api(s, 'POST', '/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} })).status).toBe(201);
    const placed: string[] = [];
    for (const name of ['first', 'second']) {
      expect((await api(s, 'POST', '/projects/p/jobs', job(name))).status).toBe(201);
      placed.push(
        await until(`${name} placed with ${policy}`, async () => {
          const allocs = (await api(s, 'GET', '/projects/p/allocations')).body.items as Resource[];
          return allocs.map((a) => a.spec as { node: string; workload: { name: string } }).find((a) => a.workload.name === name)?.node;
        }),
      );
    }
    await s.stop();
    running.splice(running.indexOf(s), 1);
    return placed[0] === placed[1];
  }

  it('schedules with the configured policy', async () => {
    expect(await shareANode('binpack')).toBe(true);
    expect(await shareANode('spread')).toBe(false);
  });
});

describe.skipIf(!TEST_DATABASE_URL)('followers on PostgreSQL', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => db?.drop());

  it('serve the API but run no provider or controller until they lead', async () => {
    db = await createTestDatabase('weft_follower');
    const { url } = db;
    // Another process leads (it holds the leadership and does nothing with it).
    const holder = await openStore({ url, poolSize: 2 });
    try {
      const lead = await holder.acquireLeadership(LEADER_NAME, new AbortController().signal);
      await registerDemoFleet(holder, { h100Nodes: 1, a100MigNodes: 0 });
      const follower = await start(config({ databaseUrl: url }));
      // It answers the API…
      expect((await api(follower, 'GET', '/nodes')).body.items).toHaveLength(1);
      const { body: created } = await api(follower, 'POST', '/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} });
      expect(created.metadata.name).toBe('p');
      const j = (await api(follower, 'POST', '/projects/p/jobs', { apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'j' }, spec: { replicas: 1, resources: { cpu: '1', memory: '1Gi', gpu: { count: 1 } } } })).body as Resource;
      expect(j.metadata.uid).toBeTruthy();
      // …but neither schedules the job nor plays the simulated node while another process leads.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await api(follower, 'GET', '/projects/p/allocations')).body.items).toEqual([]);
      expect((await api(follower, 'GET', '/nodes/fra1-h100-01')).body.status?.lastHeartbeatTime).toBeUndefined();
      // Once the leader goes, it takes over: the job is placed and "runs" on the simulated node.
      await lead.release();
      await follower.leading;
      await until('the job running', async () => ((await api(follower, 'GET', '/projects/p/jobs/j')).body.status?.phase === 'Running' ? true : undefined));
      expect((await api(follower, 'GET', '/nodes/fra1-h100-01')).body.status).toMatchObject({ state: 'Ready' });
    } finally {
      await holder.close();
    }
  });
});
