// Events: what happened to an object, for humans reading `weft describe`. Written inside the
// caller's transaction, so an event exists exactly when what it describes committed. The same
// (object, type, reason, source) again bumps count and lastTimestamp on one Event and takes the newest
// message, instead of adding another: a reason that keeps recurring with other words (a waiting
// workload's "why pending") is one Event, not one per wording. Events expire (event-expiry.ts).
import { createHash } from 'node:crypto';
import { SYSTEM_PROJECT } from '../model/kinds/event.js';
import type { Resource } from '../model/metadata.js';
import type { StoreTx } from '../store/types.js';

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Who reports it: "scheduler", "job-controller", … */
  source: string;
  /**
   * What makes a recurrence the same Event: the exact message (default), or the reason alone, for
   * reasons reported again and again in other words; the Event then shows the newest message.
   */
  aggregate?: 'message' | 'reason';
}

export const LABEL_INVOLVED_KIND = 'weft.dev/involved-kind';
export const LABEL_INVOLVED_NAME = 'weft.dev/involved-name';

/** One name per aggregated Event: a DNS label of at most 63 characters. */
export function eventName(obj: Resource, e: Pick<EventInput, 'type' | 'reason' | 'source' | 'message' | 'aggregate'>): string {
  const what = e.aggregate === 'reason' ? '' : `|${e.message}`;
  const h = createHash('sha256').update(`${obj.metadata.uid}|${e.type}|${e.reason}|${e.source}${what}`).digest('hex').slice(0, 10);
  const base = obj.metadata.name.slice(0, 50).replace(/-+$/, '');
  return `${base}-${h}`;
}

/** Records `e` about `obj` and returns the Event. Cluster-scoped objects' events go to weft-system. */
export async function recordEvent(tx: StoreTx, obj: Resource, e: EventInput, now: Date): Promise<Resource> {
  const project = obj.metadata.project ?? SYSTEM_PROJECT;
  const name = eventName(obj, e);
  const at = now.toISOString();
  const message = e.message.slice(0, 4096);
  const old = await tx.get({ kind: 'Event', project, name });
  if (old) {
    const spec = old.spec as { count?: number };
    return tx.update({ ...old, spec: { ...old.spec, message, count: (spec.count ?? 1) + 1, lastTimestamp: at } }, { resourceVersion: old.metadata.resourceVersion });
  }
  return tx.create({
    apiVersion: 'weft/v1',
    kind: 'Event',
    metadata: { name, project, labels: { [LABEL_INVOLVED_KIND]: obj.kind, [LABEL_INVOLVED_NAME]: obj.metadata.name } },
    spec: {
      type: e.type,
      reason: e.reason,
      message,
      involvedObject: { kind: obj.kind, name: obj.metadata.name, ...(obj.metadata.project ? { project: obj.metadata.project } : {}), uid: obj.metadata.uid },
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: e.source,
    },
  });
}
