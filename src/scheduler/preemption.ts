// Priority preemption (DESIGN §4): when a gang cannot fit, find a small, cheap set of WHOLE
// running gangs of strictly lower priority whose release lets it fit. Pure: the snapshot is
// probed with what-ifs and always left as it was; time comes in as `now`.
//
// Rule, in order of precedence:
//   1. only gangs with priority strictly below the preemptor's are candidates;
//   2. the chosen set's highest victim priority is as low as possible (best-effort work goes
//      before anything more important, however cheap that would be);
//   3. then the GPU-time lost is as small as possible: per replica, GPUs held × time since its
//      last checkpoint (or its start) — the work that must be redone;
//   4. then fewer victims; then checkpointed gangs before others; then id (determinism).
// Search: candidates sorted cheapest first (priority, cost, checkpointed, id) are released one
// by one until the gang fits; then each chosen victim, newest first, is put back if the gang
// still fits without it, so no victim of the result can be removed. Greedy by single cost can
// pick many cheap small gangs where one larger gang alone would lose less, so every candidate
// that alone makes room (at that same priority level) is compared too and the cheapest wins.
import { schedule, type SchedulerConfig } from './cycle.js';
import type { Rng } from './rng.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
import { GPU_MILLI } from './snapshot.js';
import type { GangDecision, GangRequest } from './types.js';

/** One running replica: where it is and what it holds (exactly what `assume` took). */
export interface RunningReplica {
  node: number;
  delta: NodeDelta;
}

export interface RunningGang {
  id: string;
  priority: number;
  replicas: readonly RunningReplica[];
  /** Epoch ms the gang started (its oldest replica). */
  startedAt: number;
  /** Epoch ms of its latest checkpoint, when it reports one. */
  lastCheckpointAt?: number;
}

export interface PreemptionPlan {
  /** Ids of the gangs to preempt, cheapest first. */
  victims: string[];
  /** Where the preemptor would go once they are gone. */
  placement: GangDecision;
  /** GPU-milli × ms of work lost (see the rule above). */
  cost: number;
}

/** Milli-GPU a replica holds; a MIG slice counts as its share of the GPU's 7 compute slices. */
function heldMilli(d: NodeDelta): number {
  if (d.migMask !== 0) {
    let bits = 0;
    for (let m = d.migMask; m !== 0; m &= m - 1) bits++;
    return Math.round((bits * GPU_MILLI) / 7);
  }
  return d.gpus.length * d.milliPerGpu;
}

/** Work a gang would lose if stopped now: GPUs held × time since its last checkpoint or start. */
export function lostGpuTime(g: RunningGang, now: number): number {
  const since = Math.max(g.startedAt, g.lastCheckpointAt ?? -Infinity);
  const ms = Math.max(0, now - since);
  let milli = 0;
  for (const r of g.replicas) milli += heldMilli(r.delta);
  return milli * ms;
}

interface Candidate {
  gang: RunningGang;
  cost: number;
}

function byCheapest(a: Candidate, b: Candidate): number {
  return (
    a.gang.priority - b.gang.priority ||
    a.cost - b.cost ||
    Number(b.gang.lastCheckpointAt !== undefined) - Number(a.gang.lastCheckpointAt !== undefined) ||
    (a.gang.id < b.gang.id ? -1 : a.gang.id > b.gang.id ? 1 : 0)
  );
}

export function findVictims(
  snap: Snapshot,
  gang: GangRequest,
  running: readonly RunningGang[],
  config: SchedulerConfig,
  now: number,
  rng: Rng,
): PreemptionPlan | null {
  const prio = gang.priority ?? 0;
  const candidates = running
    .filter((g) => g.priority < prio && g.replicas.length > 0)
    .map((g) => ({ gang: g, cost: lostGpuTime(g, now) }))
    .sort(byCheapest);
  if (candidates.length === 0) return null;

  // Would the gang fit with exactly these gangs released? Undone before returning.
  const fits = (set: readonly Candidate[]): GangDecision | null =>
    snap.whatIf((s) => {
      for (const c of set) for (const r of c.gang.replicas) s.release(r.node, r.delta);
      const d = schedule(s, [gang], config, now, rng).decisions[0]!;
      return d.placed ? d : null;
    });

  const chosen: Candidate[] = [];
  for (const c of candidates) {
    chosen.push(c);
    if (fits(chosen)) break;
  }
  if (!fits(chosen)) return null;
  for (let i = chosen.length - 1; i >= 0; i--) {
    const without = chosen.filter((_, j) => j !== i);
    if (without.length > 0 && fits(without)) chosen.splice(i, 1);
  }

  // A single gang at the same priority level may lose less than the greedy set.
  const level = Math.max(...chosen.map((c) => c.gang.priority));
  let best = chosen;
  let bestCost = chosen.reduce((s, c) => s + c.cost, 0);
  if (chosen.length > 1) {
    for (const c of candidates) {
      if (c.gang.priority > level || c.cost >= bestCost) continue;
      if (fits([c])) {
        best = [c];
        bestCost = c.cost;
      }
    }
  }
  const placement = fits(best)!;
  return { victims: best.map((c) => c.gang.id), placement, cost: bestCost };
}
