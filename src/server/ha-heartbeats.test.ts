// Node liveness across a leader change on one PostgreSQL database. Heartbeats live in the
// database, so those an agent sent to a follower count once it leads; and a server that takes
// over gives every node a fresh grace (as kube-controller-manager does): a leader that hung
// while agents could not reach it leaves heartbeats older than the deadline, and the new leader
// must not declare those nodes NotReady at once, nor spare one that stays silent past the grace.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LEADER_NAME } from '../control/control-plane.js';
import { until } from '../control/testing/until.js';
import { openStore } from '../store/index.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../store/testing/pg-database.js';
import { loadServerConfig } from './config.js';
import { startWeftServer, type RunningWeft } from './start.js';

const NOT_READY_MS = 3000;
// The servers' key and audit checkpoints go to a scratch directory, not beside the default
// (relative) data directory in the working tree.
const auditDir = mkdtempSync(join(tmpdir(), 'weft-ha-audit-'));
afterAll(() => rmSync(auditDir, { recursive: true, force: true }));

async function call(server: RunningWeft, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!TEST_DATABASE_URL)('node heartbeats across a leader change (PostgreSQL)', () => {
  let db: TestDatabase | undefined;
  const running: RunningWeft[] = [];
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });
  afterAll(async () => db?.drop());

  it('the new leader judges nodes by the shared heartbeats, after a grace from its takeover', { timeout: 90_000 }, async () => {
    db = await createTestDatabase('weft_habeat');
    // A leader that holds leadership and does nothing: hung, as far as the nodes are concerned.
    const hung = await openStore({ url: db.url, poolSize: 2 });
    try {
      const lead = await hung.acquireLeadership(LEADER_NAME, new AbortController().signal);
      const b = await startWeftServer(
        loadServerConfig({ command: 'server', env: {}, flags: { port: '0', databaseUrl: db.url, auditDir, logLevel: 'silent', nodeNotReadyAfter: `${NOT_READY_MS}ms`, nodeLostAfter: '60s' } }),
      );
      running.push(b);
      const admin = b.bootstrapToken!;
      const state = async (node: string) => (await call(b, admin, 'GET', `/nodes/${node}`)).body.status?.state as string | undefined;
      const tokens: Record<string, string> = {};
      for (const name of ['live', 'back', 'dead']) {
        const r = await call(b, admin, 'POST', '/nodes/register', { name, spec: { cpu: '8', memory: '32Gi' }, status: { address: '127.0.0.1' } });
        expect(r.status).toBe(201);
        tokens[name] = r.body.token;
      }
      const beat = async (name: string) => expect((await call(b, tokens[name]!, 'POST', `/nodes/${name}/heartbeat`)).status).toBe(200);
      // "live" beats through the follower all along; "back" could reach no server meanwhile and
      // resumes once the new leader serves; "dead" never beats again.
      const beating = new Set(['live']);
      let stop = false;
      const beats = (async () => {
        while (!stop) {
          for (const n of beating) await beat(n);
          await sleep(250);
        }
      })();
      try {
        await sleep(2 * NOT_READY_MS);
        // Another process sees the follower's heartbeats: they are in the database.
        expect(Date.parse((await hung.heartbeats.get('live'))!)).toBeGreaterThan(Date.now() - NOT_READY_MS);
        await lead.release();
        await b.leading;
        const tookOver = performance.now();
        beating.add('back');
        await sleep(NOT_READY_MS / 3);
        expect(await state('back')).toBe('Ready');
        expect(await state('dead')).toBe('Ready');
        // Past the grace: live and back stay Ready, dead goes NotReady.
        while (performance.now() - tookOver < 2 * NOT_READY_MS + 1000) {
          expect(await state('live')).toBe('Ready');
          expect(await state('back')).toBe('Ready');
          await sleep(250);
        }
        expect(await state('dead')).toBe('NotReady');
      } finally {
        stop = true;
        await beats;
      }
      // And a node that falls silent under the new leader is noticed.
      await until('the new leader marks the node that stopped NotReady', async () => ((await state('live')) === 'NotReady' ? true : undefined), 30_000);
    } finally {
      await hung.close();
    }
  });
});
