// Crash safety (issue 6, item 6): the real server process churns 200 jobs on a simulated fleet
// while it is killed with SIGKILL at random points and restarted. Afterwards: every job finished,
// no allocation was lost or duplicated, the GPU ledger matches the allocations exactly, and
// nothing is left charged to the project's quota. Loopback only; bounded in time.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/scheduler/rng.js';
import { crashSandboxes, type Obj } from './helpers.js';

const JOBS = 200;
const NODES = 12;
const KILLS = 4;
const P = 'crash';

const openSandbox = crashSandboxes();

describe('crash safety', () => {
  it('kill -9 while 200 jobs churn: nothing lost, nothing doubled, nothing stuck, quotas add up', { timeout: 120_000 }, async () => {
    const { dataDir, server } = openSandbox();
    const rng = seededRng(6);
    const { start, kill, call } = server;
    /** Retries across restarts; a create that committed just before a kill reads back as 409. */
    const ensure = async (path: string, body: unknown): Promise<void> => {
      for (;;) {
        try {
          const r = await call('POST', path, body);
          if (r.status === 201 || r.status === 409) return;
          throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
        } catch (e) {
          if (!(e instanceof TypeError)) throw e; // fetch failed: the server is down, retry
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };

    await start();
    expect(server.token).toMatch(/^weft_/);
    await ensure('/api/v1/projects', { kind: 'Project', metadata: { name: P }, spec: { quota: { gpu: { '*': 10_000 } } } });
    for (let i = 0; i < NODES; i++) {
      await ensure('/api/v1/nodes', {
        kind: 'Node',
        metadata: { name: `sim-${i}` },
        spec: { cpu: '128', memory: '1Ti', provider: 'sim', rack: `r${i % 3}`, gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, uuid: `GPU-${i}-${g}`, model: 'H100-80GB' })) },
      });
    }

    // Submit in waves of 10; kill the server at random points while work is queued, bound and running.
    const killAt = new Set<number>();
    while (killAt.size < KILLS) killAt.add(2 + Math.floor(rng.nextFloat() * (JOBS / 10 - 4)));
    const submitted: string[] = [];
    for (let wave = 0; wave < JOBS / 10; wave++) {
      const sent: Promise<void>[] = [];
      for (let i = wave * 10; i < wave * 10 + 10; i++) {
        const name = `j${String(i).padStart(3, '0')}`;
        const gpus = [1, 1, 2, 4, 8][Math.floor(rng.nextFloat() * 5)]!;
        const replicas = rng.nextFloat() < 0.2 ? 2 : 1;
        const job = {
          kind: 'Job',
          metadata: { name, annotations: { 'weft.dev/sim-duration': `${100 + Math.floor(rng.nextFloat() * 400)}ms` } },
          spec: { replicas, resources: { cpu: '4', memory: '16Gi', gpu: { count: gpus } } },
        };
        sent.push(ensure(`/api/v1/projects/${P}/jobs`, job));
        submitted.push(name);
      }
      if (killAt.has(wave)) {
        await new Promise((r) => setTimeout(r, Math.floor(rng.nextFloat() * 300)));
        await kill();
        await start();
      }
      await Promise.all(sent);
    }

    // Every job must reach a terminal phase.
    const deadline = performance.now() + 60_000;
    let jobs: Obj[];
    for (;;) {
      jobs = (await call('GET', `/api/v1/projects/${P}/jobs`)).body.items as Obj[];
      const open = jobs.filter((j) => !['Succeeded', 'Failed'].includes(String(j.status?.phase)));
      if (open.length === 0 && jobs.length === JOBS) break;
      if (performance.now() > deadline) {
        throw new Error(`stuck: ${open.length} jobs not finished, e.g. ${JSON.stringify(open.slice(0, 3).map((j) => [j.metadata.name, j.status]))}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(jobs.map((j) => j.metadata.name).sort()).toEqual(submitted);

    const allocs = (await call('GET', `/api/v1/projects/${P}/allocations`)).body.items as Obj[];
    const byJob = new Map<string, Obj[]>();
    for (const a of allocs) {
      const w = (a.spec.workload as { name: string }).name;
      byJob.set(w, [...(byJob.get(w) ?? []), a]);
    }
    for (const j of jobs) {
      const replicas = j.spec.replicas as number;
      const mine = byJob.get(j.metadata.name) ?? [];
      const attempt = (j.status?.attempt as number | undefined) ?? 0;
      const current = mine.filter((a) => a.spec.attempt === attempt);
      // Not lost: the final attempt has exactly one allocation per replica; not duplicated: none twice.
      expect(current.map((a) => a.spec.replica).sort(), j.metadata.name).toEqual(Array.from({ length: replicas }, (_, r) => r));
      if (j.status?.phase === 'Succeeded') for (const a of current) expect(a.status?.phase, a.metadata.name).toBe('Succeeded');
    }
    // Nothing holds GPUs any more.
    expect(allocs.filter((a) => ['Bound', 'Running', 'Stopping', undefined].includes(a.status?.phase as string | undefined))).toEqual([]);
    // Quota: no unfinished workload is charged to the project any more.
    expect(jobs.filter((j) => !['Succeeded', 'Failed'].includes(String(j.status?.phase)))).toHaveLength(0);

    // The ledger, read straight from the database once the server is gone, agrees: nothing held.
    await kill();
    const db = await PGlite.create(dataDir);
    try {
      const usage = await db.query<{ milli: number; slices: number }>('SELECT coalesce(sum(milli_used), 0)::int AS milli, coalesce(sum(mig_slices), 0)::int AS slices FROM gpu_usage');
      expect(usage.rows[0]).toEqual({ milli: 0, slices: 0 });
      const held = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM gpu_slices');
      expect(held.rows[0]!.n).toBe(0);
    } finally {
      await db.close();
    }
  });
});
