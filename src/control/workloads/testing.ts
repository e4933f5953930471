// Test fixtures for the workload controllers: a real in-memory store on a manual clock, plus the
// two actors the controllers react to, played by hand — the scheduling loop (binds what an
// adapter demands, exactly as docs/lifecycle.md describes) and the provider (moves allocations
// through their phases and honours stop requests).
import type { AllocationPhase, AllocationSpec } from '../../model/kinds/allocation.js';
import type { Resource } from '../../model/metadata.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { ManualClock } from '../clock.js';
import { allocationName } from '../placement-commit.js';
import { isActive, stopRequested } from './allocations.js';
import { createWorkloadControllers, type WorkloadControllers } from './index.js';
import type { WorkloadAdapter, WorkloadKind } from './types.js';

export const PROJECT = 'team';

export interface Kit extends WorkloadControllers {
  store: Store;
  clock: ManualClock;
  /** Runs every controller until nothing changes. */
  settle(): Promise<void>;
  create(kind: WorkloadKind, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<Resource>;
  get(kind: string, name: string): Promise<Resource>;
  patchSpec(kind: WorkloadKind, name: string, patch: Record<string, unknown>): Promise<Resource>;
  /** Plays the scheduling loop for one workload: binds what its adapter demands now (GPU i on node n-i…). */
  bind(kind: WorkloadKind, name: string): Promise<Resource[]>;
  /** Plays the provider: sets an allocation's phase. */
  setPhase(alloc: string, phase: AllocationPhase, extra?: Record<string, unknown>): Promise<void>;
  /** Plays the provider: every active allocation with a stop request ends (Stopped, or Preempted). */
  honourStops(): Promise<string[]>;
  allocations(workload: string): Promise<Resource[]>;
  close(): Promise<void>;
}

let gpuSeq = 0;

export async function startKit(): Promise<Kit> {
  const clock = new ManualClock();
  const store = await openStore({ now: () => clock.now() });
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
  const wc = createWorkloadControllers({ store, clock });
  const adapterOf = (kind: WorkloadKind): WorkloadAdapter => wc.adapters.find((a) => a.kind === kind)!;
  const get = async (kind: string, name: string) => {
    const o = await store.get({ kind, project: PROJECT, name });
    if (!o) throw new Error(`${kind} ${name} not found`);
    return o;
  };
  const allocations = async (workload: string) =>
    (await store.list('Allocation', { project: PROJECT, labelSelector: `weft.dev/workload=${workload}` })).items;
  const kit: Kit = {
    ...wc,
    store,
    clock,
    async settle() {
      for (let i = 0; i < 10; i++) {
        let writes = 0;
        for (const c of wc.controllers) writes += await c.reconcileAll();
        if (writes === 0) return;
      }
    },
    create: (kind, name, spec, annotations) =>
      store.create({ apiVersion: 'weft/v1', kind, metadata: { name, project: PROJECT, ...(annotations ? { annotations } : {}) }, spec }),
    get,
    async patchSpec(kind, name, patch) {
      const o = await get(kind, name);
      return store.update({ ...o, spec: { ...o.spec, ...patch } });
    },
    async bind(kind, name) {
      return store.transaction(async (tx) => {
        const w = (await tx.get({ kind, project: PROJECT, name }))!;
        const owned = (await tx.list('Allocation', { project: PROJECT, labelSelector: `weft.dev/workload=${name}` })).items;
        const d = adapterOf(kind).demand(w, owned.filter(isActive), clock.now());
        if (!d) return [];
        const placed: Resource[] = [];
        for (const replica of d.replicas) {
          const node = `node-${gpuSeq++ % 1000}`;
          const spec: AllocationSpec = {
            workload: { kind, name, uid: w.metadata.uid },
            replica,
            attempt: d.attempt,
            node,
            gpus: [{ index: 0, model: 'H100-80GB', milli: 1000 }],
            cpuMilli: d.resources.cpuMilli,
            memoryBytes: d.resources.memoryBytes,
          };
          placed.push(
            await tx.create({
              apiVersion: 'weft/v1',
              kind: 'Allocation',
              metadata: {
                name: allocationName(name, d.attempt, replica),
                project: PROJECT,
                labels: { 'weft.dev/workload-kind': kind, 'weft.dev/workload': name, 'weft.dev/attempt': String(d.attempt), 'weft.dev/node': node },
              },
              spec: spec as unknown as Record<string, unknown>,
            }),
          );
        }
        await tx.update({ ...w, status: adapterOf(kind).statusOnBound(w, placed, clock.now()) }, { resourceVersion: w.metadata.resourceVersion });
        return placed;
      });
    },
    async setPhase(alloc, phase, extra = {}) {
      const a = await get('Allocation', alloc);
      const now = clock.now().toISOString();
      const times = phase === 'Running' ? { startedAt: now } : isActive({ ...a, status: { phase } }) ? {} : { finishedAt: now };
      await store.update({ ...a, status: { ...(a.status ?? {}), phase, ...times, ...extra } });
    },
    async honourStops() {
      const ended: string[] = [];
      for (const a of (await store.list('Allocation', { project: PROJECT })).items) {
        const stop = stopRequested(a);
        if (!stop || !isActive(a)) continue;
        await kit.setPhase(a.metadata.name, stop.reason === 'Preempted' ? 'Preempted' : 'Stopped');
        ended.push(a.metadata.name);
      }
      return ended;
    },
    allocations,
    close: () => store.close(),
  };
  return kit;
}
