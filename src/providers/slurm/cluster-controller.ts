// The Slurm clusters' controller: for every Cluster with provider slurm, one loop that looks at
// its slurmrestd every spec.pollSeconds and writes what it saw — the nodes (node-sync.ts), the
// jobs Weft placed there (job-sync.ts) and the jobs Slurm users submitted themselves
// (external-sync.ts) — then the Cluster's status: condition Reachable, node and GPU counts.
// slurmrestd unreachable: Reachable=False with the reason, and nothing else changes (nodes keep
// their state, replicas keep running in Slurm); the next look that succeeds catches up.
// Leader-only, like every writer; a changed spec restarts the cluster's loop.
import { setTimeout as delay } from 'node:timers/promises';
import type { ClusterSpec } from '../../model/kinds/cluster.js';
import { ConflictError, NotFoundError } from '../../model/errors.js';
import type { Resource } from '../../model/metadata.js';
import { Informer } from '../../control/informer.js';
import type { Controller } from '../../control/control-plane.js';
import { readConditions, setCondition } from '../../control/workloads/conditions.js';
import type { ProviderContext } from '../provider.js';
import { syncNodes } from './node-sync.js';
import { slurmRest, SlurmUnreachableError, type SlurmJob, type SlurmNode, type SlurmRest } from './rest.js';
import { weftJobsStep } from './job-sync.js';
import { externalJobsStep } from './external-sync.js';
import type { AccountingStatus } from './accounting.js';

const DEFAULT_POLL_S = 2;

/** What one look at a cluster hands to each step after the nodes are written. */
export interface ClusterLook {
  cluster: Resource;
  rest: SlurmRest;
  slurmNodes: readonly SlurmNode[];
  /** Every job slurmctld still knows (running, pending and recently ended). */
  slurmJobs: readonly SlurmJob[];
  /** Weft Node name → Slurm node name, for the nodes Weft may use. */
  nodeNames: ReadonlyMap<string, string>;
  now: Date;
  /** What the steps add to the Cluster's status (external-sync.ts: which accounting record is read). */
  report: { accounting?: AccountingStatus };
}

/** More work done on each look (Weft's jobs, external jobs); each may throw to mark the look failed. */
export type ClusterStep = (ctx: ProviderContext, look: ClusterLook) => Promise<void>;

/** The steps every look runs after the nodes, each made afresh for a cluster's loop (it may keep state). */
const STEPS: readonly (() => ClusterStep)[] = [weftJobsStep, externalJobsStep];

export interface SlurmClusterOptions {
  /** Overrides every Cluster's poll interval (tests). */
  pollMs?: number;
}

export function slurmClusterController(ctx: ProviderContext, opts: SlurmClusterOptions = {}): Controller {
  return {
    async start(signal: AbortSignal): Promise<void> {
      // Per cluster name: the generation its loop runs for and how to stop it.
      const loops = new Map<string, { generation: number | undefined; stop: AbortController; done: Promise<void> }>();
      const stopLoop = async (name: string): Promise<void> => {
        const l = loops.get(name);
        if (!l) return;
        loops.delete(name);
        l.stop.abort();
        await l.done;
      };
      const cache = new Informer({
        store: ctx.store,
        sources: [{ kind: 'Cluster' }],
        transform: (o) => ((o.spec as { provider?: string }).provider === 'slurm' ? o : undefined),
        log: (m) => ctx.log(`slurm: ${m}`),
        onEvent: (ev) => {
          const name = ev.object.metadata.name;
          const l = loops.get(name);
          if (ev.type === 'DELETED') {
            void stopLoop(name);
            return;
          }
          if (l && l.generation === ev.object.metadata.generation) return;
          void (async () => {
            await stopLoop(name);
            if (signal.aborted) return;
            const stop = new AbortController();
            const onAbort = (): void => stop.abort();
            signal.addEventListener('abort', onAbort, { once: true });
            const done = clusterLoop(ctx, name, stop.signal, opts).finally(() => signal.removeEventListener('abort', onAbort));
            loops.set(name, { generation: ev.object.metadata.generation, stop, done });
          })();
        },
      });
      await cache.run(signal).catch(() => undefined);
      await Promise.all([...loops.keys()].map(stopLoop));
    },
  };
}

async function clusterLoop(ctx: ProviderContext, name: string, signal: AbortSignal, opts: SlurmClusterOptions): Promise<void> {
  let rest: SlurmRest | undefined;
  let restFor: string | undefined;
  const steps = STEPS.map((make) => make());
  while (!signal.aborted) {
    const cluster = await ctx.store.get({ kind: 'Cluster', name }).catch(() => undefined);
    if (!cluster) return;
    const spec = cluster.spec as unknown as ClusterSpec;
    const key = JSON.stringify([spec.endpoint, spec.auth]);
    if (!rest || restFor !== key) {
      rest = slurmRest({ endpoint: spec.endpoint, auth: spec.auth, openSecret: ctx.openSecret });
      restFor = key;
    }
    const now = ctx.clock.now();
    let problem: string | undefined;
    let counts = { nodes: 0, gpus: 0 };
    const report: ClusterLook['report'] = {};
    try {
      const [slurmNodes, slurmJobs] = await Promise.all([rest.nodes(), rest.jobs()]);
      const synced = await syncNodes(ctx.store, cluster, slurmNodes, now);
      counts = { nodes: synced.nodes, gpus: synced.gpus };
      for (const step of steps) await step(ctx, { cluster, rest, slurmNodes, slurmJobs, nodeNames: synced.names, now, report });
    } catch (err) {
      if (signal.aborted) return;
      problem = (err as Error).message;
      if (!(err instanceof SlurmUnreachableError)) ctx.log(`slurm cluster ${name}: ${problem}`);
    }
    await writeClusterStatus(ctx, name, problem, { ...counts, ...report }, now).catch((err: Error) => {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) ctx.log(`slurm cluster ${name} status: ${err.message}`);
    });
    const waitMs = opts.pollMs ?? (spec.pollSeconds ?? DEFAULT_POLL_S) * 1000;
    await delay(waitMs, undefined, { signal }).catch(() => undefined);
  }
}

async function writeClusterStatus(ctx: ProviderContext, name: string, problem: string | undefined, seen: { nodes: number; gpus: number; accounting?: AccountingStatus }, now: Date): Promise<void> {
  const live = await ctx.store.get({ kind: 'Cluster', name });
  if (!live) return;
  const st = live.status ?? {};
  const conditions = setCondition(
    readConditions(st),
    problem === undefined ? { type: 'Reachable', status: 'True', reason: 'Responding' } : { type: 'Reachable', status: 'False', reason: 'Unreachable', message: problem },
    now,
  );
  // While unreachable, the last counts seen stay: the nodes are still there.
  const next = { ...st, conditions, ...(problem === undefined ? { ...seen, lastSyncTime: now.toISOString() } : {}) };
  if (JSON.stringify(next) === JSON.stringify(st)) return;
  await ctx.store.update({ ...live, status: next }, { resourceVersion: live.metadata.resourceVersion });
}
