// Usage survives kill -9 exactly: the real server runs a job on a simulated node and is killed
// with SIGKILL while the allocation runs and again right after a job finished. After restarts,
// every finished allocation has exactly one open and one close record per resource class, each
// spanning exactly startedAt → finishedAt of its status, and the usage API agrees to the ms.
import { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { crashSandboxes, type Obj } from './helpers.js';

const P = 'metered';

const openSandbox = crashSandboxes();

describe('usage under kill -9', () => {
  it('keeps usage exact across SIGKILL while running and after finishing', { timeout: 180_000 }, async () => {
    const { dataDir, server } = openSandbox();
    const { start, kill, call } = server;
    const must = async (path: string, body: unknown): Promise<void> => {
      const r = await call('POST', path, body);
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const allocationsOf = async (job: string): Promise<Obj[]> =>
      ((await call('GET', `/api/v1/projects/${P}/allocations`)).body.items as Obj[]).filter((a) => (a.spec.workload as { name: string }).name === job);
    const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> => {
      const deadline = performance.now() + ms;
      while (!(await ok())) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const jobPhase = async (job: string): Promise<string> => String((await call('GET', `/api/v1/projects/${P}/jobs/${job}`)).body?.status?.phase);
    const jobSpec = (name: string, duration: string) => ({
      kind: 'Job',
      metadata: { name, annotations: { 'weft.dev/sim-duration': duration } },
      spec: { replicas: 1, resources: { cpu: '2', memory: '4Gi', gpu: { count: 1 } } },
    });

    try {
      await start();
      await must('/api/v1/projects', { kind: 'Project', metadata: { name: P }, spec: {} });
      await must('/api/v1/nodes', {
        kind: 'Node',
        metadata: { name: 'sim-0' },
        spec: { cpu: '64', memory: '512Gi', provider: 'sim', site: 'lab', gpus: [0, 1].map((g) => ({ index: g, uuid: `GPU-0-${g}`, model: 'H100-80GB' })) },
      });

      // 1. Killed while the allocation runs.
      await must(`/api/v1/projects/${P}/jobs`, jobSpec('long', '3s'));
      await waitFor('long to run', async () => (await allocationsOf('long')).some((a) => a.status?.phase === 'Running'));
      await kill();
      await start();
      await waitFor('long to finish', async () => (await jobPhase('long')) === 'Succeeded');

      // 2. Killed right after a job finished.
      await must(`/api/v1/projects/${P}/jobs`, jobSpec('short', '300ms'));
      await waitFor('short to finish', async () => (await jobPhase('short')) === 'Succeeded');
      await kill();
      await start();

      const finished = [...(await allocationsOf('long')), ...(await allocationsOf('short'))].filter((a) => a.status?.phase === 'Succeeded');
      expect(finished.length).toBe(2);
      const spans = new Map(finished.map((a) => [a.metadata.uid, Date.parse(String(a.status!.finishedAt)) - Date.parse(String(a.status!.startedAt))]));
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const usage = await call('GET', `/api/v1/usage?project=${P}&by=workload&from=${from}`);
      const gpuHours = (job: string): number => usage.body.rows.find((r: { key: string }) => r.key === `${P}/job/${job}`).gpuHours;
      for (const a of finished) {
        const job = (a.spec.workload as { name: string }).name;
        // The API rounds GPU-hours to 6 decimals (half a micro-hour either way); the exact
        // milliseconds are checked against the database below.
        expect(Math.abs(gpuHours(job) - spans.get(a.metadata.uid)! / 3_600_000), job).toBeLessThanOrEqual(0.5e-6 + 1e-12);
      }
      await kill();

      // Straight from the database: one open and one close per class, each exactly the status span.
      const db = await PGlite.create(dataDir);
      try {
        const rows = await db.query<{ uid: string; resource_class: string; event: string; ms: number | null; n: number }>(
          `SELECT allocation_uid::text AS uid, resource_class, event, count(*)::int AS n,
                  (extract(epoch FROM max(ended_at) - max(started_at)) * 1000)::float8 AS ms
             FROM usage_records GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        );
        for (const [uid, span] of spans) {
          const mine = rows.rows.filter((r) => r.uid === uid);
          expect(mine.map((r) => [r.resource_class, r.event, r.n])).toEqual([
            ['cpu', 'close', 1],
            ['cpu', 'open', 1],
            ['gpu:H100-80GB', 'close', 1],
            ['gpu:H100-80GB', 'open', 1],
            ['memory', 'close', 1],
            ['memory', 'open', 1],
          ]);
          for (const r of mine.filter((x) => x.event === 'close')) expect(Math.round(r.ms!)).toBe(span);
        }
      } finally {
        await db.close();
      }
    } finally {
      await kill();
    }
  });
});
