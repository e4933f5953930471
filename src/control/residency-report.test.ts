// The residency report on a replayed scenario: three jobs on the real control plane and a manual
// clock, one in France; the project is then restricted to Germany. The report's GPU-seconds by
// node, site and country must agree with the raw usage ledger (open and close rows summed here
// independently) and with the scenario's own arithmetic, and flag exactly the French job.
import { describe, expect, it } from 'vitest';
import type { ResourceInput } from '../model/metadata.js';
import { residencyReport } from './residency-report.js';
import { h100Node, livePlanes, until } from './testing/live-plane.js';

const P = 'clinic';
const startPlane = livePlanes();
const S = 1000;

const job = (name: string, site: string, gpu: Record<string, unknown>): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name, project: P },
  spec: { replicas: 1, placement: { sites: [site] }, isolation: 'share' in gpu ? 'shared' : 'dedicated', resources: { cpu: '1', gpu } },
});

describe('residency report', () => {
  it('agrees with the usage ledger on a replayed scenario and flags the work outside', async () => {
    const { store, clock } = await startPlane({
      project: P,
      seed: async (s) => {
        for (const [site, country] of [['de-1', 'DE'], ['fr-1', 'FR']]) {
          await s.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: site! }, spec: { country } });
          const n = h100Node(`${country!.toLowerCase()}-a`);
          await s.create({ ...n, spec: { ...n.spec, site } });
        }
      },
    });
    const t0 = clock.now().getTime();
    await store.create(job('a', 'fr-1', { count: 8 }));
    await store.create(job('b', 'de-1', { count: 4 }));
    await store.create(job('c', 'de-1', { share: 0.25 }));
    const phase = async (name: string) => (await store.get({ kind: 'Job', project: P, name }))?.status?.phase;
    for (const n of ['a', 'b', 'c']) await until(`${n} running`, async () => ((await phase(n)) === 'Running' ? true : undefined));

    const stop = async (name: string, to: string) => {
      const j = (await store.get({ kind: 'Job', project: P, name }))!;
      await store.update({ ...j, spec: { ...j.spec, suspend: true } });
      await until(`${name} ${to}`, async () => {
        const allocs = (await store.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items;
        return allocs.length > 0 && allocs.every((x) => x.status?.phase === to) ? true : undefined;
      });
    };
    clock.advance(600 * S);
    await stop('a', 'Stopped');
    // From here on the project may only use Germany: a's 600 s in France are a breach.
    const project = (await store.get({ kind: 'Project', name: P }))!;
    await store.update({ ...project, spec: { allowedCountries: ['DE'] } });
    clock.advance(300 * S);
    await stop('b', 'Stopped');
    clock.advance(100 * S);
    const now = clock.now();

    const report = await residencyReport(store, P, new Date(t0 - 3600 * S), now, now);

    // The scenario's arithmetic: a 8 GPUs × 600 s in FR; b 4 × 900 s and c 0.25 × 1000 s (still running) in DE.
    expect(report.gpuSeconds).toBe(8650);
    expect(report.byCountry).toEqual([{ country: 'DE', gpuSeconds: 3850 }, { country: 'FR', gpuSeconds: 4800 }]);
    expect(report.bySite).toEqual([{ site: 'de-1', country: 'DE', gpuSeconds: 3850 }, { site: 'fr-1', country: 'FR', gpuSeconds: 4800 }]);
    expect(report.residency).toEqual({ sites: ['de-1'], rule: `project ${P}: countries DE` });
    expect(report.breaches).toHaveLength(1);
    expect(report.breaches[0]).toMatchObject({ workload: 'Job/a', node: 'fr-a', site: 'fr-1', country: 'FR', open: false, gpuSeconds: 4800 });
    expect(Date.parse(report.breaches[0]!.end) - Date.parse(report.breaches[0]!.start)).toBe(600 * S);

    // The ledger, read raw: every open row closed by its close row, or running until now.
    const rows = await store.usage.records({ project: P });
    const byNode = new Map<string, number>();
    const uidNode = new Map((await store.usage.intervals({ from: new Date(t0 - 3600 * S), to: now, now, project: P })).map((iv) => [iv.allocationUid, iv.node]));
    for (const open of rows.filter((r) => r.event === 'open' && /^(gpu|share):/.test(r.resourceClass))) {
      const close = rows.find((r) => r.event === 'close' && r.allocationUid === open.allocationUid && r.resourceClass === open.resourceClass);
      const end = close ? Date.parse(close.endedAt!) : now.getTime();
      const node = uidNode.get(open.allocationUid)!;
      byNode.set(node, (byNode.get(node) ?? 0) + (open.quantity / 1000) * ((end - Date.parse(open.startedAt)) / S));
    }
    expect(report.byNode.map((n) => [n.node, n.gpuSeconds])).toEqual([...byNode].sort());
  });
});
