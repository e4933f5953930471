// Contract: the fleet summary counts GPUs from Nodes and their active allocations' GPU weight
// (whole GPUs, shares, MIG instances by compute slices; terminal allocations release), Nodes by state, and workloads by kind, project, phase
// and queue, narrowed to the projects asked for. The store is shared with other contract tests,
// so every figure checked here is under a site or project no other test uses.
import { describe, expect, it } from 'vitest';
import type { ResourceInput } from '../../model/metadata.js';
import type { FleetSummary } from '../../model/summary.js';
import { WORKLOAD_KIND_NAMES } from '../../model/kind-names.js';
import { uniq, type Ctx } from './harness.js';
import { alloc } from './ledger.js';

const KINDS = WORKLOAD_KIND_NAMES;

function node(name: string, site: string, models: string[], extra: { unschedulable?: boolean; state?: string; draining?: boolean } = {}): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name, ...(extra.draining ? { annotations: { 'weft.dev/drain-requested': 'now' } } : {}) },
    spec: { site, gpus: models.map((model, index) => ({ index, model, memory: '80Gi' })), ...(extra.unschedulable ? { unschedulable: true } : {}) },
    ...(extra.state ? { status: { state: extra.state } } : {}),
  };
}

function job(project: string, name: string, queue?: string, phase?: string): ResourceInput {
  return { apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project }, spec: queue ? { queue } : {}, ...(phase ? { status: { phase } } : {}) };
}

const gpusAt = (s: FleetSummary, site: string) => s.gpus.filter((g) => g.site === site).sort((a, b) => a.model.localeCompare(b.model));
const nodeCount = (s: FleetSummary, state: string, cordoned = false, draining = false) =>
  s.nodes.filter((n) => n.state === state && n.cordoned === cordoned && n.draining === draining).reduce((t, n) => t + n.count, 0);

export function summaryTests(get: () => Ctx): void {
  describe('fleet summary', () => {
    it('counts GPUs by model and site: whole, shared, MIG and released', async () => {
      const { store } = get();
      const site = uniq('site');
      const p = uniq('p');
      const a = uniq('node');
      const b = uniq('node');
      await store.create(node(a, site, ['H100-80GB', 'H100-80GB', 'H100-80GB', 'H100-80GB']));
      await store.create(node(b, site, ['H100-80GB', 'H100-80GB', 'L4']));
      await store.create(alloc(p, 'whole', a, [{ index: 0 }, { index: 1 }]));
      await store.create(alloc(p, 'share', a, [{ index: 2, milli: 250 }]));
      // A 3g instance weighs its 3 of 7 compute slices (model/allocation-rules.ts), not 4 of 8 memory slices.
      await store.create(alloc(p, 'mig', b, [{ index: 0, milli: 428, mig: { profile: '3g.40gb', start: 0, size: 4 } }]));
      await store.create(alloc(p, 'done', b, [{ index: 1 }], 'Succeeded'));

      const s = await store.summary({ workloadKinds: KINDS });
      expect(gpusAt(s, site)).toEqual([
        { model: 'H100-80GB', site, total: 6, allocated: 2.678, fragmented: 1.322, free: 2 },
        { model: 'L4', site, total: 1, allocated: 0, fragmented: 0, free: 1 },
      ]);
      expect(BigInt(s.resourceVersion)).toBe(BigInt(await store.currentResourceVersion()));

      // Ending an allocation gives its GPUs back.
      const whole = await store.get({ kind: 'Allocation', project: p, name: 'whole' });
      await store.update({ ...whole!, status: { phase: 'Failed' } });
      expect(gpusAt(await store.summary({ workloadKinds: KINDS }), site)[0]).toMatchObject({ allocated: 0.678, free: 4 });
    });

    it('counts the GPUs each project holds, a MIG instance by its compute share', async () => {
      const { store } = get();
      const p = uniq('p');
      const other = uniq('p');
      const n = uniq('node');
      await store.create(node(n, uniq('site'), Array(8).fill('H100-80GB')));
      await store.create(job(p, 'train', 'research'));
      await store.create(job(p, 'adhoc'));
      const forJob = (a: ResourceInput, name: string): ResourceInput => ({ ...a, spec: { ...a.spec, workload: { kind: 'Job', name, uid: '00000000-0000-0000-0000-000000000000' } } });
      await store.create(forJob(alloc(p, 'train-0', n, [{ index: 0 }, { index: 1 }]), 'train'));
      await store.create(forJob(alloc(p, 'train-1', n, [{ index: 2, milli: 250 }]), 'train'));
      // A MIG instance counts its compute share (3 of 7 slices), as quotas do.
      await store.create(forJob(alloc(p, 'adhoc-0', n, [{ index: 3, milli: 428, mig: { profile: '3g.40gb', start: 0, size: 4 } }]), 'adhoc'));
      await store.create(forJob(alloc(p, 'old-0', n, [{ index: 4 }], 'Succeeded'), 'train'));
      await store.create(forJob(alloc(other, 'x-0', n, [{ index: 5 }]), 'x'));

      const s = await store.summary({ workloadKinds: KINDS, projects: [p] });
      expect(s.held).toEqual([{ project: p, model: 'H100-80GB', gpus: 2.678 }]);
      const all = await store.summary({ workloadKinds: KINDS });
      expect(all.held.filter((h) => h.project === other)).toEqual([{ project: other, model: 'H100-80GB', gpus: 1 }]);
    });

    it('counts Nodes by state, cordon and drain', async () => {
      const { store } = get();
      const before = await store.summary({ workloadKinds: KINDS });
      const site = uniq('site');
      await store.create(node(uniq('node'), site, [], { state: 'Ready' }));
      await store.create(node(uniq('node'), site, [], { state: 'Ready', unschedulable: true }));
      await store.create(node(uniq('node'), site, [], { state: 'NotReady', draining: true }));
      await store.create(node(uniq('node'), site, []));
      const after = await store.summary({ workloadKinds: KINDS });
      expect(nodeCount(after, 'Ready') - nodeCount(before, 'Ready')).toBe(1);
      expect(nodeCount(after, 'Ready', true) - nodeCount(before, 'Ready', true)).toBe(1);
      expect(nodeCount(after, 'NotReady', false, true) - nodeCount(before, 'NotReady', false, true)).toBe(1);
      expect(nodeCount(after, 'Unknown') - nodeCount(before, 'Unknown')).toBe(1);
    });

    it('counts workloads by kind, project, phase and queue, only in the projects asked for', async () => {
      const { store } = get();
      const mine = uniq('p');
      const theirs = uniq('p');
      await store.create(job(mine, 'a', 'q1'));
      await store.create(job(mine, 'b', 'q1'));
      await store.create(job(mine, 'c', undefined, 'Running'));
      await store.create(job(theirs, 'd', 'q2'));
      await store.create({ apiVersion: 'weft/v1', kind: 'Queue', metadata: { name: 'q1', project: mine }, spec: {} });

      const scoped = await store.summary({ workloadKinds: KINDS, projects: [mine] });
      expect(scoped.workloads).toEqual([
        { kind: 'Job', project: mine, phase: 'Pending', queue: 'q1', count: 2 },
        { kind: 'Job', project: mine, phase: 'Running', queue: '', count: 1 },
      ]);
      const none = await store.summary({ workloadKinds: KINDS, projects: [] });
      expect(none.workloads).toEqual([]);
      const all = await store.summary({ workloadKinds: KINDS });
      expect(all.workloads.filter((w) => w.project === theirs)).toEqual([{ kind: 'Job', project: theirs, phase: 'Pending', queue: 'q2', count: 1 }]);
      // Kinds not asked for are not counted.
      expect((await store.summary({ workloadKinds: ['Service'], projects: [mine] })).workloads).toEqual([]);
    });
  });
}
