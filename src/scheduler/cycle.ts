// One scheduling cycle (see README.md for the diagram):
//   1. order pending gangs: priority, then age, then id;
//   2. per gang: choose a topology domain when asked; then per replica
//   3.   filter nodes (each rejection counted under its filter's reason),
//   4.   score the survivors (weighted scorers; cached per node version when node-local),
//   5.   select the best node (ties by rank), choose GPUs inside it, assume it on the snapshot;
//   6. if fewer than minAvailable replicas fit, roll the gang back.
// Decisions stay assumed on the snapshot; a caller that wants a pure what-if marks the snapshot
// first and rolls back afterwards.

import { DEFAULT_FILTERS, type Filter } from './filters/index.js';
import { findMigSlot } from './mig.js';
import { isCacheable, type Policy } from './policy.js';
import { compileReplica, GPU_MIG, GPU_SHARE, GPU_WHOLE, type ReplicaShape } from './request.js';
import type { Rng } from './rng.js';
import type { ScoreContext } from './scorers/scorer.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
import { restrictToDomain } from './topology.js';
import type { GangDecision, GangRequest, RejectionReason, ReplicaPlacement, ScheduleResult, UnplacedReplica } from './types.js';
import { Workspace } from './workspace.js';

export interface SchedulerConfig {
  readonly policy: Policy;
  /** Defaults to DEFAULT_FILTERS. */
  readonly filters?: readonly Filter[];
  /** Record the per-scorer breakdown of every chosen node (default true). */
  readonly explain?: boolean;
}

// Scratch buffers and score caches, reused across calls. Never observable: a cached score is
// exactly what rescoring would give, so results do not depend on what is in here.
const workspaces = new WeakMap<Policy, WeakMap<Snapshot, Workspace>>();

function workspaceFor(policy: Policy, snap: Snapshot): Workspace {
  let bySnap = workspaces.get(policy);
  if (!bySnap) workspaces.set(policy, (bySnap = new WeakMap()));
  let ws = bySnap.get(snap);
  if (!ws) bySnap.set(snap, (ws = new Workspace(snap)));
  return ws;
}

export function orderGangs(pending: readonly GangRequest[]): GangRequest[] {
  return [...pending].sort(
    (a, b) => (b.priority ?? 0) - (a.priority ?? 0) || (a.submittedAt ?? 0) - (b.submittedAt ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

export function schedule(snap: Snapshot, pending: readonly GangRequest[], config: SchedulerConfig, now: number, rng: Rng): ScheduleResult {
  const ws = workspaceFor(config.policy, snap);
  const decisions = orderGangs(pending).map((gang) => scheduleGang(snap, gang, config, ws, rng));
  return { now, decisions };
}

function scheduleGang(snap: Snapshot, gang: GangRequest, config: SchedulerConfig, ws: Workspace, rng: Rng): GangDecision {
  const filters = config.filters ?? DEFAULT_FILTERS;
  const req = compileReplica(snap, gang);
  const replicas = gang.replicas;
  const need = Math.min(gang.minAvailable ?? replicas, replicas);
  const mark = snap.mark();
  let domain: Int32Array | null = null;
  if (gang.topology) {
    const nodes = ws.candidates;
    let count = allNodes(nodes, snap.nodeCount);
    for (const f of filters) count = f.filter(snap, req, nodes, count);
    const kept = restrictToDomain(snap, req, gang.topology, need, nodes, count);
    if (kept > 0) domain = nodes.slice(0, kept);
    else if (gang.topology.mode === 'required') {
      const message = `no ${gang.topology.within} can hold ${need} replicas (${count} feasible nodes)`;
      return { gangId: gang.id, placed: false, placements: [], unplaced: [{ replica: 0, rejected: { TopologyDomain: count }, message }] };
    }
  }
  const placements: ReplicaPlacement[] = [];
  const unplaced: UnplacedReplica[] = [];
  for (let r = 0; r < replicas; r++) {
    const result = placeReplica(snap, req, r, domain, filters, config, ws, rng);
    if ('rejected' in result) {
      unplaced.push(result);
      break;
    }
    placements.push(result);
  }
  if (placements.length >= need) return { gangId: gang.id, placed: true, placements, unplaced };
  snap.rollback(mark);
  return { gangId: gang.id, placed: false, placements: [], unplaced };
}

function allNodes(nodes: Int32Array, n: number): number {
  for (let i = 0; i < n; i++) nodes[i] = i;
  return n;
}

function placeReplica(
  snap: Snapshot,
  req: ReplicaShape,
  replica: number,
  domain: Int32Array | null,
  filters: readonly Filter[],
  config: SchedulerConfig,
  ws: Workspace,
  rng: Rng,
): ReplicaPlacement | UnplacedReplica {
  const nodes = ws.candidates;
  let count: number;
  if (domain) {
    nodes.set(domain);
    count = domain.length;
  } else count = allNodes(nodes, snap.nodeCount);
  const total = count;
  const rejected: Partial<Record<RejectionReason, number>> = {};
  for (const f of filters) {
    const before = count;
    count = f.filter(snap, req, nodes, count);
    if (count < before) rejected[f.reason] = (rejected[f.reason] ?? 0) + before - count;
  }
  if (count === 0) return { replica, rejected, message: explainRejection(total, rejected) };

  const policy = config.policy;
  const ctx: ScoreContext = { snap, req, rng };
  let node: number;
  if (count === 1) node = nodes[0]!; // nothing to compare: no scoring at all
  else if (policy.selection === 'uniform') node = nodes[rng.int(count)]!;
  else {
    scoreCandidates(policy, ctx, ws, count);
    node = selectBest(snap, nodes, ws.totals, count);
  }

  const delta = chooseGpus(snap, node, req, policy, rng);
  snap.assume(node, delta);
  const placement: ReplicaPlacement = {
    replica,
    node,
    nodeName: snap.nodeNames[node]!,
    gpus: Array.from(delta.gpus, (g) => g - snap.gpuStart[node]!),
    scores: {},
    total: 0,
    feasibleNodes: count,
  };
  if (delta.migMask !== 0) placement.migStart = Math.log2(delta.migMask & -delta.migMask);
  if (config.explain !== false) explainScores(snap, node, delta, policy, ctx, ws, placement);
  return placement;
}

/** Weighted totals of ws.candidates[0..count) into ws.totals, via the per-node cache if allowed. */
function scoreCandidates(policy: Policy, ctx: ScoreContext, ws: Workspace, count: number): void {
  const nodes = ws.candidates;
  if (!isCacheable(policy)) {
    weightedTotals(policy, ctx, nodes, count, ws.totals, ws.partial);
    return;
  }
  const sid = ws.shapeId(ctx.req.key);
  const misses = ws.lookup(sid, nodes, count);
  if (misses === 0) return;
  weightedTotals(policy, ctx, ws.missNodes, misses, ws.missTotals, ws.partial);
  ws.store(sid, misses, ws.missTotals);
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

function selectBest(snap: Snapshot, nodes: Int32Array, totals: Float64Array, count: number): number {
  const rank = snap.rank;
  let best = nodes[0]!;
  let bestScore = totals[0]!;
  for (let i = 1; i < count; i++) {
    const s = totals[i]!;
    const n = nodes[i]!;
    if (s > bestScore || (s === bestScore && rank[n]! < rank[best]!)) {
      best = n;
      bestScore = s;
    }
  }
  return best;
}

function chooseGpus(snap: Snapshot, n: number, req: ReplicaShape, policy: Policy, rng: Rng): NodeDelta {
  const gpus: number[] = [];
  let migMask = 0;
  if (req.gpuKind === GPU_WHOLE) {
    for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e && gpus.length < req.gpuCount; g++) {
      if (snap.gpuFree[g] === 1000) gpus.push(g);
    }
  } else if (req.gpuKind === GPU_SHARE) {
    gpus.push(policy.sharePicker.pick(snap, n, req, rng));
  } else if (req.gpuKind === GPU_MIG) {
    const slot = findMigSlot(snap, n, req);
    gpus.push(slot.gpu);
    migMask = slot.mask;
  }
  return { cpuMilli: req.cpuMilli, memoryBytes: req.memoryBytes, gpus, milliPerGpu: req.milliPerGpu, migMask, shapeClass: req.shapeClass };
}

/** Per-scorer scores of the chosen node, computed as they were before the replica landed. */
function explainScores(snap: Snapshot, node: number, delta: NodeDelta, policy: Policy, ctx: ScoreContext, ws: Workspace, out: ReplicaPlacement): void {
  if (policy.scorers.length === 0) return;
  snap.release(node, delta);
  const one = Int32Array.of(node);
  let total = 0;
  for (const { scorer, weight } of policy.scorers) {
    scorer.score(ctx, one, 1, ws.partial);
    out.scores[scorer.name] = ws.partial[0]!;
    total += weight * ws.partial[0]!;
  }
  out.total = total;
  snap.assume(node, delta);
}

function explainRejection(total: number, rejected: Partial<Record<RejectionReason, number>>): string {
  const parts = Object.entries(rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} ${reason}`);
  return `0/${total} nodes fit: ${parts.join(', ')}`;
}
