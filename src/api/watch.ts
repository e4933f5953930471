// Watch as Server-Sent Events. Each change is `id: <resourceVersion>` + `data: {type, object}`;
// comment lines keep idle streams open through proxies. The stream sees exactly what a list by
// the same caller would: the store filters by kind/project/labels/name and `accept` re-checks every
// object, so a mistake in one layer cannot leak another project's objects.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { onAbort } from '../model/abort.js';
import type { Resource } from '../model/metadata.js';
import type { Store, WatchEvent } from '../store/types.js';
import { toProblem } from './problem.js';

export interface WatchRequest {
  kind: string;
  project?: string;
  projects?: string[];
  labelSelector?: string;
  /** Only the object with this metadata.name (fieldSelector=metadata.name=NAME). */
  name?: string;
  /** Resume after this version; absent = send the current objects first. */
  resourceVersion?: string;
  accept: (obj: Resource) => boolean;
  /** How an object is shown (live fields put in); the identity when absent. */
  present?: (obj: Resource) => Resource;
}

export interface WatchHub {
  heartbeatMs: number;
  /** Closers of open streams, so the server can end them when it shuts down. */
  open: Set<() => void>;
}

/**
 * When resuming from a client's version, how long to wait for the store's first answer before
 * committing to a 200 stream: a compacted version fails at once, and a real 410 response beats an
 * in-stream error. A healthy but quiet watch starts streaming after this pause. Watches that
 * start from a fresh list cannot be too old and skip the wait.
 */
const FIRST_ANSWER_MS = 500;

type First = { ok: IteratorResult<WatchEvent> } | { err: unknown } | undefined;

function frame(ev: { type: string; object: unknown }, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(ev)}\n\n`;
}

export async function serveWatch(store: Store, hub: WatchHub, req: FastifyRequest, reply: FastifyReply, w: WatchRequest): Promise<void> {
  const ac = new AbortController();
  const { signal } = ac;
  // The name is checked here too, not only by the caller's accept and the store's query: a
  // watch narrowed to one object must never stream another, whichever layer forgot.
  const name = w.name;
  const accept = name === undefined ? w.accept : (o: Resource): boolean => o.metadata.name === name && w.accept(o);
  const present = w.present ?? ((o: Resource): Resource => o);
  let initial: Resource[] = [];
  let from = w.resourceVersion;
  if (from === undefined) {
    const list = await store.list(w.kind, { project: w.project, projects: w.projects, labelSelector: w.labelSelector, name: w.name });
    initial = list.items.filter(accept);
    from = list.resourceVersion;
  }
  const it = store.watch({ kind: w.kind, project: w.project, projects: w.projects, labelSelector: w.labelSelector, name: w.name, resourceVersion: from, signal })[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<WatchEvent>> | undefined = it.next();
  next.catch(() => undefined); // handled in the loop below; this keeps Node from calling it unhandled meanwhile
  const first: First =
    w.resourceVersion === undefined
      ? undefined
      : await Promise.race([
          next.then((ok) => ({ ok }), (err: unknown) => ({ err })),
          new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FIRST_ANSWER_MS).unref()),
        ]);
  if (first && 'err' in first) {
    ac.abort();
    throw first.err; // GoneError → 410 problem response, like any other error

  }

  const stream = openEventStream(hub, req, reply, ac, { 'x-resource-version': from });
  const { write } = stream;

  // Abort must end the loop even if the store's iterator does not wake up on its own.
  const aborted = new Promise<IteratorResult<WatchEvent>>((resolve) => onAbort(signal, () => resolve({ done: true, value: undefined })));
  try {
    // Only the last initial object carries an id: a client cut off mid-snapshot has no id and
    // simply starts over, one that saw it all resumes from the snapshot's version.
    for (let i = 0; i < initial.length; i++) {
      await write(frame({ type: 'ADDED', object: present(initial[i]!) }, i === initial.length - 1 ? from : undefined));
    }
    while (!signal.aborted) {
      const r: IteratorResult<WatchEvent> = await Promise.race([next ?? it.next(), aborted]);
      next = undefined;
      if (r.done) break;
      if (accept(r.value.object)) await write(frame({ type: r.value.type, object: present(r.value.object) }, r.value.object.metadata.resourceVersion));
    }
  } catch (err) {
    if (!signal.aborted) {
      const p = toProblem(err);
      if (p.status >= 500) req.log.error({ err }, 'watch failed');
      stream.raw.write(frame({ type: 'ERROR', object: p }));
    }
  } finally {
    stream.end();
    void it.return?.(undefined)?.catch(() => undefined);
  }
}

/**
 * The changes one watch delivers after `resourceVersion`, filtered by the caller's scope like
 * serveWatch's, until `signal` aborts. A version compacted away throws GoneError from the first
 * step. For streams that carry several watches (routes/stream.ts), which need no initial list.
 */
export async function* scopedChanges(store: Store, w: WatchRequest & { resourceVersion: string }, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const name = w.name;
  const accept = name === undefined ? w.accept : (o: Resource): boolean => o.metadata.name === name && w.accept(o);
  const it = store.watch({ kind: w.kind, project: w.project, projects: w.projects, labelSelector: w.labelSelector, name, resourceVersion: w.resourceVersion, signal })[Symbol.asyncIterator]();
  // Abort must end the loop even if the store's iterator does not wake up on its own.
  const aborted = new Promise<IteratorResult<WatchEvent>>((resolve) => onAbort(signal, () => resolve({ done: true, value: undefined })));
  try {
    while (!signal.aborted) {
      const step = it.next();
      step.catch(() => undefined); // a failure after abort has nobody left to tell
      const r = await Promise.race([step, aborted]);
      if (r.done) return;
      if (accept(r.value.object)) yield r.value;
    }
  } finally {
    void it.return?.(undefined)?.catch(() => undefined);
  }
}

export interface EventStream {
  raw: ServerResponse;
  /** Writes a chunk, waiting while the client is slow to read. */
  write(chunk: string): Promise<void>;
  /** Stops the heartbeat, forgets the stream and ends the response. */
  end(): void;
}

/**
 * Takes the response over as a Server-Sent Events stream: headers out at once (a quiet stream
 * would otherwise look like a hung request), keep-alive comments, and `ac` aborted when the
 * client leaves or the server shuts down.
 */
export function openEventStream(hub: WatchHub, req: FastifyRequest, reply: FastifyReply, ac: AbortController, headers: Record<string, string> = {}): EventStream {
  const { signal } = ac;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...headers,
  });
  raw.flushHeaders();
  const close = (): void => ac.abort();
  hub.open.add(close);
  req.raw.socket.on('close', close);
  raw.on('close', close);
  const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), hub.heartbeatMs);
  heartbeat.unref();
  return {
    raw,
    write: async (chunk) => {
      if (!raw.write(chunk)) await once(raw, 'drain', { signal });
    },
    end: () => {
      clearInterval(heartbeat);
      hub.open.delete(close);
      req.raw.socket.off('close', close);
      ac.abort();
      raw.end();
    },
  };
}
