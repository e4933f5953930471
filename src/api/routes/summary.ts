// The fleet summary: what an overview shows (GPUs by model and site, Nodes by state, workloads by
// kind, project, phase and queue), computed by the store in one statement. `?watch=true` streams
// a fresh summary as Server-Sent Events whenever Nodes, Allocations or workloads change, at most
// once a second, so a dashboard stays live on one connection without listing the fleet.
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { onAbort } from '../../model/abort.js';
import { ForbiddenError } from '../../model/errors.js';
import type { FleetSummary } from '../../model/summary.js';
import { isWorkloadKind, WORKLOAD_KIND_NAMES } from '../../model/kind-names.js';
import type { SummaryQuery } from '../../store/summary.js';
import type { Store } from '../../store/types.js';
import type { Resource } from '../../model/metadata.js';
import { isActiveAllocation } from '../../model/allocation-rules.js';
import { Informer } from '../../control/informer.js';
import { DRAIN_ANNOTATION } from '../../model/annotations.js';
import { listQuery, type Query } from '../params.js';
import { toProblem } from '../problem.js';
import { openEventStream } from '../watch.js';
import { readableProjects, type Principal } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

/** The least time between two streamed summaries: a busy fleet changes many times a second. */
export const SUMMARY_INTERVAL_MS = 1000;

/** Kinds whose changes move a figure in the summary. */
const COUNTED_KINDS: ReadonlySet<string> = new Set(['Node', 'Allocation', ...WORKLOAD_KIND_NAMES]);

/** Every signed-in user sees the fleet's hardware; workloads only of the projects they may read. */
function queryFor(p: Principal): SummaryQuery {
  if (p.kind !== 'user') throw new ForbiddenError(`${p.kind} "${p.name}" may not read the fleet summary`);
  const readable = readableProjects(p);
  return readable === 'all' ? { workloadKinds: WORKLOAD_KIND_NAMES } : { workloadKinds: WORKLOAD_KIND_NAMES, projects: readable };
}

/** The summaries one caller sees, for as long as `signal` is not aborted. */
export type SummaryFeed = (p: Principal, signal: AbortSignal) => AsyncGenerator<FleetSummary>;

/** Registers GET /api/v1/summary; returns the feed, so the console's combined stream serves the same summaries. */
export function registerSummaryRoutes(app: FastifyInstance, deps: RouteDeps): SummaryFeed {
  const cache = new SummaryCache(deps.store);
  const feed: SummaryFeed = (p, signal) => followSummaries(deps.store, cache, queryFor(p), signal);
  app.get(`${API_PREFIX}/summary`, async (req, reply) => {
    const q = queryFor(principalOf(req));
    const { watch } = listQuery(req.query as Query);
    if (!watch) return cache.get(q);
    return streamSummaries(deps, feed, req, reply);
  });
  return feed;
}

async function streamSummaries({ hub }: RouteDeps, feed: SummaryFeed, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const ac = new AbortController();
  const { signal } = ac;
  const summaries = feed(principalOf(req), signal);
  // The first summary is read before the stream opens: a failure is still an ordinary problem response.
  const first = await summaries.next();
  const stream = openEventStream(hub, req, reply, ac);
  const send = (s: FleetSummary): Promise<void> => stream.write(`id: ${s.resourceVersion}\ndata: ${JSON.stringify({ type: 'SUMMARY', object: s })}\n\n`);
  try {
    if (!first.done) await send(first.value);
    for await (const s of summaries) await send(s);
  } catch (err) {
    if (!signal.aborted) {
      const p = toProblem(err);
      if (p.status >= 500) req.log.error({ err }, 'summary stream failed');
      stream.raw.write(`data: ${JSON.stringify({ type: 'ERROR', object: p })}\n\n`);
    }
  } finally {
    stream.end();
  }
}

/**
 * The current summary at once, then a fresh one whenever its figures change, at most once every
 * SUMMARY_INTERVAL_MS; ends when `signal` aborts.
 */
async function* followSummaries(store: Store, cache: SummaryCache, q: SummaryQuery, signal: AbortSignal): AsyncGenerator<FleetSummary> {
  let summary: FleetSummary = await cache.get(q);
  // Changes since the summary was read mark it stale; the loop below recomputes at its own pace.
  let stale = false;
  let wake: (() => void) | undefined;
  const markStale = (): void => {
    stale = true;
    wake?.();
  };
  // Follows every change after the summary it sent, keeping per object only what it counts.
  const changes = new Informer<string>({
    store,
    sources: [...COUNTED_KINDS].map((kind) => ({ kind })),
    resourceVersion: summary.resourceVersion,
    transform: countedFacts,
    onEvent: (ev) => {
      // A heartbeat or a utilisation report moves no figure.
      if (ev.type === 'SYNC' || (ev.type === 'MODIFIED' && ev.value === ev.previous)) return;
      markStale();
    },
  });
  void changes.run(signal);
  yield summary;
  while (!signal.aborted) {
    await pause(SUMMARY_INTERVAL_MS, signal);
    if (!stale) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        wake = done;
        onAbort(signal, done);
      });
    }
    if (signal.aborted) return;
    stale = false;
    const next = await cache.get(q);
    // Unchanged figures are not sent: a quiet stream costs nothing, and a tenant learns nothing
    // from the timing of changes in projects it cannot read.
    if (figures(next) === figures(summary)) continue;
    summary = next;
    yield summary;
  }
}

function figures(s: FleetSummary): string {
  return JSON.stringify([s.gpus, s.nodes, s.workloads, s.held]);
}

/**
 * What the summary counts about an object, as a comparable string; undefined for kinds it does
 * not count. A heartbeat or a utilisation report changes none of it, so it moves no figure.
 */
function countedFacts(o: Resource): string | undefined {
  const spec = o.spec as Record<string, unknown>;
  const status = (o.status ?? {}) as Record<string, unknown>;
  if (o.kind === 'Node') return JSON.stringify([spec.site, spec.gpus, spec.unschedulable, status.state, o.metadata.annotations?.[DRAIN_ANNOTATION] !== undefined]);
  if (o.kind === 'Allocation') return JSON.stringify([isActiveAllocation(o), spec.node, spec.gpus]);
  if (isWorkloadKind(o.kind)) return JSON.stringify([status.phase, spec.queue]);
  return undefined;
}

/**
 * Summaries per scope (the projects a caller may read): callers with the same scope share one
 * computation, and one is reused while the store has not moved since it was asked for.
 */
class SummaryCache {
  private static readonly MAX_SCOPES = 64;
  private readonly entries = new Map<string, { rv: string; value: Promise<FleetSummary> }>();

  constructor(private readonly store: Store) {}

  async get(q: SummaryQuery): Promise<FleetSummary> {
    const key = JSON.stringify(q.projects ?? null);
    const rv = await this.store.currentResourceVersion();
    const hit = this.entries.get(key);
    if (hit && hit.rv === rv) return hit.value;
    const value = this.store.summary(q);
    this.entries.delete(key);
    this.entries.set(key, { rv, value });
    if (this.entries.size > SummaryCache.MAX_SCOPES) this.entries.delete(this.entries.keys().next().value!);
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }
}

/** Waits `ms`, or less when `signal` aborts; never throws. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
