import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../model/errors.js';
import type { ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { allocationName, commitCycle, type Bind } from './placement-commit.js';
import { jobAdapter } from './workloads/job-adapter.js';

const P = 'p';
const alloc = (name: string, job: { name: string; uid: string }, gpu: number): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Allocation',
  metadata: { name, project: P },
  spec: { workload: { kind: 'Job', name: job.name, uid: job.uid }, replica: 0, attempt: 0, node: 'n1', gpus: [{ index: gpu, model: 'H100-80GB', milli: 1000 }], cpuMilli: 0, memoryBytes: 0 },
});

describe('committing a cycle', () => {
  let store: Store;
  afterEach(async () => store?.close());

  it('skips a workload that changed since the loop read it, writing nothing for it', async () => {
    store = await openStore();
    const read = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'j', project: P }, spec: { replicas: 1, resources: {} } });
    await store.update({ ...read, spec: { ...read.spec, replicas: 1, suspend: true } });
    const d = jobAdapter.demand(read, [], new Date())!;
    const bind: Bind = { demand: d, adapter: jobAdapter, allocations: [alloc('j-a0-r0', { name: 'j', uid: read.metadata.uid }, 0)] };
    const r = await store.transaction((tx) => commitCycle(tx, [bind], [], new Date()));
    expect(r).toMatchObject({ skipped: 1, bound: 0, allocations: [] });
    expect((await store.list('Allocation')).items).toEqual([]);
  });

  it('a double booking the loop did not see rolls back the whole cycle, Job status included', async () => {
    store = await openStore();
    const a = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'a', project: P }, spec: { replicas: 1, resources: {} } });
    const b = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'b', project: P }, spec: { replicas: 1, resources: {} } });
    await store.create(alloc('intruder', { name: 'x', uid: '00000000-0000-0000-0000-000000000000' }, 3));
    const binds: Bind[] = [
      { demand: jobAdapter.demand(a, [], new Date())!, adapter: jobAdapter, allocations: [alloc('a-a0-r0', { name: 'a', uid: a.metadata.uid }, 2)] },
      { demand: jobAdapter.demand(b, [], new Date())!, adapter: jobAdapter, allocations: [alloc('b-a0-r0', { name: 'b', uid: b.metadata.uid }, 3)] },
    ];
    await expect(store.transaction((tx) => commitCycle(tx, binds, [], new Date()))).rejects.toBeInstanceOf(ConflictError);
    expect((await store.list('Allocation')).items.map((x) => x.metadata.name)).toEqual(['intruder']);
    expect((await store.get({ kind: 'Job', project: P, name: 'a' }))!.status).toBeUndefined();
  });

  it("refuses a placement outside the project's residency as committed, binding the rest of the cycle", async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 'fr-1' }, spec: { country: 'FR' } });
    await store.create({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 'de-1' }, spec: { country: 'DE' } });
    for (const [name, site] of [['n1', 'fr-1'], ['n2', 'de-1']]) {
      await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name }, spec: { site, cpu: '8', memory: '64Gi' } });
    }
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    const a = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'a', project: P }, spec: { replicas: 1, resources: {} } });
    const b = await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'b', project: P }, spec: { replicas: 1, resources: {} } });
    const onNode = (x: ResourceInput, node: string): ResourceInput => ({ ...x, spec: { ...x.spec, node } });
    const binds: Bind[] = [
      { demand: jobAdapter.demand(a, [], new Date())!, adapter: jobAdapter, allocations: [onNode(alloc('a-a0-r0', { name: 'a', uid: a.metadata.uid }, 0), 'n1')] },
      { demand: jobAdapter.demand(b, [], new Date())!, adapter: jobAdapter, allocations: [onNode(alloc('b-a0-r0', { name: 'b', uid: b.metadata.uid }, 0), 'n2')] },
    ];
    // The cycle decided while the project could run anywhere; it is restricted to Germany before the commit.
    const project = (await store.get({ kind: 'Project', name: P }))!;
    await store.update({ ...project, spec: { allowedCountries: ['DE'] } });
    const r = await store.transaction((tx) => commitCycle(tx, binds, [], new Date()));
    expect(r).toMatchObject({ bound: 1, skipped: 1 });
    expect(r.refused).toEqual(['Job p/a: node n1 is not in a site data residency allows (de-1: project p: countries DE)']);
    expect((await store.list('Allocation')).items.map((x) => x.metadata.name)).toEqual(['b-a0-r0']);
    expect((await store.get({ kind: 'Job', project: P, name: 'a' }))!.status).toBeUndefined();
  });

  it('names allocations <workload>-a<attempt>-r<replica>, shortened to a valid name', () => {
    expect(allocationName('train', 2, 7)).toBe('train-a2-r7');
    const long = allocationName('x'.repeat(63), 12, 345);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^x+-[0-9a-z]+-a12-r345$/);
    expect(allocationName('x'.repeat(63), 12, 345)).toBe(long);
  });
});
