// Watch over Server-Sent Events as an async iterable. It remembers the last resourceVersion it
// delivered, reconnects with it after a dropped connection (so no change is missed or repeated),
// and when the server says that version is too old (410 Gone) it relists and hands the caller
// the fresh state as one SYNC message before watching on.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { onAbort, sleep } from '../model/abort.js';
import type { Resource } from '../model/metadata.js';
import { WeftApiError, type ProblemDetails } from './errors.js';
import { isObject } from './apply.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: Resource;
}

/** The complete current state, sent first (when no resourceVersion was given) and after a relist. */
export interface SyncEvent {
  type: 'SYNC';
  objects: Resource[];
  resourceVersion: string;
}

export type WatchMessage = WatchEvent | SyncEvent;

export interface WatchOptions {
  project?: string;
  labelSelector?: string;
  /** "metadata.name=<name>": follow only the object of that name (the SYNC holds it alone, or nothing). */
  fieldSelector?: string;
  /** Deliver changes after this version. Absent: list first (SYNC), then watch from the list. */
  resourceVersion?: string;
  signal?: AbortSignal;
  /** Reconnect after a dropped stream or a server error (default true). */
  reconnect?: boolean;
  /** Upper bound of the reconnect back-off in ms (default 5000). */
  maxBackoffMs?: number;
}

/** What the watch loop needs from the client; kept narrow so it is easy to reason about. */
export interface WatchTransport {
  open(path: string, query: Record<string, string>, signal: AbortSignal): Promise<Response>;
  relist(): Promise<{ items: Resource[]; resourceVersion: string }>;
}

const TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED']);

class Relist extends Error {}

export async function* watchEvents(t: WatchTransport, path: string, opts: WatchOptions): AsyncGenerator<WatchMessage> {
  const inner = new AbortController();
  const stopListening = opts.signal ? onAbort(opts.signal, () => inner.abort()) : () => undefined;
  const reconnect = opts.reconnect ?? true;
  const maxBackoff = opts.maxBackoffMs ?? 5000;
  let rv = opts.resourceVersion;
  let failures = 0;
  try {
    while (!inner.signal.aborted) {
      if (rv === undefined) {
        const list = await t.relist();
        rv = list.resourceVersion;
        yield { type: 'SYNC', objects: list.items, resourceVersion: rv };
      }
      const query: Record<string, string> = { watch: 'true', resourceVersion: rv };
      if (opts.labelSelector) query.labelSelector = opts.labelSelector;
      if (opts.fieldSelector) query.fieldSelector = opts.fieldSelector;
      let res: Response;
      try {
        res = await t.open(path, query, inner.signal);
      } catch (err) {
        if (inner.signal.aborted) return;
        if (!reconnect) throw err;
        await sleep(backoff(++failures, maxBackoff), inner.signal);
        continue;
      }
      if (res.status === 410) {
        await res.body?.cancel();
        rv = undefined;
        continue;
      }
      if (!res.ok || !res.body) {
        const err = await WeftApiError.fromResponse(res, 'GET', path);
        if (!reconnect || (res.status < 500 && res.status !== 429)) throw err;
        await sleep(backoff(++failures, maxBackoff), inner.signal);
        continue;
      }
      failures = 0;
      try {
        for await (const ev of readStream(res.body, inner.signal)) {
          // The change's own version; the event id carries it too, but the object is authoritative.
          rv = ev.object.metadata.resourceVersion ?? rv;
          yield ev;
        }
      } catch (err) {
        if (err instanceof Relist) {
          rv = undefined;
          continue;
        }
        if (inner.signal.aborted) return;
        if (!reconnect || err instanceof WeftApiError) throw err;
      }
      if (!reconnect || inner.signal.aborted) return;
      await sleep(backoff(1, maxBackoff), inner.signal);
    }
  } finally {
    stopListening();
    inner.abort();
  }
}

async function* readStream(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  for await (const m of sseMessages(body, signal)) {
    const ev = decode(m);
    if (ev) yield ev;
  }
}

/** The Server-Sent Events of a response body, one message at a time, until it ends or `signal` aborts. */
export async function* sseMessages(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (m) => pending.push(m) });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(decoder.decode(value, { stream: true }));
      while (pending.length > 0) yield pending.shift()!;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Accepts `data: {type, object}`, or `event: TYPE` with the object as data. */
function decode(m: EventSourceMessage): WatchEvent | undefined {
  let data: unknown;
  try {
    data = JSON.parse(m.data);
  } catch {
    return undefined; // keep-alives and anything not JSON
  }
  if (!isObject(data)) return undefined;
  const type = typeof data.type === 'string' ? data.type : m.event;
  const object = 'object' in data ? data.object : data;
  if (type === 'ERROR' || m.event === 'error') {
    const problem = (isObject(object) ? object : data) as ProblemDetails;
    const status = typeof problem.status === 'number' ? problem.status : 500;
    if (status === 410 || problem.code === 'Gone') throw new Relist();
    throw new WeftApiError(status, problem);
  }
  if (!type || !TYPES.has(type) || !isObject(object) || !isObject(object.metadata)) return undefined;
  return { type: type as WatchEventType, object: object as unknown as Resource };
}

/** Reconnect delay after `failures` failed tries: exponential, capped, with jitter. */
export function backoff(failures: number, max: number): number {
  return Math.min(max, 250 * 2 ** Math.min(failures, 10)) * (0.5 + Math.random() / 2);
}
