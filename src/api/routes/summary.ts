// The fleet summary: what an overview shows (GPUs by model and site, Nodes by state, workloads by
// kind, project, phase and queue), computed by the store in one statement. `?watch=true` streams
// a fresh summary as Server-Sent Events whenever Nodes, Allocations or workloads change, at most
// once a second, so a dashboard stays live on one connection without listing the fleet.
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../model/errors.js';
import type { FleetSummary } from '../../model/summary.js';
import { WORKLOAD_KINDS } from '../../control/workload.js';
import type { SummaryQuery } from '../../store/summary.js';
import { listQuery, type Query } from '../params.js';
import { toProblem } from '../problem.js';
import { openEventStream } from '../watch.js';
import { readableProjects, type Principal } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

/** The least time between two streamed summaries: a busy fleet changes many times a second. */
export const SUMMARY_INTERVAL_MS = 1000;

const WORKLOAD_KIND_NAMES = WORKLOAD_KINDS.map((k) => k.kind);
/** Kinds whose changes move a figure in the summary. */
const COUNTED_KINDS: ReadonlySet<string> = new Set(['Node', 'Allocation', ...WORKLOAD_KIND_NAMES]);

/** Every signed-in user sees the fleet's hardware; workloads only of the projects they may read. */
function queryFor(p: Principal): SummaryQuery {
  if (p.kind !== 'user') throw new ForbiddenError(`${p.kind} "${p.name}" may not read the fleet summary`);
  const readable = readableProjects(p);
  return readable === 'all' ? { workloadKinds: WORKLOAD_KIND_NAMES } : { workloadKinds: WORKLOAD_KIND_NAMES, projects: readable };
}

export function registerSummaryRoutes(app: FastifyInstance, deps: RouteDeps): void {
  app.get(`${API_PREFIX}/summary`, async (req, reply) => {
    const q = queryFor(principalOf(req));
    const { watch } = listQuery(req.query as Query);
    if (!watch) return deps.store.summary(q);
    return streamSummaries(deps, req, reply, q);
  });
}

async function streamSummaries({ store, hub }: RouteDeps, req: FastifyRequest, reply: FastifyReply, q: SummaryQuery): Promise<void> {
  let summary: FleetSummary = await store.summary(q);
  const ac = new AbortController();
  const { signal } = ac;
  const stream = openEventStream(hub, req, reply, ac);

  // Changes since the summary was read mark it stale; the loop below recomputes at its own pace.
  let stale = false;
  let wake: (() => void) | undefined;
  const markStale = (): void => {
    stale = true;
    wake?.();
  };
  void follow(store, summary.resourceVersion, signal, markStale);

  const send = (s: FleetSummary): Promise<void> => stream.write(`id: ${s.resourceVersion}\ndata: ${JSON.stringify({ type: 'SUMMARY', object: s })}\n\n`);
  try {
    await send(summary);
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
          signal.addEventListener('abort', done, { once: true });
        });
      }
      if (signal.aborted) break;
      stale = false;
      const next = await store.summary(q);
      // Unchanged figures are not sent: a quiet stream costs nothing, and a tenant learns nothing
      // from the timing of changes in projects it cannot read.
      if (figures(next) === figures(summary)) continue;
      summary = next;
      await send(summary);
    }
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

function figures(s: FleetSummary): string {
  return JSON.stringify([s.gpus, s.nodes, s.workloads]);
}

/** Follows every change after `from`; calls `changed` for those that move a figure. */
async function follow(store: RouteDeps['store'], from: string, signal: AbortSignal, changed: () => void): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const ev of store.watch({ resourceVersion: from, signal })) {
        from = ev.object.metadata.resourceVersion ?? from;
        if (COUNTED_KINDS.has(ev.object.kind)) changed();
      }
    } catch {
      if (signal.aborted) return;
      // Compacted past us, or the store hiccupped: anything may have changed, so recompute and
      // follow on from now.
      from = await store.currentResourceVersion().catch(() => from);
      changed();
      await pause(SUMMARY_INTERVAL_MS, signal);
    }
  }
}

/** Waits `ms`, or less when `signal` aborts; never throws. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
