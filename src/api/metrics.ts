// /metrics in the Prometheus text format (prom-client). Fleet gauges are computed from the store
// on each scrape (control/fleet-metrics.ts), so every replica of an HA server answers the same;
// histograms (API latency, scheduling cycles, queue wait) count what this process observed.
// Reading it needs a cluster-wide reader's token (admin or viewer): it names every project.
import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ForbiddenError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import { fleetGauges, type FleetGauges } from '../control/fleet-metrics.js';
import { usageFor } from '../control/metering/service.js';
import { WORKLOAD_KIND_DEFS } from '../control/workload.js';
import { systemClock, type Clock } from '../control/clock.js';
import type { Store } from '../store/types.js';
import { isClusterReader } from './rbac.js';
import { principalOf } from './routes/context.js';

export interface ServerMetrics {
  readonly registry: Registry;
  /** Seconds one scheduling cycle took (the control plane reports each cycle). */
  readonly cycleSeconds: Histogram<never>;
  /** Seconds a workload waited from pending to placed, per queue. */
  readonly queueWaitSeconds: Histogram<'queue'>;
  readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'weft_process_' });
  return {
    registry,
    cycleSeconds: new Histogram({
      name: 'weft_scheduling_cycle_duration_seconds',
      help: 'Duration of one scheduling cycle (snapshot, placement, commit).',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    queueWaitSeconds: new Histogram({
      name: 'weft_queue_wait_seconds',
      help: 'Time from a workload becoming pending to its placement, per queue ("" = no queue named).',
      labelNames: ['queue'],
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'weft_api_request_duration_seconds',
      help: 'API request latency by method, route template and status class.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}

/** The value of one status field of a resource, when it is a finite number. */
function numberAt(obj: Resource, field: string): number | undefined {
  const v = (obj.status as Record<string, unknown> | undefined)?.[field];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

async function listAll(store: Store, kind: string): Promise<Resource[]> {
  return (await store.list(kind)).items;
}

interface FleetReading {
  g: FleetGauges;
  nodes: Resource[];
  allocs: Resource[];
}

type Labels = Record<string, string>;

const READING_TTL_MS = 1000;

/** Gauges whose values are set from one fleet reading per scrape. */
function registerFleetGauges(registry: Registry, store: Store): void {
  // One reading serves every gauge of a scrape (prom-client collects them concurrently); it is
  // reused for a second so that a burst of scrapes does not list the fleet once per gauge.
  let reading: { at: number; value: Promise<FleetReading> } | undefined;
  const read = (): Promise<FleetReading> => {
    if (reading && Date.now() - reading.at < READING_TTL_MS) return reading.value;
    const value = (async () => {
      const [nodes, allocs, ...workloads] = await Promise.all([
        listAll(store, 'Node'),
        listAll(store, 'Allocation'),
        ...WORKLOAD_KIND_DEFS.map((k) => listAll(store, k.kind)),
      ]);
      return { g: fleetGauges(nodes, allocs, workloads.flat()), nodes, allocs };
    })();
    reading = { at: Date.now(), value };
    value.catch(() => (reading = undefined));
    return value;
  };

  const gauge = (name: string, help: string, labelNames: string[], fill: (r: FleetReading, set: (labels: Labels, v: number) => void) => void): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const r = await read();
        this.reset();
        fill(r, (labels, v) => this.set(labels, v));
      },
    });
  };

  gauge('weft_gpus_total', 'GPUs in the fleet by model and site.', ['model', 'site'], ({ g }, set) => {
    for (const c of g.gpus) set({ model: c.model, site: c.site }, c.total);
  });
  gauge('weft_gpus_allocated', 'GPUs held by allocations (shares and MIG slices as fractions) by model and site.', ['model', 'site'], ({ g }, set) => {
    for (const c of g.gpus) set({ model: c.model, site: c.site }, c.allocated);
  });
  gauge('weft_gpus_free', 'GPUs not held by any allocation by model and site.', ['model', 'site'], ({ g }, set) => {
    for (const c of g.gpus) set({ model: c.model, site: c.site }, c.free);
  });
  gauge('weft_gpus_allocated_by_isolation', 'GPUs held by isolation tier, model and site.', ['isolation', 'model', 'site'], ({ g }, set) => {
    for (const t of g.allocatedByTier) set({ isolation: t.tier, model: t.model, site: t.site }, t.gpus);
  });
  gauge('weft_gpu_allocation_ratio', 'Allocated / total GPU capacity (0..1).', [], ({ g }, set) => set({}, g.allocationRatio));
  gauge('weft_gpu_fragmented', 'Free GPU capacity the current workload mix cannot use (FGD fragmentation), in GPUs.', [], ({ g }, set) => set({}, g.fragmentedGpus));
  gauge('weft_gpu_fragmentation_ratio', 'Share of free GPU capacity that is unallocatable to the current workload mix (0..1).', [], ({ g }, set) =>
    set({}, g.fragmentationRatio),
  );
  gauge('weft_queue_depth', 'Pending workloads per queue ("" = no queue named).', ['queue'], ({ g }, set) => {
    for (const q of g.queueDepth) set({ queue: q.queue }, q.pending);
  });
  gauge('weft_project_gpus_allocated', 'GPUs held per project and model.', ['project', 'model'], ({ g }, set) => {
    for (const p of g.projectGpus) set({ project: p.project, model: p.model }, p.gpus);
  });
  gauge('weft_workloads', 'Workloads by kind and phase.', ['kind', 'phase'], ({ g }, set) => {
    for (const p of g.workloadPhases) set({ kind: p.kind, phase: p.phase }, p.count);
  });
  gauge('weft_nodes', 'Nodes by state.', ['state'], ({ nodes }, set) => {
    const states = new Map<string, number>();
    for (const n of nodes) {
      const state = String((n.status as { state?: unknown } | undefined)?.state ?? 'Unknown');
      states.set(state, (states.get(state) ?? 0) + 1);
    }
    for (const [state, count] of states) set({ state }, count);
  });
  gauge('weft_node_gpu_utilization_percent', 'GPU utilisation reported by the node agent (nvidia-smi).', ['node', 'gpu'], ({ nodes }, set) => {
    for (const n of nodes) {
      const util = (n.status as { gpuUtilization?: Record<string, unknown> } | undefined)?.gpuUtilization;
      for (const [gpu, v] of Object.entries(util ?? {})) if (typeof v === 'number' && Number.isFinite(v)) set({ node: n.metadata.name, gpu }, v);
    }
  });
  gauge(
    'weft_allocation_gpu_utilization_percent',
    'Mean utilisation of the GPUs a running allocation holds, as its node agent reports it.',
    ['project', 'allocation', 'node'],
    ({ allocs }, set) => {
      for (const a of allocs) {
        const u = numberAt(a, 'gpuUtilization');
        const phase = (a.status as { phase?: string } | undefined)?.phase;
        if (u !== undefined && phase === 'Running') set({ project: a.metadata.project ?? '', allocation: a.metadata.name, node: String((a.spec as { node?: string }).node ?? '') }, u);
      }
    },
  );
}

/** Spend of the current calendar month (UTC) per project, priced exactly as invoices are. */
function registerSpendGauge(registry: Registry, store: Store, clock: Clock): void {
  new Gauge({
    name: 'weft_project_spend_month',
    help: 'Spend of the current calendar month (UTC) per project, from metered usage and the price books.',
    labelNames: ['project', 'currency'],
    registers: [registry],
    async collect() {
      const now = clock.now();
      const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      const report = await usageFor(store, { from, to: now, now, by: 'project' });
      this.reset();
      for (const row of report.rows) this.set({ project: row.key, currency: report.currency }, Number(row.cost));
    },
  });
}

export function registerMetricsRoute(app: FastifyInstance, store: Store, metrics: ServerMetrics, clock: Clock = systemClock): void {
  registerFleetGauges(metrics.registry, store);
  registerSpendGauge(metrics.registry, store, clock);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url;
    if (!route || route === '/metrics') return;
    metrics.requestSeconds.observe({ method: req.method, route, status: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (req, reply) => {
    const p = principalOf(req);
    if (!isClusterReader(p)) throw new ForbiddenError(`${p.kind} "${p.name}" may not read /metrics (cluster admins and cluster-wide viewers only)`);
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
