// Preemption (DESIGN §4): when a gang cannot fit, find a small, cheap set of WHOLE running gangs
// whose release lets it fit. Pure: the snapshot (and queue state) are probed with what-ifs and
// always left as they were; time comes in as `now`.
//
// Who may be a victim:
//   - a gang of strictly lower priority (and preemptible, the default);
//   - with fair-share queues, a gang of ANOTHER queue of the same tree only when it runs on
//     borrowed quota; then even at equal or higher priority, or not preemptible, when the
//     preemptor's queue reclaims: admitting the gang keeps its queue within its own nominal
//     quota (fairshare/reclaim.ts). Other queues' gangs within their nominal are never taken.
// Which set, in order of precedence:
//   1. borrowed capacity first (a loan is taken back before anyone's own quota);
//   2. then the chosen set's highest victim priority is as low as possible;
//   3. then the GPU-time lost is as small as possible: per replica, GPUs held × time since its
//      last checkpoint (or its start) — the work that must be redone;
//   4. then fewer victims; then checkpointed gangs before others; then id (determinism).
// Search: candidates sorted cheapest first are released one by one until the gang fits; then each
// chosen victim, newest first, is put back if the gang still fits without it, so no victim of
// the result can be removed. Greedy by single cost can pick many cheap small gangs where one
// larger gang alone would lose less, so every candidate that alone makes room (at no worse a
// rank) is compared too and the cheapest wins.
// A gang that cannot fit even the empty fleet (satisfiable.ts) gets no search at all.
// Speed (the result is that of the plain search, preemption-reference.ts): each "fits?" is a
// what-if `schedule()` over the whole fleet, so it is asked only when a cheap incremental bound
// (preemption-index.ts: replicas the capacity filters' room allows per node, on nodes every
// unresolvable filter passes, per domain for a required topology) says the gang may fit. The put-back pass is made with the bound alone and confirmed
// by one full check of what is left; only when that fails (the bound was too hopeful) does it
// fall back to full checks, of runs of victims at once. Since releasing more never makes a gang
// fit less, a run can go exactly when putting its victims back one by one would drop each of them.
import { schedule, type SchedulerConfig } from './cycle.js';
import { DEFAULT_FILTERS } from './filters/index.js';
import { nodeClassesOf } from './node-classes.js';
import { RoomBound } from './preemption-index.js';
import { unsatisfiable } from './satisfiable.js';
import { compileReplica } from './request.js';
import type { QueueUsage } from './fairshare/accounting.js';
import { heldMilli, otherQueueSameTree, reclaimResource, runningCharge } from './fairshare/reclaim.js';
import type { Rng } from './rng.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
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
  /** Fair-share queue it is charged to. */
  queue?: string;
  /** It runs on quota its queue borrowed from siblings (fairshare borrowingGangs). */
  borrowed?: boolean;
  /** False: priority alone may not evict it (only a reclaim of borrowed quota may). Default true. */
  preemptible?: boolean;
}

export interface PreemptionPlan {
  /** Ids of the gangs to preempt, cheapest first. */
  victims: string[];
  /** Where the preemptor would go once they are gone. */
  placement: GangDecision;
  /** GPU-milli × ms of work lost (see the rule above). */
  cost: number;
  /** Why each victim goes, by id: "queue team-a reclaims lent H100-80GB quota" or "priority 1000 > 10". */
  reasons: Record<string, string>;
}

export interface PreemptionOptions {
  /** Queue state (usage of running work); enables the fair-share rules above. */
  queues?: QueueUsage;
}

/** Work a gang would lose if stopped now: GPUs held × time since its last checkpoint or start. */
export function lostGpuTime(g: RunningGang, now: number): number {
  const since = Math.max(g.startedAt, g.lastCheckpointAt ?? -Infinity);
  const ms = Math.max(0, now - since);
  let milli = 0;
  for (const r of g.replicas) milli += heldMilli(r.delta);
  return milli * ms;
}

export interface Candidate {
  gang: RunningGang;
  cost: number;
  /** 0 borrowed, 1 otherwise (rule 1). */
  tier: number;
  /** Why it may go (text built only for the chosen, see reasonText): the lent quota reclaimed, or null for priority. */
  reclaims: string | null;
  /** It may go on priority, and runs on quota its queue borrowed from the preemptor's tree. */
  onLoan: boolean;
  // The rest of the sort key, read once (sorting compares each candidate many times).
  priority: number;
  /** 1 when the gang reports a checkpoint (taken first among equals). */
  checkpointed: number;
  id: string;
}

/** Rank of a candidate's kind (rules 1–2): lower is taken first. */
export function byRank(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || a.priority - b.priority;
}

function byCheapest(a: Candidate, b: Candidate): number {
  return a.tier - b.tier || a.priority - b.priority || a.cost - b.cost || b.checkpointed - a.checkpointed || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The candidate victims for `gang`, cheapest first, each with why it may go; protected gangs are left out. */
export function candidatesFor(snap: Snapshot, gang: GangRequest, running: readonly RunningGang[], queues: QueueUsage | undefined, now: number): Candidate[] {
  const prio = gang.priority ?? 0;
  const reclaims = reclaimResource(snap, queues, gang);
  const out: Candidate[] = [];
  for (const g of running) {
    if (g.replicas.length === 0) continue;
    const byPriority = g.priority < prio && g.preemptible !== false;
    const onLoan = otherQueueSameTree(queues, gang, g.queue);
    if (onLoan && g.borrowed !== true) continue;
    const reclaimed = onLoan ? reclaims : null;
    if (reclaimed === null && !byPriority) continue;
    out.push({
      gang: g,
      cost: lostGpuTime(g, now),
      tier: g.borrowed === true ? 0 : 1,
      reclaims: reclaimed,
      onLoan,
      priority: g.priority,
      checkpointed: g.lastCheckpointAt !== undefined ? 1 : 0,
      id: g.id,
    });
  }
  return out.sort(byCheapest);
}

/** What every search starts from: the candidates, cheapest first, and the what-if fit check. */
export interface SearchStart {
  candidates: Candidate[];
  fits: (set: readonly Candidate[]) => GangDecision | null;
}

/** The start shared by the fast search and the reference; null when no running gang may go. */
export function searchStart(snap: Snapshot, gang: GangRequest, running: readonly RunningGang[], config: SchedulerConfig, now: number, rng: Rng, opts: PreemptionOptions): SearchStart | null {
  const queues = opts.queues ?? config.queues;
  const candidates = candidatesFor(snap, gang, running, queues, now);
  if (candidates.length === 0) return null;
  return { candidates, fits: fitChecker(snap, gang, config, queues, now, rng) };
}

/** "Would the gang fit (capacity and queue limits) with exactly these gangs released?": the placement, or null. Undone before returning. */
export function fitChecker(
  snap: Snapshot,
  gang: GangRequest,
  config: SchedulerConfig,
  queues: QueueUsage | undefined,
  now: number,
  rng: Rng,
): (set: readonly Candidate[]) => GangDecision | null {
  return (set) =>
    snap.whatIf((s) => {
      const q = queues?.clone();
      for (const c of set) {
        for (const r of c.gang.replicas) s.release(r.node, r.delta);
        if (q && c.gang.queue !== undefined && q.tree.has(c.gang.queue)) q.release(c.gang.queue, runningCharge(s, q, c.gang.queue, c.gang.replicas));
      }
      const d = schedule(s, [gang], q ? { ...config, queues: q } : config, now, rng).decisions[0]!;
      return d.placed ? d : null;
    });
}

/** `chosen`, or a single gang that alone makes room, ranks no worse than chosen's worst victim and loses less (the cheapest such). */
export function cheapestSingle(
  chosen: readonly Candidate[],
  candidates: readonly Candidate[],
  fitsAlone: (c: Candidate) => boolean,
): { best: readonly Candidate[]; cost: number } {
  const level = chosen.reduce((w, c) => (byRank(c, w) > 0 ? c : w));
  let best = chosen;
  let cost = chosen.reduce((s, c) => s + c.cost, 0);
  if (chosen.length > 1) {
    for (const c of candidates) {
      if (byRank(c, level) > 0) break; // sorted by rank first: the rest rank worse
      if (c.cost >= cost) continue;
      if (fitsAlone(c)) {
        best = [c];
        cost = c.cost;
      }
    }
  }
  return { best, cost };
}

/** Why `c` goes to make room for `gang`: "queue team-a reclaims lent H100-80GB quota" or "priority 1000 > 10". */
function reasonText(gang: GangRequest, c: Candidate): string {
  if (c.reclaims !== null) return `queue ${gang.queue} reclaims lent ${c.reclaims} quota`;
  return `priority ${gang.priority ?? 0} > ${c.priority}${c.onLoan ? ' (runs on borrowed quota)' : ''}`;
}

export function planOf(gang: GangRequest, best: readonly Candidate[], cost: number, placement: GangDecision): PreemptionPlan {
  return { victims: best.map((c) => c.id), placement, cost, reasons: Object.fromEntries(best.map((c) => [c.id, reasonText(gang, c)])) };
}

export function findVictims(
  snap: Snapshot,
  gang: GangRequest,
  running: readonly RunningGang[],
  config: SchedulerConfig,
  now: number,
  rng: Rng,
  opts: PreemptionOptions = {},
): PreemptionPlan | null {
  const filters = config.filters ?? DEFAULT_FILTERS;
  // A gang even the empty fleet cannot hold: no set of victims makes room.
  if (unsatisfiable(snap, nodeClassesOf(snap), gang, filters)) return null;
  const start = searchStart(snap, gang, running, config, now, rng, opts);
  if (!start) return null;
  const { candidates, fits } = start;
  // Holds exactly the victims of the set under trial (`chosen` minus a run being tried).
  const bound = new RoomBound(snap, gang, compileReplica(snap, gang), filters);

  // The shortest prefix of the candidates that makes room.
  const chosen: Candidate[] = [];
  let found = false;
  for (const c of candidates) {
    chosen.push(c);
    bound.release(c.gang.replicas);
    if (bound.maybeFits() && fits(chosen)) {
      found = true;
      break;
    }
  }
  if (!found) return null;
  putBackUnneeded(chosen, bound, fits);

  for (const c of chosen) bound.restore(c.gang.replicas);
  const { best, cost } = cheapestSingle(chosen, candidates, (c) => bound.maybeFitsWith(c.gang.replicas) && fits([c]) !== null);
  return planOf(gang, best, cost, fits(best)!);
}

/**
 * Newest first, drops every victim the gang fits without, as a one-by-one pass would. First the
 * pass is made with the bound alone, and one full check confirms its outcome: when the gang fits
 * without all the victims the bound let go, the full pass would have let each of them go too (it
 * only ever had more released), and it keeps those the bound keeps. Otherwise: runs, below.
 */
function putBackUnneeded(chosen: Candidate[], bound: RoomBound, fits: (set: readonly Candidate[]) => GangDecision | null): void {
  const gone = new Uint8Array(chosen.length);
  let left = chosen.length;
  for (let i = chosen.length - 1; i >= 0 && left > 1; i--) {
    bound.restore(chosen[i]!.gang.replicas);
    if (bound.maybeFits()) {
      gone[i] = 1;
      left--;
    } else bound.release(chosen[i]!.gang.replicas);
  }
  if (left === chosen.length) return;
  const kept = chosen.filter((_, i) => gone[i] === 0);
  if (fits(kept)) {
    chosen.splice(0, chosen.length, ...kept);
    return;
  }
  chosen.forEach((c, i) => gone[i] === 1 && bound.release(c.gang.replicas));
  putBackByBound(chosen, bound, fits);
}

/**
 * The one-by-one pass with full checks, where the bound was too hopeful: victims the bound lets go
 * together (the longest such run from the newest) are tried in one full check; the victim that
 * stops the run stays, since without it the gang certainly does not fit.
 */
function putBackByBound(chosen: Candidate[], bound: RoomBound, fits: (set: readonly Candidate[]) => GangDecision | null): void {
  let i = chosen.length - 1;
  while (i >= 0) {
    let j = i;
    // Never the whole set: a plan needs at least one victim.
    while (j >= 0 && !(j === 0 && i === chosen.length - 1)) {
      bound.restore(chosen[j]!.gang.replicas);
      if (!bound.maybeFits()) {
        bound.release(chosen[j]!.gang.replicas);
        break;
      }
      j--;
    }
    if (j === i) {
      i--;
      continue;
    }
    // chosen[j+1..i] are out of the bound's set.
    if (fits([...chosen.slice(0, j + 1), ...chosen.slice(i + 1)])) {
      chosen.splice(j + 1, i - j);
      i = j - 1;
      continue;
    }
    for (let k = j + 1; k <= i; k++) bound.release(chosen[k]!.gang.replicas);
    putBackRuns(chosen, bound, fits, i, j + 1);
    i = j; // what was dropped above it may let chosen[j] go now
  }
}

/**
 * The one-by-one pass over chosen[lo..hi], newest first, by runs: a run that can go together
 * goes and the next run is twice as long; one that cannot is halved, down to a single victim,
 * which then stays. Leaves the bound holding exactly `chosen`.
 */
function putBackRuns(chosen: Candidate[], bound: RoomBound, fits: (set: readonly Candidate[]) => GangDecision | null, hi: number, lo: number): void {
  let i = hi;
  let width = 1;
  while (i >= lo) {
    const run = Math.min(width, i - lo + 1);
    const from = i - run + 1;
    if (chosen.length > run) {
      for (let j = from; j <= i; j++) bound.restore(chosen[j]!.gang.replicas);
      const without = bound.maybeFits() ? [...chosen.slice(0, from), ...chosen.slice(i + 1)] : null;
      if (without && fits(without)) {
        chosen.splice(from, run);
        i = from - 1;
        width *= 2;
        continue;
      }
      for (let j = from; j <= i; j++) bound.release(chosen[j]!.gang.replicas);
    }
    if (run === 1) {
      i--;
      width = 1;
    } else width = Math.max(1, run >> 1);
  }
}
