// Status conditions, Kubernetes-style: one entry per type whose lastTransitionTime only moves when
// the status flips, so "since when" stays meaningful across idempotent re-writes.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

export function readConditions(status: Record<string, unknown> | undefined): Condition[] {
  const c = status?.conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

/** Returns a new list with `c` set; the transition time is kept when the status did not change. */
export function setCondition(list: readonly Condition[], c: Omit<Condition, 'lastTransitionTime'>, now: Date): Condition[] {
  const old = list.find((x) => x.type === c.type);
  const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now.toISOString();
  const next: Condition = { type: c.type, status: c.status, lastTransitionTime };
  if (c.reason !== undefined) next.reason = c.reason;
  if (c.message !== undefined) next.message = c.message;
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return [...list];
  return old ? list.map((x) => (x.type === c.type ? next : x)) : [...list, next];
}

export function conditionTrue(list: readonly Condition[], type: string): boolean {
  return list.some((x) => x.type === type && x.status === 'True');
}
