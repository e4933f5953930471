// Events a replica's own status tells, written in the same transaction as the status write that
// tells them (usually a node agent's):
//
//   message "Pulling image 42%"      Normal  Pulling         one Event per replica, its message the
//                                                            newest progress, rewritten only when the
//                                                            pull reaches another tenth (≤ 11 writes
//                                                            per pull however often the agent reports)
//   pulling → anything else          Normal  Pulled          the image is on the node
//   phase Failed, reason R           Warning R               ImagePullFailed, OOMKilled: the cause
//
// So `weft describe job` shows a pull's progress and how it ended without an Event per report.
import type { Resource } from '../model/metadata.js';
import type { EventInput } from './events.js';

const PULLING = /^Pulling image (\d{1,3})%/;
/** Causes an agent reports that a reader should see as Events of their own. */
const WARNED_REASONS: ReadonlySet<string> = new Set(['ImagePullFailed', 'OOMKilled']);

type Status = Record<string, unknown> | undefined;

function pullPercent(status: Status): number | undefined {
  const m = typeof status?.message === 'string' ? PULLING.exec(status.message) : null;
  return m ? Number(m[1]) : undefined;
}

/** The Events that the change from `before` to `after` (an Allocation's status) tells. */
export function replicaStatusEvents(alloc: Resource, before: Status, after: Status): EventInput[] {
  const image = (alloc.spec as { task?: { image?: string } }).task?.image;
  const of = image ? ` (${image})` : '';
  const was = pullPercent(before);
  const now = pullPercent(after);
  const out: EventInput[] = [];
  if (now !== undefined && (was === undefined || Math.floor(now / 10) !== Math.floor(was / 10))) {
    out.push({ type: 'Normal', reason: 'Pulling', message: `Pulling image ${now}%${of}`, source: 'node-agent', aggregate: 'reason' });
  }
  if (was !== undefined && now === undefined && after?.reason !== 'ImagePullFailed' && after?.phase !== 'Stopped') {
    out.push({ type: 'Normal', reason: 'Pulled', message: `Pulled image${of}`, source: 'node-agent', aggregate: 'reason' });
  }
  const reason = after?.reason;
  if (after?.phase === 'Failed' && before?.phase !== 'Failed' && typeof reason === 'string' && WARNED_REASONS.has(reason)) {
    out.push({ type: 'Warning', reason, message: typeof after.message === 'string' ? after.message : reason, source: 'node-agent' });
  }
  return out;
}
