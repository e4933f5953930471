// Finding the node for one replica: filter, score, select. Built once per gang:
//   - the static filters (filters/filter.ts) run once, per static node class, and their
//     rejections are counted once for every replica;
//   - each replica then filters and scores one member per state class (node-classes.ts) and takes
//     the best class's member with the smallest rank — the node a scan over every node would take;
//   - where classes cannot stand in for their members (a topology domain, a per-node filter such
//     as a backfill reservation, a policy that is not node-local or picks at random, a tie-break
//     that reads the node itself such as image locality), the replica scans the nodes that passed
//     the static filters, node by node.
import type { Filter } from './filters/filter.js';
import type { NodeClasses } from './node-classes.js';
import { activeTieBreak, isCacheable, type Policy } from './policy.js';
import type { ReplicaShape } from './request.js';
import type { Rng } from './rng.js';
import type { ScoreContext, Scorer } from './scorers/scorer.js';
import type { Snapshot } from './snapshot.js';
import type { RejectionReason } from './types.js';
import type { Workspace } from './workspace.js';

export type Rejections = Partial<Record<RejectionReason, number>>;

/** One replica's outcome: the node chosen (and how many were feasible), or why none was. */
export type Found = { node: number; feasible: number } | { rejected: Rejections; total: number };

export class GangScan {
  private readonly others: readonly Filter[];
  private readonly staticOk: Uint8Array;
  private readonly staticRejected: Rejections = {};
  /** Nodes that passed the static filters, ascending (per-node path), built on first use. */
  private staticNodes: Int32Array | null = null;
  private readonly byClass: boolean;
  /** Decides between nodes of equal totals (image locality), when it applies to this request. */
  private readonly tieBreak: Scorer | null;

  constructor(
    private readonly snap: Snapshot,
    private readonly req: ReplicaShape,
    filters: readonly Filter[],
    private readonly policy: Policy,
    private readonly ws: Workspace,
    private readonly classes: NodeClasses,
  ) {
    classes.sync();
    const statics = filters.filter((f) => f.reads === 'static');
    this.others = filters.filter((f) => f.reads !== 'static');
    // Static filters on one member per static class; a rejection counts every member.
    const members = classes.staticMembers;
    const reps = Int32Array.from(members, (m) => m[0]!);
    const ids = new Int32Array(members.length);
    for (let i = 0; i < ids.length; i++) ids[i] = i;
    let count = reps.length;
    for (const f of statics) {
      const before = count;
      count = f.filter(snap, req, reps, count);
      if (count === before) continue;
      // The filter kept reps in order; find which classes went.
      let k = 0;
      let gone = 0;
      for (let i = 0; i < before; i++) {
        if (k < count && reps[k] === members[ids[i]!]![0]) ids[k++] = ids[i]!;
        else gone += members[ids[i]!]!.length;
      }
      this.staticRejected[f.reason] = (this.staticRejected[f.reason] ?? 0) + gone;
    }
    this.staticOk = new Uint8Array(members.length);
    for (let i = 0; i < count; i++) this.staticOk[ids[i]!] = 1;
    this.tieBreak = activeTieBreak(policy, req);
    // A per-node filter stands in the way unless the classes key the nodes it tells apart by what it reads there.
    const classSafe = (f: Filter): boolean => f.reads !== 'node' || f.keepsAll?.(req) === true || (f.differsOn !== undefined && classes.tagged(f.differsOn));
    this.byClass = policy.selection === 'max-score' && isCacheable(policy) && this.others.every(classSafe) && this.tieBreak === null;
  }

  /** Every node that passes all filters now, ascending, into `out`; returns how many (for choosing a topology domain). */
  feasible(out: Int32Array): number {
    const base = this.nodesPassingStatic();
    out.set(base);
    let count = base.length;
    for (const f of this.others) count = f.filter(this.snap, this.req, out, count);
    return count;
  }

  /** Filters, scores and selects for one replica, among `domain` (nodes that passed every filter at the gang's start) or the fleet. */
  find(domain: Int32Array | null, rng: Rng): Found {
    const classes = this.classes;
    classes.sync(); // earlier replicas of the gang have landed since
    // Classes pay off while they are fewer than the nodes; when nearly every node is in a state
    // of its own, the plain scan is the same work without the bookkeeping.
    if (!domain && this.byClass && 2 * classes.active.length < this.snap.nodeCount) return this.findByClass(rng);
    const nodes = this.ws.candidates;
    const rejected: Rejections = domain ? {} : { ...this.staticRejected };
    const base = domain ?? this.nodesPassingStatic();
    nodes.set(base);
    const count = this.applyOthers(nodes, base.length, rejected, null);
    const total = domain ? domain.length : this.snap.nodeCount;
    if (count === 0) return { rejected, total };
    if (count === 1) return { node: nodes[0]!, feasible: 1 };
    if (this.policy.selection === 'uniform') return { node: nodes[rng.int(count)]!, feasible: count };
    this.score(nodes, count, rng);
    const tie = this.tieBreak ? { scorer: this.tieBreak, ctx: { snap: this.snap, req: this.req, rng } } : null;
    return { node: selectBest(this.snap, nodes, this.ws.totals, count, tie), feasible: count };
  }

  private findByClass(rng: Rng): Found {
    const classes = this.classes;
    const nodes = this.ws.candidates;
    let count = 0;
    let members = 0;
    for (const c of classes.active) {
      if (this.staticOk[classes.staticClassOf(c)] !== 1) continue;
      nodes[count++] = classes.first(c);
      members += classes.size(c);
    }
    const rejected: Rejections = { ...this.staticRejected };
    const feasible = { members };
    count = this.applyOthers(nodes, count, rejected, feasible);
    if (count === 0) return { rejected, total: this.snap.nodeCount };
    // One class left: its members score alike, so its smallest-rank member wins unscored.
    if (count === 1) return { node: nodes[0]!, feasible: feasible.members };
    this.score(nodes, count, rng);
    return { node: selectBest(this.snap, nodes, this.ws.totals, count, null), feasible: feasible.members };
  }

  /**
   * Runs the non-static filters over nodes[0..count), counting rejections; when the nodes stand for
   * their classes (byClass holds the members they stand for), a rejected node counts its class.
   */
  private applyOthers(nodes: Int32Array, count: number, rejected: Rejections, byClass: { members: number } | null): number {
    const { stateOf } = this.classes;
    for (const f of this.others) {
      const before = count;
      count = f.filter(this.snap, this.req, nodes, count);
      if (count === before) continue;
      let gone = before - count;
      if (byClass) {
        let left = 0;
        for (let i = 0; i < count; i++) left += this.classes.size(stateOf[nodes[i]!]!);
        gone = byClass.members - left;
        byClass.members = left;
      }
      rejected[f.reason] = (rejected[f.reason] ?? 0) + gone;
    }
    return count;
  }

  private nodesPassingStatic(): Int32Array {
    this.staticNodes ??= this.classes.nodesOfStatic(this.staticOk);
    return this.staticNodes;
  }

  /** Weighted totals of nodes[0..count) into ws.totals, cached per (state class, request shape) when node-local. */
  private score(nodes: Int32Array, count: number, rng: Rng): void {
    const ws = this.ws;
    const ctx: ScoreContext = { snap: this.snap, req: this.req, rng };
    if (!isCacheable(this.policy)) {
      weightedTotals(this.policy, ctx, nodes, count, ws.totals, ws.partial);
      return;
    }
    const sid = ws.shapeId(this.req.key);
    const misses = ws.lookup(sid, nodes, count, this.classes.stateOf, this.classes.gen);
    if (misses === 0) return;
    weightedTotals(this.policy, ctx, ws.missNodes, misses, ws.missTotals, ws.partial);
    ws.store(sid, misses, ws.missTotals, this.classes.gen);
  }
}

function weightedTotals(policy: Policy, ctx: ScoreContext, nodes: Int32Array, count: number, out: Float64Array, partial: Float64Array): void {
  const scorers = policy.scorers;
  if (scorers.length === 1 && scorers[0]!.weight === 1) {
    scorers[0]!.scorer.score(ctx, nodes, count, out);
    return;
  }
  out.fill(0, 0, count);
  for (const { scorer, weight } of scorers) {
    scorer.score(ctx, nodes, count, partial);
    for (let i = 0; i < count; i++) out[i] = out[i]! + weight * partial[i]!;
  }
}

/** The highest total; among equal totals the higher tie-break score (if any), then the smallest rank. */
function selectBest(snap: Snapshot, nodes: Int32Array, totals: Float64Array, count: number, tie: { scorer: Scorer; ctx: ScoreContext } | null): number {
  const rank = snap.rank;
  let best = nodes[0]!;
  let bestScore = totals[0]!;
  let equal = 1;
  for (let i = 1; i < count; i++) {
    const s = totals[i]!;
    const n = nodes[i]!;
    if (s > bestScore) equal = 1;
    else if (s === bestScore) equal++;
    if (s > bestScore || (s === bestScore && rank[n]! < rank[best]!)) {
      best = n;
      bestScore = s;
    }
  }
  if (!tie || equal < 2) return best;
  // Only the nodes that tie for the best total are looked at again: the tie-break cannot reach past them.
  const tied = new Int32Array(equal);
  for (let i = 0, k = 0; i < count; i++) if (totals[i] === bestScore) tied[k++] = nodes[i]!;
  const scores = new Float64Array(equal);
  tie.scorer.score(tie.ctx, tied, equal, scores);
  let pick = 0;
  for (let i = 1; i < equal; i++) {
    if (scores[i]! > scores[pick]! || (scores[i] === scores[pick] && rank[tied[i]!]! < rank[tied[pick]!]!)) pick = i;
  }
  return tied[pick]!;
}
