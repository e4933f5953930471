// Queue admission inside the scheduling cycle: before a gang is placed, which GPU models its
// queue can still take it on (and how many replicas); once placed, charge what it really took.
// A gang without a queue, or a cycle without queue state, is not limited here.
import type { Snapshot } from '../snapshot.js';
import type { GangDecision, GangRequest, ReplicaPlacement, ReplicaResources } from '../types.js';
import type { QueueUsage } from './accounting.js';
import { addInto, CPU_KEY, describeAmount, MEMORY_KEY, replicaGpuMilli, resourceName, type ResourceVector } from './resources.js';

/** What one replica of `res` is charged in `queue` when it lands on a GPU of `model`. */
export function replicaCharge(usage: QueueUsage, queue: string, res: ReplicaResources, model: string | undefined): ResourceVector {
  const out: ResourceVector = {};
  const keys = usage.tree.governedKeys(queue);
  const milli = replicaGpuMilli(res);
  if (milli > 0 && model !== undefined) {
    const k = usage.tree.gpuKeyFor(queue, model);
    if (k) out[k] = milli;
  }
  if (res.cpuMilli > 0 && keys.has(CPU_KEY)) out[CPU_KEY] = res.cpuMilli;
  if (res.memoryBytes > 0 && keys.has(MEMORY_KEY)) out[MEMORY_KEY] = res.memoryBytes;
  return out;
}

/** GPU models the gang may land on: its own list, else every model in the fleet. */
function candidateModels(snap: Snapshot, gang: GangRequest): (string | undefined)[] {
  if (replicaGpuMilli(gang.resources) === 0) return [undefined];
  const allowed = gang.resources.gpuModels;
  if (allowed && allowed.length > 0) return [...allowed];
  return [...new Set(snap.modelNames)].filter((m) => m !== '');
}

export type QueueAdmission = { ok: true; gang: GangRequest } | { ok: false; decision: GangDecision };

/**
 * Step "admission" of the cycle: the gang, narrowed to the GPU models its queue can hold at
 * least `minAvailable` replicas of, with replicas capped to what fits — or an unplaced decision
 * with a QueueQuota reason. Any mix of the allowed models then stays within the queue's limits.
 */
export function admitToQueue(snap: Snapshot, gang: GangRequest, usage: QueueUsage | undefined): QueueAdmission {
  if (!usage || gang.queue === undefined) return { ok: true, gang };
  const queue = gang.queue;
  if (!usage.tree.has(queue)) return refuse(gang, 'QueueUnknown', `queue ${queue} does not exist`, { queue });
  const need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
  const models = candidateModels(snap, gang);
  const fitting: string[] = [];
  let admitted = 0;
  let cap = Infinity;
  let worst: { model: string | undefined; key: string; per: number; available: number } | undefined;
  for (const model of models) {
    const per = replicaCharge(usage, queue, gang.resources, model);
    const max = usage.maxUnits(queue, per);
    if (max >= need) {
      admitted++;
      if (model !== undefined) fitting.push(model);
      cap = Math.min(cap, max);
      continue;
    }
    for (const [key, n] of Object.entries(per)) {
      const available = usage.available(queue, key);
      if (n * need > available && (!worst || available / n > worst.available / worst.per)) worst = { model, key, per: n, available };
    }
  }
  if (admitted === 0 && worst) {
    const { key, per, available } = worst;
    const used = usage.usage(queue, key);
    const limit = usage.nominalSum(queue, key);
    const num = (n: number): string => describeAmount(key, n).split(' ')[0]!;
    const message = `queue ${queue}: quota ${resourceName(key)} ${num(used)}/${num(limit)} used, ${num(Math.max(0, available))} more available to it (needs ${num(per * need)})`;
    return refuse(gang, 'QueueQuota', message, { queue, resource: resourceName(key), needed: per * need, available: Math.max(0, available), used, nominal: limit });
  }
  let narrowed = gang;
  if (models[0] !== undefined && fitting.length < models.length) narrowed = { ...narrowed, resources: { ...gang.resources, gpuModels: fitting } };
  if (cap < gang.replicas) narrowed = { ...narrowed, replicas: cap, minAvailable: need };
  return { ok: true, gang: narrowed };
}

function refuse(gang: GangRequest, code: string, message: string, data: Record<string, unknown>): QueueAdmission {
  return {
    ok: false,
    decision: {
      gangId: gang.id,
      placed: false,
      placements: [],
      unplaced: [{ replica: 0, rejected: {}, message }],
      explanation: message,
      reasons: [{ code, message, data }],
    },
  };
}

/** What the placed replicas take from the gang's queue. */
export function placementCharge(snap: Snapshot, usage: QueueUsage, gang: GangRequest, placements: readonly ReplicaPlacement[]): ResourceVector {
  const total: ResourceVector = {};
  if (gang.queue === undefined) return total;
  for (const p of placements) {
    const model = replicaGpuMilli(gang.resources) > 0 ? snap.modelNames[snap.model[p.node]!] : undefined;
    addInto(total, replicaCharge(usage, gang.queue, gang.resources, model));
  }
  return total;
}

/**
 * Charges a placed gang to its queue; returns what of it is borrowed from siblings (by
 * resource name, GPUs and cores as counts, memory in bytes) or undefined when nothing is.
 */
export function chargePlaced(snap: Snapshot, usage: QueueUsage | undefined, gang: GangRequest, placements: readonly ReplicaPlacement[]): Record<string, number> | undefined {
  if (!usage || gang.queue === undefined || !usage.tree.has(gang.queue)) return undefined;
  const charge = placementCharge(snap, usage, gang, placements);
  const before = usage.borrowed(gang.queue);
  usage.charge(gang.queue, charge);
  const after = usage.borrowed(gang.queue);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) {
    const more = n - (before[k] ?? 0);
    if (more > 0) out[resourceName(k)] = k === MEMORY_KEY ? more : more / 1000;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
