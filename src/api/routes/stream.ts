// One live stream for many watches: GET /api/v1/stream?watches=[…]&summary=true carries any
// number of watches (each resumed from its own resourceVersion) and, if asked, the fleet
// summary, as one Server-Sent Events response. A browser keeps six HTTP/1.1 connections per
// server; a console tab that held one per watch ran out of them after a few pages, so it asks
// for everything it shows on this one stream and opens it again (resuming every watch) when that
// set changes.
//
// Each watch is authorized and narrowed by collectionScope, exactly as GET …?watch=true is; a
// watch the caller may not make, or one resumed from a compacted version, ends with an ERROR
// frame of its own while the others go on. Malformed requests are refused whole (400).
//
//   data: {"watch": ID, "type": "ADDED" | "MODIFIED" | "DELETED", "object": {…}}
//   data: {"watch": ID, "type": "ERROR", "object": problem}      (that watch has ended)
//   data: {"type": "SUMMARY", "object": summary}
//   data: {"type": "ERROR", "object": problem}                   (the summary has ended)
import { setMaxListeners } from 'node:events';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WeftError } from '../../model/errors.js';
import type { KindDef } from '../../model/kind.js';
import { resolveKind } from '../../model/registry.js';
import { parseSelector } from '../../store/selector.js';
import { badParam, listQuery, nameParam, queryParam, type Query } from '../params.js';
import { toProblem } from '../problem.js';
import type { Principal } from '../rbac.js';
import { openEventStream, scopedChanges } from '../watch.js';
import { collectionScope } from './list.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';
import type { SummaryFeed } from './summary.js';

export const STREAM_PATH = `${API_PREFIX}/stream`;
/** Watches one stream may carry: far more than a console page shows, few enough to bound the cost. */
export const MAX_STREAM_WATCHES = 64;

const ID_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const WATCH_KEYS = new Set(['id', 'kind', 'project', 'labelSelector', 'fieldSelector', 'resourceVersion']);

export interface StreamWatch {
  id: string;
  def: KindDef;
  project?: string;
  labelSelector?: string;
  name?: string;
  resourceVersion: string;
}

/** Checks the `watches` parameter; every problem is a 400 naming `watches[i].field`. */
export function parseWatches(text: string | undefined): StreamWatch[] {
  if (text === undefined) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badParam('watches', 'must be a JSON array of {id, kind, project?, labelSelector?, fieldSelector?, resourceVersion}');
  }
  if (!Array.isArray(raw)) throw badParam('watches', 'must be a JSON array');
  if (raw.length > MAX_STREAM_WATCHES) throw badParam('watches', `must hold at most ${MAX_STREAM_WATCHES} watches (got ${raw.length})`);
  const ids = new Set<string>();
  return raw.map((w: unknown, i) => {
    const at = `watches[${i}]`;
    if (w === null || typeof w !== 'object' || Array.isArray(w)) throw badParam(at, 'must be an object');
    const o = w as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!WATCH_KEYS.has(key)) throw badParam(`${at}.${key}`, 'unknown field');
    if (typeof o.id !== 'string' || !ID_RE.test(o.id)) throw badParam(`${at}.id`, 'must be 1-64 letters, digits or "_.:-"');
    if (ids.has(o.id)) throw badParam(`${at}.id`, `"${o.id}" is used twice`);
    ids.add(o.id);
    const def = typeof o.kind === 'string' ? resolveKind(o.kind) : undefined;
    if (!def) throw badParam(`${at}.kind`, `${JSON.stringify(o.kind)} is not a kind`);
    for (const key of ['project', 'labelSelector', 'fieldSelector', 'resourceVersion']) {
      if (o[key] !== undefined && typeof o[key] !== 'string') throw badParam(`${at}.${key}`, 'must be a string');
    }
    if (o.resourceVersion === undefined) throw badParam(`${at}.resourceVersion`, 'is required: list first, then watch from the list\'s version');
    let q;
    try {
      q = listQuery({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, resourceVersion: o.resourceVersion });
    } catch (err) {
      // Name the watch the bad parameter belongs to.
      if (err instanceof WeftError) throw badParam(`${at}.${err.issues[0]?.field ?? 'watch'}`, err.issues[0]?.message ?? err.message);
      throw err;
    }
    try {
      parseSelector(q.labelSelector);
    } catch (err) {
      throw badParam(`${at}.labelSelector`, err instanceof Error ? err.message : String(err));
    }
    const project = o.project === undefined ? undefined : nameParam(o.project, `${at}.project`);
    if (def.scope === 'cluster' && project !== undefined) throw badParam(`${at}.project`, `must be absent: ${def.kind} is cluster-scoped`);
    return { id: o.id, def, project, labelSelector: q.labelSelector, name: q.name, resourceVersion: q.resourceVersion! };
  });
}

export function registerStreamRoute(app: FastifyInstance, deps: RouteDeps, summaries: SummaryFeed): void {
  app.get(STREAM_PATH, (req, reply) => serveStream(deps, summaries, req, reply));
}

async function serveStream(deps: RouteDeps, summaries: SummaryFeed, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const q = req.query as Query;
  const watches = parseWatches(queryParam(q, 'watches'));
  const summaryParam = queryParam(q, 'summary');
  if (summaryParam !== undefined && !['true', 'false'].includes(summaryParam)) throw badParam('summary', 'must be true or false');
  const summaryWanted = summaryParam === 'true';
  if (watches.length === 0 && !summaryWanted) throw badParam('watches', 'is required (or summary=true): there is nothing to stream');
  const p = principalOf(req);
  const ac = new AbortController();
  // Every watch on the stream (and the store's iterator under it) listens for the one abort.
  setMaxListeners(4 * (watches.length + 2), ac.signal);
  const stream = openEventStream(deps.hub, req, reply, ac);
  // One writer at a time: frames of different watches must not interleave mid-frame.
  let queue = Promise.resolve();
  const send = (frame: object): Promise<void> => {
    queue = queue.then(() => stream.write(`data: ${JSON.stringify(frame)}\n\n`)).catch(() => undefined);
    return queue;
  };
  const fail = (err: unknown, watch?: string): Promise<void> => {
    if (ac.signal.aborted) return Promise.resolve();
    const problem = toProblem(err);
    if (problem.status >= 500) req.log.error({ err, watch }, 'stream failed');
    return send(watch === undefined ? { type: 'ERROR', object: problem } : { watch, type: 'ERROR', object: problem });
  };
  const tasks = watches.map((w) => relayWatch(deps, p, w, ac.signal, send).catch((err: unknown) => fail(err, w.id)));
  if (summaryWanted) tasks.push(relaySummary(summaries, p, ac.signal, send).catch((err: unknown) => fail(err)));
  try {
    // Each task runs until the client leaves or its watch fails; with none left, the stream ends.
    await Promise.all(tasks);
  } finally {
    await queue;
    stream.end();
  }
}

async function relayWatch(deps: RouteDeps, p: Principal, w: StreamWatch, signal: AbortSignal, send: (frame: object) => Promise<void>): Promise<void> {
  const { opts, accept } = collectionScope(p, 'watch', w.def, w.project, { labelSelector: w.labelSelector, name: w.name });
  for await (const ev of scopedChanges(deps.store, { kind: w.def.kind, ...opts, resourceVersion: w.resourceVersion, accept }, signal)) {
    await send({ watch: w.id, type: ev.type, object: deps.present(ev.object) });
  }
}

async function relaySummary(summaries: SummaryFeed, p: Principal, signal: AbortSignal, send: (frame: object) => Promise<void>): Promise<void> {
  for await (const s of summaries(p, signal)) await send({ type: 'SUMMARY', object: s });
}
