// What the reservation controller must clear on one booked node, decided GPU by GPU: a GPU is
// free for the booking only when no outsider (work not running in a reservation booked there)
// holds any of it — a time-sliced share or a MIG slice takes its GPU as surely as a whole-GPU
// replica does. Pure: the controller (controller.ts) gathers the outsiders and stops what this
// returns.

/** What the reservation may do with an outsider. */
export type Fate =
  | 'leaving' // already asked to stop (a replica of a gang evicted on another node)
  | 'may-stay' // another tenant's preemptible work on shareWhenIdle capacity while the owner waits for nothing
  | 'evictable' // preemptible: stopped with its grace
  | 'fixed'; // may not be preempted: a conflict on the reservation

/** One allocation on the booked node that runs in no reservation booked there. */
export interface Outsider {
  /** The workload it belongs to ("Kind/project/name"): a gang is evicted whole. */
  workload: string;
  /** Indices of the GPUs it holds any part of (whole, share or MIG slice). */
  gpus: readonly number[];
  fate: Fate;
}

export interface Clearing {
  /** Workloads to stop, in the order chosen. */
  evict: string[];
  /** Workloads that hold booked GPUs and may not be preempted, with how many GPUs each holds there. */
  conflicts: Map<string, number>;
}

/** The order GPUs are taken in: those already freeing, then those lent, then those that can be freed, then the stuck. */
const RANK: Record<Fate, number> = { leaving: 0, 'may-stay': 1, evictable: 2, fixed: 3 };

/**
 * Clears the GPUs the outsiders hold beyond the node's `unbooked` GPUs ('whole': all of them, and
 * GPU-less work too, for a whole-node booking). A GPU counts as cleared once all its holders are leaving, or it is lent to a
 * sharer that may stay, or its preemptible holders are evicted; a GPU that something fixed holds
 * makes those holders conflicts — and its preemptible co-holders are left alone, since stopping
 * them frees nothing.
 */
export function clearNode(outsiders: readonly Outsider[], unbooked: number | 'whole'): Clearing {
  // Holders per GPU; GPU-less work counts only when the whole node is booked, each as its own unit.
  const units: { gpu: boolean; holders: Outsider[] }[] = [];
  const byGpu = new Map<number, Outsider[]>();
  for (const o of outsiders) {
    if (o.gpus.length === 0) {
      if (unbooked === 'whole') units.push({ gpu: false, holders: [o] });
      continue;
    }
    for (const g of new Set(o.gpus)) {
      let holders = byGpu.get(g);
      if (!holders) {
        holders = [];
        byGpu.set(g, holders);
        units.push({ gpu: true, holders });
      }
      holders.push(o);
    }
  }
  const leaving = new Set(outsiders.filter((o) => o.fate === 'leaving').map((o) => o.workload));
  const fateOf = (o: Outsider): Fate => (leaving.has(o.workload) ? 'leaving' : o.fate);
  // A unit is as hard to clear as its hardest holder (but one sharer that stays keeps it lent).
  const rank = (u: { holders: Outsider[] }): number => {
    const fates = u.holders.map(fateOf);
    if (fates.includes('fixed')) return RANK.fixed;
    if (fates.includes('may-stay')) return RANK['may-stay'];
    return Math.max(...fates.map((f) => RANK[f]));
  };
  const out: Clearing = { evict: [], conflicts: new Map() };
  let left = unbooked === 'whole' ? units.length : byGpu.size - Math.max(0, unbooked);
  const open = [...units];
  while (left > 0 && open.length > 0) {
    // Re-ranked each turn: evicting a gang frees every GPU it holds, which then count first.
    let pick = 0;
    for (let i = 1; i < open.length; i++) if (rank(open[i]!) < rank(open[pick]!)) pick = i;
    const u = open.splice(pick, 1)[0]!;
    const r = rank(u);
    for (const h of u.holders) {
      if (r === RANK.evictable && !leaving.has(h.workload)) {
        leaving.add(h.workload);
        out.evict.push(h.workload);
      } else if (r === RANK.fixed && h.fate === 'fixed') {
        out.conflicts.set(h.workload, (out.conflicts.get(h.workload) ?? 0) + (u.gpu ? 1 : 0));
      }
    }
    left--;
  }
  return out;
}
