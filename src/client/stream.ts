// Many watches and the fleet summary on one Server-Sent Events stream (GET /api/v1/stream;
// docs/api.md, "Many watches on one stream"). This opens one stream and yields its frames; who
// calls it decides when to open another (the console does when the set it shows changes, resuming
// each watch from the last version it saw).
import type { Resource } from '../model/metadata.js';
import type { FleetSummary } from '../model/summary.js';
import type { WeftClient } from './client.js';
import { WeftApiError, type ProblemDetails } from './errors.js';
import { isObject } from './apply.js';
import { sseMessages, type WatchEventType } from './watch.js';

export const STREAM_PATH = '/api/v1/stream';

export interface StreamWatchSpec {
  /** Chosen by the caller; frames of this watch carry it. */
  id: string;
  /** A kind or its plural. */
  kind: string;
  project?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Changes after this version are delivered: list first, then watch from the list's version. */
  resourceVersion: string;
}

export type StreamFrame =
  | { watch: string; type: WatchEventType; object: Resource }
  /** That watch has ended: 403 (not allowed), 410 (its version is too old: relist), or a server error. */
  | { watch: string; type: 'ERROR'; error: WeftApiError }
  | { type: 'SUMMARY'; summary: FleetSummary }
  /** The summary has ended. */
  | { type: 'ERROR'; error: WeftApiError };

const CHANGE_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED']);

/**
 * Opens one stream and yields its frames until it ends or `signal` aborts. A refusal of the whole
 * request (400, 401) throws a WeftApiError; a dropped connection simply ends the iteration.
 */
export async function* openStream(client: WeftClient, what: { watches: StreamWatchSpec[]; summary?: boolean }, signal: AbortSignal): AsyncGenerator<StreamFrame> {
  const query: Record<string, string> = {};
  if (what.watches.length > 0) query.watches = JSON.stringify(what.watches);
  if (what.summary) query.summary = 'true';
  const res = await client.fetch('GET', STREAM_PATH, { query, accept: 'text/event-stream', signal });
  if (!res.ok || !res.body) throw await WeftApiError.fromResponse(res, 'GET', STREAM_PATH);
  for await (const m of sseMessages(res.body, signal)) {
    const frame = decode(m.data);
    if (frame) yield frame;
  }
}

function decode(text: string): StreamFrame | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined; // keep-alives and anything not JSON
  }
  if (!isObject(data) || typeof data.type !== 'string') return undefined;
  const watch = typeof data.watch === 'string' ? data.watch : undefined;
  if (data.type === 'ERROR') {
    const problem = (isObject(data.object) ? data.object : {}) as ProblemDetails;
    const error = new WeftApiError(typeof problem.status === 'number' ? problem.status : 500, problem, 'GET', STREAM_PATH);
    return watch !== undefined ? { watch, type: 'ERROR', error } : { type: 'ERROR', error };
  }
  if (data.type === 'SUMMARY' && isObject(data.object)) return { type: 'SUMMARY', summary: data.object as unknown as FleetSummary };
  if (watch !== undefined && CHANGE_TYPES.has(data.type) && isObject(data.object) && isObject(data.object.metadata)) {
    return { watch, type: data.type as WatchEventType, object: data.object as unknown as Resource };
  }
  return undefined;
}
