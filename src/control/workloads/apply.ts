// Writing a controller's decision: stop requests, the workload's new status and events, all in
// the caller's transaction. Writes happen only when something changed, so a pass over a settled
// workload is read-only (and the watch stays quiet).
import { isDeepStrictEqual } from 'node:util';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { graceOf, requestStop } from './allocations.js';
import { recordEvent, type EventInput } from '../events.js';

/** An event a controller emits about the workload it reconciles. */
export type WorkloadEvent = Omit<EventInput, 'source'>;

export interface Decision {
  status: Record<string, unknown>;
  stops: { alloc: Resource; reason: string }[];
  events: WorkloadEvent[];
}

/** Applies `d` to `workload`; returns whether anything was written. */
export async function applyDecision(tx: StoreTx, workload: Resource, d: Decision, now: Date): Promise<boolean> {
  let changed = false;
  const seen = new Set<string>();
  for (const { alloc, reason } of d.stops) {
    if (seen.has(alloc.metadata.name)) continue;
    seen.add(alloc.metadata.name);
    if (await requestStop(tx, alloc, reason, now, graceOf(workload))) changed = true;
  }
  if (!isDeepStrictEqual(workload.status ?? {}, d.status)) {
    await tx.update({ ...workload, status: d.status }, { resourceVersion: workload.metadata.resourceVersion });
    changed = true;
  }
  const source = `${workload.kind.toLowerCase()}-controller`;
  for (const e of d.events) await recordEvent(tx, workload, { ...e, source }, now);
  return changed;
}
