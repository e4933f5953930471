// What makes workloads move in a `weft up` / `weft server` process, started in one place: the
// demo fleet (when asked for), the sim provider that runs allocations on simulated nodes, and
// the control plane (scheduling loop and workload controllers). Only serve.ts calls this.
import type { Store } from '../store/types.js';

export interface WorkloadOptions {
  /** Register the simulated demo fleet before starting. */
  demo?: boolean;
  /** Probability that a simulated replica fails instead of succeeding. */
  simFailureRate?: number;
  log: (msg: string) => void;
  /** Scheduling-cycle durations and queue waits go to these metrics. */
  metrics?: import('../api/metrics.js').ServerMetrics;
  /** Load seen by this process's gateway: Services with spec.autoscaling scale on it. */
  traffic?: import('../control/autoscaler-controller.js').TrafficSource;
  /** Heartbeat limits of agent nodes (--node-not-ready-after, --node-lost-after). */
  nodeNotReadyAfterMs?: number;
  nodeLostAfterMs?: number;
}

export interface RunningWorkloads {
  /** The simulated nodes in this store (from --demo, now or before), for the start-up message. */
  demo?: { nodes: number; gpus: number };
  stop(): Promise<void>;
}

export async function startWorkloads(store: Store, opts: WorkloadOptions): Promise<RunningWorkloads> {
  const sim = await import('../providers/sim/index.js');
  const { systemClock } = await import('../control/clock.js');
  const clock = systemClock;
  if (opts.demo) await sim.registerDemoFleet(store);
  // Reported whenever simulated nodes exist (registered now or by an earlier --demo start).
  const simulated = (await store.list('Node')).items.filter((n) => (n.spec as { provider?: string }).provider === 'sim');
  const demo: RunningWorkloads['demo'] =
    simulated.length > 0 ? { nodes: simulated.length, gpus: simulated.reduce((n, o) => n + ((o.spec as { gpus?: unknown[] }).gpus?.length ?? 0), 0) } : undefined;
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const provider = await sim.startSimProvider({ store, clock, failureRate: opts.simFailureRate, log: opts.log });
    stoppers.push(() => provider.stop());
    const { startControlPlane } = await import('../control/control-plane.js');
    const { createWorkloadControllers } = await import('../control/workloads/index.js');
    const { queueWaitController } = await import('../control/queue-wait.js');
    const { adapters, controllers } = createWorkloadControllers({ store, clock });
    const metrics = opts.metrics;
    const observed = metrics
      ? {
          controllers: [queueWaitController(store, (queue, s) => metrics.queueWaitSeconds.observe({ queue }, s))],
          onCycle: (s: { durationMs?: number }) => {
            if (s.durationMs !== undefined) metrics.cycleSeconds.observe(s.durationMs / 1000);
          },
        }
      : { controllers: [] };
    const { AutoscalerController } = await import('../control/autoscaler-controller.js');
    const autoscaler = opts.traffic ? [new AutoscalerController({ store, clock, traffic: opts.traffic, log: opts.log })] : [];
    const { NodeLifecycleController } = await import('../control/node-lifecycle.js');
    const nodeLifecycle = new NodeLifecycleController({ store, clock, notReadyAfterMs: opts.nodeNotReadyAfterMs, lostAfterMs: opts.nodeLostAfterMs, log: opts.log });
    const { StoreMaintenanceController } = await import('../control/store-maintenance.js');
    const maintenance = new StoreMaintenanceController({ store, log: opts.log });
    const controlPlane = startControlPlane({ store, clock, log: opts.log, adapters, ...observed, controllers: [...controllers, ...observed.controllers, ...autoscaler, nodeLifecycle, maintenance] });
    stoppers.push(() => controlPlane.stop());
  } catch (err) {
    await Promise.allSettled(stoppers.map((s) => s()));
    throw err;
  }
  return {
    demo,
    // Stop in reverse order: the control plane before the provider it hands work to.
    stop: async () => {
      for (const s of stoppers.reverse()) await s().catch((err: unknown) => opts.log(`stopping: ${(err as Error).message}`));
    },
  };
}
