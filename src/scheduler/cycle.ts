// One scheduling cycle (see README.md for the diagram):
//   1. order pending gangs: priority, then their queue's weighted dominant share, then age, then id;
//   2. per gang: queue admission (fairshare/: GPU models and replicas its queue may take), then
//      choose a topology domain when asked; then per replica
//   3.   filter nodes (each rejection counted under its filter's reason),
//   4.   score the survivors (weighted scorers; cached per node version when node-local),
//   5.   select the best node (ties by rank), choose GPUs inside it, assume it on the snapshot;
//   6. if fewer than minAvailable replicas fit, roll the gang back; else charge it to its queue.
//   7. backfill (config.backfill): the first gang that cannot be placed gets a reservation, and
//      later gangs keep off its nodes unless they end before it is due (backfill.ts);
//   8. every unplaced gang gets its "why pending" explanation and reasons (explain.ts).
// Isolation tiers are filters (filters/isolation.ts) over tenant marks kept on the snapshot;
// a topology request chooses its domain first and reports the locality achieved (topology.ts).
// Decisions stay assumed on the snapshot; a caller that wants a pure what-if marks the snapshot
// first and rolls back afterwards.

import { migMilli } from '../model/allocation-rules.js';
import { DEFAULT_FILTERS, type Filter } from './filters/index.js';
import { findMigSlot } from './mig.js';
import { nodeClassesOf } from './node-classes.js';
import { activeTieBreak, type Policy } from './policy.js';
import { compileReplica, GPU_MIG, GPU_NONE, GPU_SHARE, GPU_WHOLE, type ReplicaShape } from './request.js';
import type { Rng } from './rng.js';
import type { ScoreContext } from './scorers/scorer.js';
import { unsatisfiable, type Refusal } from './satisfiable.js';
import { GangScan, type Rejections } from './scan.js';
import type { NodeDelta, Snapshot } from './snapshot.js';
import { Backfill, type BackfillConfig } from './backfill.js';
import { explainUnplaced } from './explain.js';
import { chooseDomain, domainFreeGpus, domainName, domainOf } from './topology.js';
import type { BookedCapacity, GangDecision, GangRequest, Locality, ReplicaPlacement, ScheduleResult, UnplacedReplica } from './types.js';
import { Bookings } from './bookings.js';
import { Workspace } from './workspace.js';
import type { QueueUsage } from './fairshare/accounting.js';
import { admitToQueue, chargePlaced } from './fairshare/admission.js';
import { fairOrder, orderByFairShare } from './fairshare/ordering.js';

export interface SchedulerConfig {
  readonly policy: Policy;
  /** Defaults to DEFAULT_FILTERS. */
  readonly filters?: readonly Filter[];
  /** Record the per-scorer breakdown of every chosen node (default true). */
  readonly explain?: boolean;
  /** Fair-share queue state: ordering by share and queue admission; admitted gangs are charged to it. */
  readonly queues?: QueueUsage;
  /** Running work with its expected ends: enables backfill with one reservation (backfill.ts). */
  readonly backfill?: BackfillConfig;
  /** Capacity booked by reservations (the capacity calendar): held against other work (bookings.ts). */
  readonly bookings?: readonly BookedCapacity[];
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

/** Priority, then the weighted dominant share of the gang's queue (shares as they are now), then age. */
export function orderGangs(pending: readonly GangRequest[], queues?: QueueUsage): GangRequest[] {
  return orderByFairShare(pending, queues);
}

const NONE: ReadonlyMap<number, string> = new Map();

export function schedule(snap: Snapshot, pending: readonly GangRequest[], config: SchedulerConfig, now: number, rng: Rng): ScheduleResult {
  const ws = workspaceFor(config.policy, snap);
  const base = config.filters ?? DEFAULT_FILTERS;
  const backfill = config.backfill ? new Backfill(config.backfill, now) : null;
  const bookings = (config.bookings?.length ?? 0) > 0 || pending.some((g) => g.reservation !== undefined) ? new Bookings(snap, config.bookings ?? [], now, pending) : null;
  // Booked nodes classed by what is booked there, so the unbooked rest still scans by class.
  nodeClassesOf(snap).tag(bookings?.tags ?? NONE);
  const ordered: GangRequest[] = [];
  // Fair order re-reads queue shares before each pick, as admitted gangs are charged.
  const decisions = Array.from(fairOrder(pending, config.queues), (gang) => {
    ordered.push(gang);
    const d = placeGang(snap, gang, config, bookings ? bookings.filtersFor(gang, base) : base, ws, rng, backfill);
    const inactive = !d.placed ? bookings?.reason(gang) : null;
    if (inactive) d.reasons = [...(d.reasons ?? []), inactive];
    return d;
  });
  explainUnplaced(ordered, decisions, now, backfill?.reservation ?? null);
  return { now, decisions };
}

/** One gang with backfill around it: kept off reserved nodes if it would delay them; reserves if it is first to wait. */
function placeGang(
  snap: Snapshot,
  gang: GangRequest,
  config: SchedulerConfig,
  base: readonly Filter[],
  ws: Workspace,
  rng: Rng,
  backfill: Backfill | null,
): GangDecision {
  const deltas: NodeDelta[] = [];
  const d = scheduleGang(snap, gang, config, ws, rng, backfill ? backfill.filtersFor(gang, base) : base, deltas);
  if (!backfill) return d;
  if (d.placed) backfill.placed(gang, d, deltas);
  else if (!d.refused && !d.reasons?.some((r) => r.code.startsWith('Queue') || r.code === 'IsolationMismatch')) {
    // What-ifs only: no queue charging, no score breakdown; everything is rolled back by reserve().
    const probe: SchedulerConfig = { policy: config.policy, filters: base, explain: false };
    const r = backfill.reserve(snap, gang, (s) => scheduleGang(s, gang, probe, ws, rng, base, []));
    if (r) d.reservation = r;
  }
  return d;
}

function scheduleGang(
  snap: Snapshot,
  asked: GangRequest,
  config: SchedulerConfig,
  ws: Workspace,
  rng: Rng,
  filters: readonly Filter[],
  deltas: NodeDelta[],
): GangDecision {
  const admission = admitToQueue(snap, asked, config.queues); // queue limits: models and replicas it may take
  if (!admission.ok) return admission.decision;
  const gang = admission.gang;
  const mismatch = isolationMismatch(gang);
  if (mismatch) return mismatch;
  const classes = nodeClassesOf(snap);
  const never = unsatisfiable(snap, classes, gang, filters);
  if (never) return refused(gang, never);
  const req = compileReplica(snap, gang);
  const scan = new GangScan(snap, req, filters, config.policy, ws, classes);
  const replicas = gang.replicas;
  const need = Math.min(gang.minAvailable ?? replicas, replicas);
  const mark = snap.mark();
  // Domains to try in turn: the chosen topology domain, then (preferred only) anywhere.
  const tries: (Int32Array | null)[] = [null];
  let locality: Locality | undefined;
  const topo = gang.topology;
  if (topo) {
    const nodes = ws.candidates;
    const count = scan.feasible(nodes);
    const choice = chooseDomain(snap, req, topo, need, nodes, count);
    locality = { within: topo.within, mode: topo.mode, achieved: false };
    if (choice.count > 0) {
      tries.unshift(nodes.slice(0, choice.count));
      if (topo.mode === 'required') tries.pop();
    } else if (topo.mode === 'required' && count > 0) {
      return topologyRefusal(snap, gang, req, choice, count, need);
    }
  }
  let unplaced: UnplacedReplica[] = [];
  for (const domain of tries) {
    const placements: ReplicaPlacement[] = [];
    unplaced = [];
    deltas.length = 0;
    for (let r = 0; r < replicas; r++) {
      const result = placeReplica(snap, req, r, domain, scan, config, ws, rng, deltas);
      if ('rejected' in result) {
        unplaced.push(result);
        break;
      }
      placements.push(result);
    }
    if (placements.length >= need) {
      const borrowed = chargePlaced(snap, config.queues, gang, placements);
      const d: GangDecision = { gangId: gang.id, placed: true, placements, unplaced, ...(borrowed ? { borrowed } : {}) };
      if (locality) d.locality = achievedLocality(snap, locality, placements);
      return d;
    }
    snap.rollback(mark);
  }
  deltas.length = 0;
  const d: GangDecision = { gangId: gang.id, placed: false, placements: [], unplaced };
  if (locality) d.locality = locality;
  return d;
}

/** `mig` isolation is a hardware partition: a GPU request under it must be a MIG profile. */
function isolationMismatch(gang: GangRequest): GangDecision | null {
  const g = gang.resources.gpu;
  if (gang.isolation !== 'mig' || g.kind === 'mig' || g.kind === 'none') return null;
  const asked = g.kind === 'whole' ? `${g.count} whole GPU${g.count === 1 ? '' : 's'}` : `a ${g.milli / 1000} GPU share`;
  const message = `isolation mig needs a MIG request (resources.gpu.mig), got ${asked}`;
  return {
    gangId: gang.id,
    placed: false,
    placements: [],
    unplaced: [{ replica: 0, rejected: {}, message }],
    reasons: [{ code: 'IsolationMismatch', message, data: { isolation: 'mig', gpu: g.kind } }],
  };
}

/** A gang that cannot fit even an empty fleet (satisfiable.ts): refused, with the reason. */
function refused(gang: GangRequest, why: Refusal): GangDecision {
  return {
    gangId: gang.id,
    placed: false,
    refused: true,
    placements: [],
    unplaced: [{ replica: 0, rejected: { ...why.rejected }, message: why.reason.message }],
    reasons: [why.reason],
  };
}

/** Required topology that no domain satisfies: say which domain came closest and what it has. */
function topologyRefusal(snap: Snapshot, gang: GangRequest, req: ReplicaShape, choice: ReturnType<typeof chooseDomain>, feasible: number, need: number): GangDecision {
  const within = gang.topology!.within;
  const best = choice.bestDomain >= 0 ? domainName(snap, within, choice.bestDomain) : undefined;
  const free = choice.bestDomain >= 0 && req.gpuKind !== GPU_NONE ? domainFreeGpus(snap, req, within, choice.bestDomain) : undefined;
  const has = free !== undefined ? `${free} free GPU${free === 1 ? '' : 's'} (room for ${choice.bestReplicas} of ${need} replicas)` : `room for ${choice.bestReplicas} of ${need} replicas`;
  const text = best !== undefined ? `best ${within} ${best} has ${has}` : `no ${within} has room`;
  const message = `no ${within} can hold ${need} replicas (${feasible} feasible nodes)`;
  const data: Record<string, unknown> = { within, need, feasibleNodes: feasible, bestReplicas: choice.bestReplicas };
  if (best !== undefined) data['bestDomain'] = best;
  if (free !== undefined) data['bestFreeGpus'] = free;
  const locality: Locality = { within, mode: 'required', achieved: false };
  if (best !== undefined) locality.domain = best;
  return {
    gangId: gang.id,
    placed: false,
    placements: [],
    unplaced: [{ replica: 0, rejected: { TopologyDomain: feasible }, message }],
    reasons: [{ code: 'TopologyDomain', message: text, data }],
    locality,
  };
}

/** Locality as placed: achieved when every replica sits in one domain of the asked kind. */
function achievedLocality(snap: Snapshot, asked: Locality, placements: readonly ReplicaPlacement[]): Locality {
  const dom = domainOf(snap, asked.within);
  const first = dom[placements[0]!.node]!;
  const achieved = placements.every((p) => dom[p.node] === first);
  const out: Locality = { within: asked.within, mode: asked.mode, achieved };
  if (achieved) out.domain = domainName(snap, asked.within, first);
  return out;
}

function placeReplica(
  snap: Snapshot,
  req: ReplicaShape,
  replica: number,
  domain: Int32Array | null,
  scan: GangScan,
  config: SchedulerConfig,
  ws: Workspace,
  rng: Rng,
  deltas: NodeDelta[],
): ReplicaPlacement | UnplacedReplica {
  const found = scan.find(domain, rng);
  if ('rejected' in found) return { replica, rejected: found.rejected, message: explainRejection(found.total, found.rejected) };
  const { node } = found;
  const policy = config.policy;
  const delta = chooseGpus(snap, node, req, policy, rng);
  snap.assume(node, delta);
  deltas.push(delta);
  const placement: ReplicaPlacement = {
    replica,
    node,
    nodeName: snap.nodeNames[node]!,
    gpus: Array.from(delta.gpus, (g) => g - snap.gpuStart[node]!),
    scores: {},
    total: 0,
    feasibleNodes: found.feasible,
  };
  if (delta.migMask !== 0) placement.migStart = Math.log2(delta.migMask & -delta.migMask);
  if (config.explain !== false) explainScores(snap, node, delta, policy, { snap, req, rng }, ws, placement);
  return placement;
}

function chooseGpus(snap: Snapshot, n: number, req: ReplicaShape, policy: Policy, rng: Rng): NodeDelta {
  const gpus: number[] = [];
  let migMask = 0;
  if (req.gpuKind === GPU_WHOLE) {
    for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e && gpus.length < req.gpuCount; g++) {
      if (snap.gpuFree[g] === 1000 && !(req.passthrough && snap.gpuNoPassthrough[g] === 1)) gpus.push(g);
    }
  } else if (req.gpuKind === GPU_SHARE) {
    gpus.push(pickShareableGpu(snap, n, req, policy, rng));
  } else if (req.gpuKind === GPU_MIG) {
    const slot = findMigSlot(snap, n, req);
    gpus.push(slot.gpu);
    migMask = slot.mask;
  }
  return {
    cpuMilli: req.cpuMilli,
    memoryBytes: req.memoryBytes,
    gpus,
    milliPerGpu: req.milliPerGpu,
    migMask,
    ...(req.migProfile !== null ? { migMilli: migMilli(req.migProfile) } : {}),
    shapeClass: req.shapeClass,
    tenant: req.tenant,
    exclusive: req.exclusive,
    allowSharing: req.allowSharing,
  };
}

/** The policy's GPU for a share, among the GPUs this tenant may share (the others are hidden from it meanwhile). */
function pickShareableGpu(snap: Snapshot, n: number, req: ReplicaShape, policy: Policy, rng: Rng): number {
  if (snap.tenants.anyGpuShareable(req.tenant, req.allowSharing)) return policy.sharePicker.pick(snap, n, req, rng);
  const free = snap.gpuFree;
  const hidden: number[] = [];
  for (let g = snap.gpuStart[n]!, e = snap.gpuStart[n + 1]!; g < e; g++) {
    if (free[g]! >= req.milliPerGpu && !snap.gpuShareAllowed(g, req.tenant, req.allowSharing)) {
      hidden.push(g, free[g]!);
      free[g] = 0;
    }
  }
  try {
    return policy.sharePicker.pick(snap, n, req, rng);
  } finally {
    for (let i = 0; i < hidden.length; i += 2) free[hidden[i]!] = hidden[i + 1]!;
  }
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
  // Shown beside the others, outside the total: it only decided between equal totals.
  const tie = activeTieBreak(policy, ctx.req);
  if (tie) {
    tie.score(ctx, one, 1, ws.partial);
    out.scores[tie.name] = ws.partial[0]!;
  }
  snap.assume(node, delta);
}

function explainRejection(total: number, rejected: Rejections): string {
  const parts = Object.entries(rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${n} ${reason}`);
  return `0/${total} nodes fit: ${parts.join(', ')}`;
}
