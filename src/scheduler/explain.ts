// "Why pending" (README "Explanations"): for each unplaced gang, structured reasons and one short
// human sentence assembled from them, e.g.
//   "needs 2 replicas of 8×H100-80GB within one rack; best rack r2 has 6 free; 3 gangs ahead in
//    queue team-a; quota H100 32/32 used"
// Reasons already on the decision (topology from the cycle, QueueQuota from fair-share admission)
// are kept and ordered; this file adds the node rejections, the queue position and backfill's word.
import type { GangDecision, GangRequest, RejectionReason, SchedulingReason } from './types.js';

/** How each filter's rejection reads in a sentence ("12 nodes <label>"). */
const REJECTION_TEXT: Record<RejectionReason, string> = {
  NodeUnschedulable: 'unschedulable',
  SiteNotAllowed: 'outside the allowed sites',
  OutsideResidency: "outside the project's data residency",
  GpuModelNotAllowed: 'with another GPU model',
  InsufficientCpu: 'short of CPU',
  InsufficientMemory: 'short of memory',
  InsufficientGpu: 'short of free GPUs',
  TopologyDomain: 'outside the topology domain',
  NodeExclusive: 'closed by exclusive-node isolation',
  GpuSharingNotAllowed: 'with GPU room only where sharing is not allowed',
  Reserved: 'reserved for a gang ahead',
  VolumeNotOnNode: 'without its volumes',
  CapacityReserved: 'booked by a reservation',
  OutsideReservation: 'outside its reservation',
  GpuNotPassthrough: 'without enough GPUs that can be passed through to a VM',
};

/** Order of reason codes in the sentence: what the gang needs first, then why it waits. */
const ORDER = ['Unsatisfiable', 'IsolationMismatch', 'TopologyDomain', 'Nodes', 'Residency', 'QueueUnknown', 'QueueQuota', 'QueuePosition', 'Reserved', 'Reservation', 'ReservationInactive'];

export interface ExplainContext {
  now: number;
  /** Unplaced gangs ordered ahead of this one in the same queue (all of them when it has none). */
  ahead: number;
  /** The reservation this gang was kept off, when backfill restricted it. */
  heldBy?: { gangId: string; at: number } | undefined;
}

/** What one replica asks for, e.g. "8×H100-80GB", "0.25 GPU", "MIG 1g.10gb", "4 CPU". */
export function demandText(gang: GangRequest): string {
  const r = gang.resources;
  const models = r.gpuModels && r.gpuModels.length > 0 ? r.gpuModels.join('|') : 'GPU';
  const g = r.gpu;
  if (g.kind === 'whole') return `${g.count}×${models}`;
  if (g.kind === 'share') return `${g.milli / 1000} ${models}`;
  if (g.kind === 'mig') return `MIG ${g.profile}`;
  return `${r.cpuMilli / 1000} CPU`;
}

export function needsText(gang: GangRequest): string {
  const shape = demandText(gang);
  const need = Math.min(gang.minAvailable ?? gang.replicas, gang.replicas);
  const what = need > 1 ? `${need} replicas of ${shape}` : shape;
  const where = gang.topology ? ` within one ${gang.topology.within}` : '';
  return `needs ${what}${where}`;
}

/** "25m", "1h05m", "40s": how far ahead `at` is. */
export function formatIn(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Node rejections of the first unplaced replica as one reason ("0/12 nodes fit: 8 short of free GPUs, …"). */
function nodeReason(gang: GangRequest, d: GangDecision): SchedulingReason | null {
  const u = d.unplaced[0];
  if (!u) return null;
  const entries = (Object.entries(u.rejected) as [RejectionReason, number][]).filter(([code, n]) => n > 0 && code !== 'TopologyDomain');
  if (entries.length === 0) return null;
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const total = entries.reduce((s, [, n]) => s + n, 0);
  const parts = entries.map(([code, n]) => `${n} ${REJECTION_TEXT[code] ?? code}`);
  const partial = u.replica > 0 ? `only ${u.replica} of ${gang.replicas} replicas fit; ` : '';
  return {
    code: 'Nodes',
    message: `${partial}0/${total} nodes fit (${parts.join(', ')})`,
    data: { replica: u.replica, rejected: { ...u.rejected } },
  };
}

/** Fills `explanation` and `reasons` of an unplaced decision (placed ones are left alone). */
export function explainDecision(gang: GangRequest, d: GangDecision, ctx: ExplainContext): void {
  if (d.placed) return;
  const reasons: SchedulingReason[] = [...(d.reasons ?? [])];
  const has = (code: string): boolean => reasons.some((r) => r.code === code);
  // A refused gang's node counts are the empty fleet's: the refusal already says what they mean.
  const nodes = d.refused ? null : nodeReason(gang, d);
  if (nodes && !has('TopologyDomain')) reasons.push(nodes);
  const outside = d.unplaced[0]?.rejected.OutsideResidency ?? 0;
  if (gang.residency && outside > 0) {
    const sites = gang.residency.sites;
    reasons.push({
      code: 'Residency',
      message: `data residency allows ${sites.length ? `only ${sites.join(', ')}` : 'no site'} (${gang.residency.rule})`,
      data: { sites: [...sites], rule: gang.residency.rule, nodes: outside },
    });
  }
  const position = queuePositionReason(ctx.ahead, gang.queue);
  if (position) reasons.push(position);
  if (ctx.heldBy && nodes && (nodes.data?.['rejected'] as Record<string, number>)['Reserved']) {
    reasons.push({
      code: 'Reserved',
      message: `kept off nodes reserved for ${ctx.heldBy.gangId}, due in ${formatIn(ctx.heldBy.at - ctx.now)}`,
      data: { gangId: ctx.heldBy.gangId, at: ctx.heldBy.at },
    });
  }
  if (d.reservation && !has('Reservation')) {
    const n = d.reservation.nodes.length;
    reasons.push({
      code: 'Reservation',
      message: `expected to start in ${formatIn(d.reservation.at - ctx.now)} on ${n} reserved node${n === 1 ? '' : 's'}`,
      data: { at: d.reservation.at, nodes: d.reservation.nodes },
    });
  }
  reasons.sort((a, b) => rank(a.code) - rank(b.code));
  d.reasons = reasons;
  d.needs = needsText(gang);
  d.explanation = explanationText(d.needs, reasons);
}

function rank(code: string): number {
  const i = ORDER.indexOf(code);
  return i < 0 ? ORDER.length : i;
}

/** The one sentence: what the gang needs, then each reason's message in order. */
export function explanationText(needs: string, reasons: readonly SchedulingReason[]): string {
  return [needs, ...reasons.map((r) => r.message)].join('; ');
}

/** The queue-position reason for `ahead` gangs waiting before this one (none when 0). */
export function queuePositionReason(ahead: number, queue: string | undefined): SchedulingReason | undefined {
  if (ahead <= 0) return undefined;
  const q = queue ? ` in queue ${queue}` : '';
  return { code: 'QueuePosition', message: `${ahead} gang${ahead === 1 ? '' : 's'} ahead${q}`, data: { ahead, queue } };
}

/** `reasons` with `extra` put in its place in the order (replacing one of the same code). */
export function withReason(reasons: readonly SchedulingReason[], extra: SchedulingReason): SchedulingReason[] {
  const out = reasons.filter((r) => r.code !== extra.code);
  const at = out.findIndex((r) => rank(r.code) > rank(extra.code));
  out.splice(at < 0 ? out.length : at, 0, extra);
  return out;
}

/**
 * Explains every unplaced decision of a cycle. `ordered[i]` is the gang behind `decisions[i]`, in
 * the order the cycle took them; `held` is the cycle's backfill reservation, if any.
 */
export function explainUnplaced(
  ordered: readonly GangRequest[],
  decisions: readonly GangDecision[],
  now: number,
  held: { gangId: string; at: number } | null,
): void {
  const waitingPerQueue = new Map<string | undefined, number>();
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    if (d.placed) continue;
    const gang = ordered[i]!;
    const ahead = waitingPerQueue.get(gang.queue) ?? 0;
    explainDecision(gang, d, { now, ahead: d.refused ? 0 : ahead, heldBy: held && held.gangId !== gang.id ? held : undefined });
    // A refused gang is not in line: it holds nobody back.
    if (!d.refused) waitingPerQueue.set(gang.queue, ahead + 1);
  }
}
