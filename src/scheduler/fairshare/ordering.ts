// Order of pending gangs: priority (higher first), then the weighted dominant share of their
// queue (lower first), then age (older first), then id (determinism). Shares move as gangs are
// admitted, so the cycle takes gangs one at a time from `fairOrder`, which re-reads the shares
// before each pick: two busy queues then alternate instead of one taking everything first.
import type { GangRequest } from '../types.js';
import type { QueueUsage } from './accounting.js';

/** Share of the gang's queue now; 0 without queues or for a gang without a (known) queue. */
export function shareOf(gang: GangRequest, usage: QueueUsage | undefined): number {
  return usage && gang.queue !== undefined && usage.tree.has(gang.queue) ? usage.dominantShare(gang.queue) : 0;
}

export function compareGangs(a: GangRequest, b: GangRequest, shareA: number, shareB: number): number {
  return (
    (b.priority ?? 0) - (a.priority ?? 0) ||
    shareA - shareB ||
    (a.submittedAt ?? 0) - (b.submittedAt ?? 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A static order, with every queue's share as it is now. */
export function orderByFairShare(pending: readonly GangRequest[], usage?: QueueUsage): GangRequest[] {
  const shares = new Map(pending.map((g) => [g, shareOf(g, usage)]));
  return [...pending].sort((a, b) => compareGangs(a, b, shares.get(a)!, shares.get(b)!));
}

/**
 * Yields pending gangs in fair order, re-reading queue shares before each pick (the caller
 * charges admitted gangs to `usage` between picks). Within one queue the share is common, so
 * each queue's gangs are pre-sorted and only the queue heads are compared: O(gangs × queues).
 */
export function* fairOrder(pending: readonly GangRequest[], usage?: QueueUsage): Generator<GangRequest> {
  if (!usage) {
    yield* orderByFairShare(pending);
    return;
  }
  const groups = new Map<string, GangRequest[]>();
  for (const g of pending) {
    const k = g.queue ?? '';
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(g);
  }
  const lanes = [...groups.values()].map((list) => ({ list: list.sort((a, b) => compareGangs(a, b, 0, 0)), next: 0 }));
  for (;;) {
    let best: { lane: (typeof lanes)[number]; gang: GangRequest; share: number } | undefined;
    for (const lane of lanes) {
      const gang = lane.list[lane.next];
      if (!gang) continue;
      const share = shareOf(gang, usage);
      if (!best || compareGangs(gang, best.gang, share, best.share) < 0) best = { lane, gang, share };
    }
    if (!best) return;
    best.lane.next++;
    yield best.gang;
  }
}
