// Turning one cycle's decisions into store writes: Allocation resources for placed gangs plus the
// workload's new status, and "why pending" for the rest. Everything for one workload is guarded by
// the workload's resourceVersion: if it changed since the loop read it, that workload is skipped
// this cycle (never half-written). The GPU ledger (store migration 002) refuses any allocation
// that would double-book, whatever this code computed.
import { migMilli } from '../model/allocation-rules.js';
import type { AllocatedGpu, AllocationSpec } from '../model/kinds/allocation.js';
import { migProfileOn, migProfileShape } from '../model/gpu-catalog.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { explanationText, type GangDecision, type ReplicaPlacement, type SchedulingReason, type UnplacedReplica } from '../scheduler/index.js';
import type { StoreTx } from '../store/types.js';
import { recordEvent } from './events.js';
import { taskFor, withRendezvous } from './agent-task.js';
import type { FleetView } from './fleet-view.js';
import type { VolumeView } from './volumes.js';
import { effectiveIsolation } from './gang.js';
import type { PlacementDemand, WorkloadAdapter } from './workloads/types.js';
import { residencyBreaches } from './residency.js';
import { AddressBook, NoAddressError, statusAddresses, withNicAddresses, type PlacedNic } from './networks/ipam.js';

export const LABEL_WORKLOAD_KIND = 'weft.dev/workload-kind';
export const LABEL_WORKLOAD = 'weft.dev/workload';
export const LABEL_ATTEMPT = 'weft.dev/attempt';
export const LABEL_NODE = 'weft.dev/node';

/** `<workload>-a<attempt>-r<replica>`, shortened (with a stable hash) to fit a 63-character name. */
export function allocationName(workload: string, attempt: number, replica: number): string {
  const suffix = `-a${attempt}-r${replica}`;
  if (workload.length + suffix.length <= 63) return `${workload}${suffix}`;
  let h = 0;
  for (const c of workload) h = (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0;
  const tag = `-${h.toString(36)}`;
  return `${workload.slice(0, 63 - suffix.length - tag.length).replace(/-+$/, '')}${tag}${suffix}`;
}

function allocatedGpus(fleet: FleetView, p: ReplicaPlacement, d: PlacementDemand): AllocatedGpu[] {
  const gpus = fleet.gpusOf(p.nodeName);
  const g = d.resources.gpu;
  return p.gpus.map((pos) => {
    const hw = gpus[pos]!;
    const out: AllocatedGpu = { index: hw.index, model: hw.model, milli: 1000 };
    if (hw.uuid) out.uuid = hw.uuid;
    if (g.kind === 'share' && effectiveIsolation(d) !== 'dedicated') out.milli = g.milli; // dedicated: the scheduler gave a whole GPU
    if (g.kind === 'mig') {
      const geom = migProfileOn(hw.model, g.profile) ?? migProfileShape(g.profile);
      const size = geom?.width ?? 1;
      out.mig = { profile: g.profile, start: p.migStart ?? 0, size };
      out.milli = migMilli(g.profile); // its GPU weight, which every reader of allocations sums
    }
    return out;
  });
}

export function allocationFor(fleet: FleetView, d: PlacementDemand, p: ReplicaPlacement, volumes?: Pick<VolumeView, 'get'>): ResourceInput {
  const w = d.workload;
  const replica = d.replicas[p.replica]!;
  const node = fleet.nodeObject(p.nodeName);
  const provider = (node?.spec as { provider?: string } | undefined)?.provider;
  const spec: AllocationSpec = {
    workload: { kind: w.kind as AllocationSpec['workload']['kind'], name: w.metadata.name, uid: w.metadata.uid },
    replica,
    attempt: d.attempt,
    node: p.nodeName,
    gpus: allocatedGpus(fleet, p, d),
    cpuMilli: d.resources.cpuMilli,
    memoryBytes: d.resources.memoryBytes,
    isolation: d.isolation,
  };
  if (provider) spec.provider = provider;
  const task = taskFor(w, volumes);
  if (task) spec.task = task;
  return {
    apiVersion: 'weft/v1',
    kind: 'Allocation',
    metadata: {
      name: allocationName(w.metadata.name, d.attempt, replica),
      project: w.metadata.project,
      labels: {
        [LABEL_WORKLOAD_KIND]: w.kind,
        [LABEL_WORKLOAD]: w.metadata.name,
        [LABEL_ATTEMPT]: String(d.attempt),
        [LABEL_NODE]: p.nodeName,
      },
    },
    spec: spec as unknown as Record<string, unknown>,
  };
}

export interface Bind {
  demand: PlacementDemand;
  adapter: WorkloadAdapter;
  allocations: ResourceInput[];
  /** Topology asked for and achieved; written to status.locality. */
  locality?: GangDecision['locality'];
}

export interface Explain {
  demand: PlacementDemand;
  unplaced: UnplacedReplica[];
  /** The scheduler's sentence, structured reasons, locality and reservation for the gang. */
  decision?: Pick<GangDecision, 'explanation' | 'needs' | 'reasons' | 'locality' | 'reservation'>;
}

/**
 * status.scheduling of a pending workload: "why pending" (docs/lifecycle.md). The queue position
 * is left out: it moves with every placement ahead, and storing it rewrote every waiting workload
 * (and added an Event) each time the queue moved. Readers get the live position put back in
 * (queue-positions.ts); `needs` keeps the sentence's first part so it can be rebuilt.
 */
export function schedulingStatus(e: Explain, now: Date): Record<string, unknown> {
  const { message, reasons } = pendingReasons(e.unplaced);
  const out: Record<string, unknown> = { message, reasons };
  const d = e.decision;
  const details = storedReasons(d?.reasons);
  if (d?.needs !== undefined) {
    out['needs'] = d.needs;
    out['explanation'] = explanationText(d.needs, details);
  } else if (d?.explanation) out['explanation'] = d.explanation;
  if (details.length > 0) out['details'] = details;
  if (d?.locality) out['locality'] = d.locality;
  if (d?.reservation) out['reservation'] = { at: new Date(d.reservation.at).toISOString(), nodes: d.reservation.nodes };
  out['lastCycle'] = now.toISOString();
  return out;
}

/** The reasons worth storing: all but the queue position. */
function storedReasons(reasons: readonly SchedulingReason[] | undefined): SchedulingReason[] {
  return (reasons ?? []).filter((r) => r.code !== 'QueuePosition');
}

export interface CommitResult {
  /** Workloads written, by key, as stored now. */
  workloads: Resource[];
  allocations: Resource[];
  /** Workloads skipped because they changed since the loop read them, or their placement broke residency. */
  skipped: number;
  /** Placements refused because they broke their project's residency as committed (why, one each). */
  refused: string[];
  /** Workloads whose allocations were created. */
  bound: number;
}

/** Nothing written; `skipped` workloads left for a later cycle. */
export const noCommit = (skipped = 0): CommitResult => ({ workloads: [], allocations: [], skipped, bound: 0, refused: [] });

const keyOfWorkload = (w: Resource) => ({ kind: w.kind, project: w.metadata.project, name: w.metadata.name });

/** Reasons of a pending gang, merged over its unplaced replicas. */
export function pendingReasons(unplaced: readonly UnplacedReplica[]): { message: string; reasons: Record<string, number> } {
  const reasons: Record<string, number> = {};
  for (const u of unplaced) for (const [k, v] of Object.entries(u.rejected)) reasons[k] = Math.max(reasons[k] ?? 0, v ?? 0);
  const message = unplaced[0]?.message ?? 'waiting for capacity';
  return { message, reasons };
}

/**
 * Whether "why pending" changed materially since it was written: another set of reasons, not
 * other counts. Node counts, quota figures and the queue position move with every placement
 * anywhere in the fleet; rewriting each waiting workload (and an Event) for them made a long
 * queue a write storm.
 */
export function explanationChanged(d: Explain): boolean {
  const cur = d.demand.workload.status?.scheduling as { needs?: unknown; details?: SchedulingReason[] } | undefined;
  // Written by an older version (with the queue position inside): rewrite once.
  if (typeof cur?.needs !== 'string') return true;
  return reasonsKey(cur.details) !== reasonsKey(d.decision?.reasons);
}

/** What of the reasons is material: their codes, and what each code is about. */
function reasonsKey(reasons: readonly SchedulingReason[] | undefined): string {
  return storedReasons(reasons).map(reasonKey).join('\n');
}

function reasonKey(r: SchedulingReason): string {
  const data = r.data ?? {};
  switch (r.code) {
    case 'Nodes': {
      // Which filters rejected nodes, not how many nodes each rejected.
      const rejected = (data['rejected'] ?? {}) as Record<string, number>;
      return `Nodes:${Object.keys(rejected).filter((k) => (rejected[k] ?? 0) > 0).sort().join(',')}`;
    }
    case 'TopologyDomain':
      return `TopologyDomain:${String(data['within'])}`;
    case 'QueueQuota':
      return `QueueQuota:${String(data['queue'])}:${String(data['resource'])}`;
    // Backfill's word counts by its target time only: its countdown alone is no news.
    case 'Reservation':
      return `Reservation@${String(data['at'])}`;
    case 'Reserved':
      return `Reserved:${String(data['gangId'])}@${String(data['at'])}`;
    default:
      return r.code;
  }
}

export async function commitCycle(tx: StoreTx, binds: readonly Bind[], explains: readonly Explain[], now: Date): Promise<CommitResult> {
  const out = noCommit();
  // Every workload the cycle writes, read in one round trip (the writes below find them in the
  // transaction's cache); the allocations are all created before the workloads are updated, so
  // with batched creates (scheduling-loop.ts) they go out as one statement, and the workloads'
  // statuses as one more: a cycle costs a few round trips, not three per job.
  const current = await tx.getMany([...binds, ...explains].map((x) => keyOfWorkload(x.demand.workload)));
  const fresh = (i: number, w: Resource): Resource | undefined => {
    const cur = current[i];
    if (cur && cur.metadata.resourceVersion === w.metadata.resourceVersion) return cur;
    out.skipped++;
    return undefined;
  };
  const breaches = await residencyBreaches(
    tx,
    binds.map((b) => ({ project: b.demand.workload.metadata.project ?? '', nodes: b.allocations.map((a) => (a.spec as { node: string }).node) })),
  );
  const bound: { b: Bind; cur: Resource; placed: Resource[]; nics: PlacedNic[] }[] = [];
  const book = new AddressBook(tx);
  const events: { cur: Resource; message: string }[] = [];
  const updates: { input: Resource; opts: { resourceVersion: string } }[] = [];
  for (const [i, b] of binds.entries()) {
    const cur = fresh(i, b.demand.workload);
    if (!cur) continue;
    const breach = breaches[i];
    if (breach !== undefined) {
      // Decided from a picture that was behind: the workload stays pending; the next cycle,
      // from the residency as it is now, places it or says why it waits.
      out.skipped++;
      out.refused.push(`${cur.kind} ${cur.metadata.project}/${cur.metadata.name}: ${breach}`);
      continue;
    }
    let nics: PlacedNic[] = [];
    if (cur.kind === 'VirtualMachine') {
      try {
        nics = await book.assign(cur);
      } catch (e) {
        // No address for one of its NICs: the VM waits (and says why) rather than boots without one.
        if (!(e instanceof NoAddressError)) throw e;
        events.push({ cur, message: e.message });
        updates.push({ input: { ...cur, status: { ...(cur.status ?? {}), scheduling: { message: e.message, lastCycle: now.toISOString() } } }, opts: { resourceVersion: cur.metadata.resourceVersion } });
        continue;
      }
    }
    const placed: Resource[] = [];
    for (const a of withNicAddresses(withRendezvous(b.demand.workload, b.demand.attempt, b.allocations), nics)) placed.push(await tx.create(a));
    bound.push({ b, cur, placed, nics });
  }
  for (const { b, cur, placed, nics } of bound) {
    out.allocations.push(...placed);
    out.bound++;
    const status = b.adapter.statusOnBound(cur, placed, now);
    if (b.locality) status['locality'] = b.locality;
    if (nics.length > 0) status['addresses'] = statusAddresses(nics);
    updates.push({ input: { ...cur, status }, opts: { resourceVersion: cur.metadata.resourceVersion } });
  }
  for (const [j, e] of explains.entries()) {
    const cur = fresh(binds.length + j, e.demand.workload);
    if (!cur) continue;
    const scheduling = schedulingStatus(e, now);
    events.push({ cur, message: String(scheduling['explanation'] ?? scheduling['message']) });
    updates.push({ input: { ...cur, status: { ...(cur.status ?? {}), scheduling } }, opts: { resourceVersion: cur.metadata.resourceVersion } });
  }
  // Every workload status of the cycle in one statement.
  if (updates.length > 0) out.workloads.push(...(await tx.updateMany(updates)));
  for (const { cur, message } of events) await recordEvent(tx, cur, { type: 'Warning', reason: 'FailedScheduling', message, source: 'scheduler', aggregate: 'reason' }, now);
  return out;
}
