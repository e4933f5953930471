// Gangs that can never fit: asked before placing a gang (the cycle's admission step), against
// the fleet as it would be with nothing running. A gang no node class could host even empty, or
// whose replicas even the whole empty fleet (or, with a required topology, the roomiest domain)
// cannot hold, is refused with the reason ("asks 16 GPUs per replica; the largest node has 8")
// instead of waiting forever, and preemption does not look for victims for it. Nodes that are
// cordoned count as available here: they may come back.
//
// The empty fleet is one node per static class (node-classes.ts), so the check costs a filter
// pass over a handful of nodes, and its verdicts are kept until the fleet changes.
import type { Filter } from './filters/filter.js';
import type { NodeClasses } from './node-classes.js';
import { compileReplica } from './request.js';
import { Snapshot, type NodeInput } from './snapshot.js';
import { domainOf, domainName } from './topology.js';
import type { GangRequest, RejectionReason, SchedulingReason } from './types.js';

/** Why a gang can never fit, and how many of the fleet's nodes each filter turned away even empty. */
export interface Refusal {
  reason: SchedulingReason;
  rejected: Partial<Record<RejectionReason, number>>;
}

interface EmptyFleet {
  snap: Snapshot;
  /** Members of each static class (tiny node i is static class i). */
  sizes: number[];
}

/** Static classes as an empty fleet of one node each, all schedulable. */
function emptyFleet(snap: Snapshot, classes: NodeClasses): EmptyFleet {
  const inputs: NodeInput[] = classes.staticMembers.map((members, i) => snap.emptyInput(members[0]!, `class-${i}`));
  return { snap: new Snapshot(inputs), sizes: classes.staticMembers.map((m) => m.length) };
}

/** Verdicts per gang shape, for one grouping of the fleet. */
export class Satisfiability {
  private fleet: EmptyFleet | null = null;
  private readonly verdicts = new Map<string, Refusal | null>();
  private epoch = -1;

  constructor(
    private readonly snap: Snapshot,
    private readonly classes: NodeClasses,
  ) {}

  /** Null when the gang could fit an empty fleet; else why it never can. */
  check(gang: GangRequest, filters: readonly Filter[]): Refusal | null {
    if (this.epoch !== this.snap.staticEpoch) {
      this.classes.sync();
      this.epoch = this.snap.staticEpoch;
      this.fleet = emptyFleet(this.snap, this.classes);
      this.verdicts.clear();
    }
    const need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
    const topo = gang.topology?.mode === 'required' ? gang.topology.within : '';
    const fleet = this.fleet!;
    const req = compileReplica(fleet.snap, gang);
    const key = `${req.key}|${need}|${topo}|${filters.map((f) => f.name).join(',')}`;
    let v = this.verdicts.get(key);
    if (v === undefined) {
      if (this.verdicts.size > 4096) this.verdicts.clear();
      v = this.judge(fleet, gang, req, need, filters);
      this.verdicts.set(key, v);
    }
    return v;
  }

  private judge(fleet: EmptyFleet, gang: GangRequest, req: ReturnType<typeof compileReplica>, need: number, filters: readonly Filter[]): Refusal | null {
    const tiny = fleet.snap;
    const nodes = new Int32Array(tiny.nodeCount);
    for (let i = 0; i < nodes.length; i++) nodes[i] = i;
    let count = nodes.length;
    const rejected: Refusal['rejected'] = {};
    const members = (list: Int32Array, n: number) => {
      let m = 0;
      for (let i = 0; i < n; i++) m += fleet.sizes[list[i]!]!;
      return m;
    };
    for (const f of filters) {
      if (f.reads === 'node') continue; // per-node rules (a reservation) say nothing about an empty fleet
      const before = nodes.slice(0, count);
      count = f.filter(tiny, req, nodes, count);
      if (count < before.length) rejected[f.reason] = (rejected[f.reason] ?? 0) + members(before, before.length) - members(nodes, count);
      if (count === 0) {
        const clause = f.shortfall?.(tiny, req, before, before.length) ?? `no node passes ${f.name}`;
        return { reason: refusal(clause, { filter: f.name }), rejected };
      }
    }
    // Replicas each class holds empty, by the capacity filters' room.
    const slots = new Float64Array(tiny.nodeCount);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const c = nodes[i]!;
      let fit = need;
      for (const f of filters) if (f.room) fit = Math.min(fit, f.room(tiny, req, c));
      slots[c] = fit;
      total += fit * fleet.sizes[c]!;
    }
    if (total < need) return { reason: refusal(`asks ${need} replicas; the whole fleet holds ${total} even empty`, { need, holds: total }), rejected: {} };
    const within = gang.topology?.mode === 'required' ? gang.topology.within : null;
    if (!within) return null;
    const domain = domainOf(this.snap, within);
    const byDomain = new Map<number, number>();
    for (let n = 0; n < this.snap.nodeCount; n++) {
      const s = slots[this.classes.staticOf[n]!]!;
      if (s > 0) byDomain.set(domain[n]!, (byDomain.get(domain[n]!) ?? 0) + s);
    }
    let best = -1;
    let most = 0;
    for (const [d, s] of byDomain) {
      if (s >= need) return null;
      if (s > most) [best, most] = [d, s];
    }
    const name = best >= 0 ? ` (${domainName(this.snap, within, best)})` : '';
    return { reason: refusal(`asks ${need} replicas within one ${within}; the roomiest ${within}${name} holds ${most} even empty`, { need, within, holds: most }), rejected: {} };
  }
}

function refusal(clause: string, data: Record<string, unknown>): SchedulingReason {
  return { code: 'Unsatisfiable', message: `can never fit this fleet: ${clause}`, data: { ...data, clause } };
}

const bySnapshot = new WeakMap<Snapshot, Satisfiability>();

/** Null when the gang could fit the empty fleet under `filters`; else why it never can. */
export function unsatisfiable(snap: Snapshot, classes: NodeClasses, gang: GangRequest, filters: readonly Filter[]): Refusal | null {
  let s = bySnapshot.get(snap);
  if (!s) bySnapshot.set(snap, (s = new Satisfiability(snap, classes)));
  return s.check(gang, filters);
}
