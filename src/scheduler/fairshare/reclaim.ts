// Reclaim planning: which running gangs sit on quota their queue borrowed, and when a pending
// gang may take that quota back. A queue that would stay within its own nominal quota with the
// gang admitted may preempt borrowers in other queues of its tree whatever their priority:
// lending is only ever a loan of idle quota.
import type { NodeDelta, Snapshot } from '../snapshot.js';
import type { GangRequest } from '../types.js';
import type { QueueUsage } from './accounting.js';
import { replicaCharge } from './admission.js';
import { addInto, CPU_KEY, isGpuKey, MEMORY_KEY, resourceName, type ResourceVector } from './resources.js';

/** Milli-GPU a replica holds: its GPU weight (model/allocation-rules.ts), a MIG instance by compute slices. */
export function heldMilli(d: NodeDelta): number {
  if (d.migMask !== 0) {
    if (d.migMilli === undefined) throw new Error('a MIG NodeDelta without migMilli: build it with placementDelta or the cycle');
    return d.migMilli;
  }
  return d.gpus.length * d.milliPerGpu;
}

/** What running replicas hold, as charged to `queue` (keys its tree governs only). */
export function runningCharge(snap: Snapshot, usage: QueueUsage, queue: string, replicas: readonly { node: number; delta: NodeDelta }[]): ResourceVector {
  const out: ResourceVector = {};
  if (!usage.tree.has(queue)) return out;
  const keys = usage.tree.governedKeys(queue);
  for (const r of replicas) {
    const milli = heldMilli(r.delta);
    if (milli > 0) {
      const k = usage.tree.gpuKeyFor(queue, snap.modelNames[snap.model[r.node]!]!);
      if (k) addInto(out, { [k]: milli });
    }
    if (keys.has(CPU_KEY) && r.delta.cpuMilli > 0) addInto(out, { [CPU_KEY]: r.delta.cpuMilli });
    if (keys.has(MEMORY_KEY) && r.delta.memoryBytes > 0) addInto(out, { [MEMORY_KEY]: r.delta.memoryBytes });
  }
  return out;
}

export interface QueuedGang {
  id: string;
  queue?: string;
  startedAt: number;
  charge: ResourceVector;
}

/**
 * Gangs running on borrowed quota: in each queue, gangs are counted oldest first, and those that
 * take the queue past its own nominal quota (on any key they use) are the borrowers — the ones
 * that would not be running had the queue kept to its own quota.
 */
export function borrowingGangs(gangs: readonly QueuedGang[], usage: QueueUsage): Set<string> {
  const out = new Set<string>();
  const byQueue = new Map<string, QueuedGang[]>();
  for (const g of gangs) {
    if (g.queue === undefined || !usage.tree.has(g.queue)) continue;
    let list = byQueue.get(g.queue);
    if (!list) byQueue.set(g.queue, (list = []));
    list.push(g);
  }
  for (const [queue, list] of byQueue) {
    list.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const sum: ResourceVector = {};
    for (const g of list) {
      addInto(sum, g.charge);
      if (Object.entries(g.charge).some(([k, n]) => n > 0 && sum[k]! > usage.nominalSum(queue, k))) out.add(g.id);
    }
  }
  return out;
}

/** Whether `victimQueue` is another queue of `gang`'s tree (fair-share rules apply between them). */
export function otherQueueSameTree(usage: QueueUsage | undefined, gang: GangRequest, victimQueue: string | undefined): boolean {
  if (!usage || gang.queue === undefined || victimQueue === undefined || victimQueue === gang.queue) return false;
  if (!usage.tree.has(gang.queue) || !usage.tree.has(victimQueue)) return false;
  return usage.tree.get(gang.queue).root === usage.tree.get(victimQueue).root;
}

/**
 * The resource `gang`'s queue would reclaim, when admitting the gang keeps that queue within its
 * own nominal quota on some model the gang may use; null when the gang would itself borrow.
 */
export function reclaimResource(snap: Snapshot, usage: QueueUsage | undefined, gang: GangRequest): string | null {
  if (!usage || gang.queue === undefined || !usage.tree.has(gang.queue)) return null;
  const need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
  const allowed = gang.resources.gpuModels;
  const models: (string | undefined)[] =
    gang.resources.gpu.kind === 'none' ? [undefined] : allowed && allowed.length > 0 ? [...allowed] : [...new Set(snap.modelNames)].filter((m) => m !== '');
  for (const model of models) {
    const per = replicaCharge(usage, gang.queue, gang.resources, model);
    const total: ResourceVector = {};
    for (const [k, n] of Object.entries(per)) total[k] = n * need;
    if (Object.keys(total).length > 0 && usage.withinNominal(gang.queue, total)) {
      const gpu = Object.keys(total).find(isGpuKey);
      return resourceName(gpu ?? Object.keys(total)[0]!);
    }
  }
  return null;
}
