// Preemption in the control plane (DESIGN §4, docs/lifecycle.md). After a cycle, each gang left
// unplaced may nominate whole running gangs as victims: of lower priority whose priority class is
// preemptible, or — fair share — gangs of other queues running on quota the preemptor's queue lent
// them, whatever their priority or class, when it reclaims it (the pure choice is
// src/scheduler/preemption.ts). Nominating only ASKS the victims' allocations to stop
// (status.stopRequested, reason "Preempted by …"); the provider stops them, the victims'
// controllers requeue them, and a later ordinary cycle places the preemptor on what they freed.
import type { Resource } from '../model/metadata.js';
import { findVictims, runningCharge, schedule, type GangRequest, type Rng, type RunningGang, type SchedulerConfig } from '../scheduler/index.js';
import type { StoreTx } from '../store/types.js';
import { recordEvent } from './events.js';
import type { FleetView } from './fleet-view.js';
import type { QueueCount } from './queue-state.js';
import { allocSpec, graceOf, ownerKey, requestStop, stopRequested } from './workloads/allocations.js';
import type { PlacementDemand } from './workloads/types.js';

export const workloadKey = (o: Resource): string => `${o.kind}/${o.metadata.project ?? ''}/${o.metadata.name}`;

export interface Victim {
  workload: Resource;
  priority: number;
  allocations: Resource[];
  /** Why it goes, e.g. "queue team-a reclaims lent H100-80GB quota" or "priority 1000 > 0". */
  reason?: string;
}

export interface Nomination {
  preemptor: Resource;
  priority: number;
  victims: Victim[];
}

export interface PreemptionInput {
  fleet: FleetView;
  /** Workloads the loop follows, by workloadKey. */
  workloads: ReadonlyMap<string, Resource>;
  priorityOf: (w: Resource) => number;
  /** Whether the workload's priority class allows preempting it. */
  preemptible: (w: Resource) => boolean;
  /** Unplaced gangs, highest priority first. */
  unplaced: readonly { demand: PlacementDemand; gang: GangRequest }[];
  /** True while a preemptor's earlier victims are still stopping: do not preempt again for it. */
  waiting: (preemptorKey: string) => boolean;
  config: SchedulerConfig;
  /** Fair-share queue usage of the running work (after this cycle's placements). */
  queues?: QueueCount;
  now: number;
  rng: Rng;
}

function timeOf(v: unknown): number | undefined {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** Running gangs by owning workload: a gang already being stopped is going anyway, so it is no candidate. */
function runningGangs(input: PreemptionInput): { gangs: RunningGang[]; victims: Map<string, Victim> } {
  const byOwner = new Map<string, Resource[]>();
  const stopping = new Set<string>();
  for (const a of input.fleet.activeAllocations()) {
    const o = ownerKey(a);
    const k = `${o.kind}/${o.project}/${o.name}`;
    if (stopRequested(a)) stopping.add(k);
    let list = byOwner.get(k);
    if (!list) byOwner.set(k, (list = []));
    list.push(a);
  }
  const gangs: RunningGang[] = [];
  const victims = new Map<string, Victim>();
  for (const [k, allocs] of byOwner) {
    const w = input.workloads.get(k);
    // An allocation whose owner is gone (or was replaced) is the controllers' to clean up.
    const borrowed = input.queues?.borrowing.has(k) === true;
    const preemptible = w !== undefined && input.preemptible(w);
    // Borrowers stay candidates whatever their class: their queue's loan may be reclaimed.
    if (!w || stopping.has(k) || !(preemptible || borrowed) || allocs.some((a) => allocSpec(a).workload.uid !== w.metadata.uid)) continue;
    const replicas = allocs.map((a) => input.fleet.replicaOf(a));
    if (replicas.some((r) => r === undefined)) continue;
    const starts = allocs.map((a) => timeOf(a.status?.startedAt) ?? timeOf(a.metadata.creationTimestamp) ?? input.now);
    const checkpoints = allocs.map((a) => timeOf(a.status?.lastCheckpointAt));
    const priority = input.priorityOf(w);
    const g: RunningGang = { id: k, priority, replicas: replicas as NonNullable<(typeof replicas)[number]>[], startedAt: Math.min(...starts) };
    const queue = (w.spec as { queue?: string }).queue;
    if (queue !== undefined) g.queue = queue;
    if (borrowed) g.borrowed = true;
    if (!preemptible) g.preemptible = false;
    // A gang resumes from its oldest replica's checkpoint, and only if every replica has one.
    if (checkpoints.every((c) => c !== undefined)) g.lastCheckpointAt = Math.min(...(checkpoints as number[]));
    gangs.push(g);
    victims.set(k, { workload: w, priority, allocations: allocs });
  }
  return { gangs, victims };
}

/** Chooses victims for each unplaced gang; the fleet's snapshot is left as it was. */
export function planPreemptions(input: PreemptionInput): Nomination[] {
  const todo = input.unplaced.filter(({ demand }) => !input.waiting(workloadKey(demand.workload)));
  if (todo.length === 0) return [];
  const running = runningGangs(input);
  const victims = running.victims;
  let gangs = running.gangs;
  const lowest = Math.min(...gangs.map((g) => g.priority));
  const out: Nomination[] = [];
  const snap = input.fleet.snapshot();
  // This pass's own picture of queue usage: victims leave it, preemptors join it.
  const queues = input.queues?.usage.clone();
  const config = queues ? { ...input.config, queues } : input.config;
  snap.whatIf((s) => {
    for (const { demand, gang } of todo) {
      if ((gang.priority ?? 0) <= lowest && !queues) continue;
      const plan = findVictims(s, gang, gangs, config, input.now, input.rng);
      if (!plan) continue;
      const chosen = new Set(plan.victims);
      out.push({ preemptor: demand.workload, priority: gang.priority ?? 0, victims: plan.victims.map((id) => ({ ...victims.get(id)!, reason: plan.reasons[id]! })) });
      // Later preemptors in this pass must not count on what this one will take.
      for (const g of gangs) {
        if (!chosen.has(g.id)) continue;
        for (const r of g.replicas) s.release(r.node, r.delta);
        if (queues && g.queue !== undefined && queues.tree.has(g.queue)) queues.release(g.queue, runningCharge(s, queues, g.queue, g.replicas));
      }
      gangs = gangs.filter((g) => !chosen.has(g.id));
      // Assume the preemptor where it will go (it fits: findVictims checked); it is charged to its queue.
      schedule(s, [gang], config, input.now, input.rng);
    }
  });
  return out;
}

/** Writes one pass's nominations: stop requests and events, in the caller's transaction. */
export async function commitPreemptions(tx: StoreTx, noms: readonly Nomination[], now: Date): Promise<void> {
  for (const n of noms) {
    const by = workloadKey(n.preemptor);
    const names: string[] = [];
    for (const v of n.victims) {
      let asked = 0;
      // A reclaim says so; a plain priority preemption keeps the short reason.
      const reclaim = v.reason?.startsWith('queue ') === true;
      const reason = reclaim ? `Preempted by ${by}: ${v.reason}` : `Preempted by ${by}`;
      for (const a of v.allocations) if (await requestStop(tx, a, reason, now, graceOf(v.workload))) asked++;
      names.push(`${workloadKey(v.workload)} (priority ${v.priority}, ${v.allocations.length} replica(s))`);
      const why = reclaim ? `: ${v.reason}` : ` (priority ${n.priority})`;
      await recordEvent(
        tx,
        v.workload,
        { type: 'Warning', reason: 'Preempted', message: `preempted by ${by}${why}; ${asked} replica(s) asked to stop`, source: 'scheduler' },
        now,
      );
    }
    await recordEvent(tx, n.preemptor, { type: 'Normal', reason: 'Preempting', message: `preempting ${names.join(', ')}`, source: 'scheduler' }, now);
  }
}
