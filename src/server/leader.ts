// Everything in a server process that writes on its own, and so runs only while this process
// leads (one leader among every replica on a database; the embedded engine's single process
// always leads): the scheduling loop, the workload controllers, the providers that execute
// replicas, node lifecycle, autoscaling, budgets, reservations, leases, tenant networks, queue-wait
// metrics, store maintenance and removing uploaded Image disks no Image names.
// Followers serve the API only. Losing leadership stops all of it; the next term starts afresh.
import type { ServerMetrics } from '../api/metrics.js';
import { AutoscalerController, type TrafficSource } from '../control/autoscaler-controller.js';
import type { Clock } from '../control/clock.js';
import { startControlPlane, type ControlPlane, type Controller } from '../control/control-plane.js';
import { BudgetController } from '../control/metering/budget-controller.js';
import { NodeLifecycleController } from '../control/node-lifecycle.js';
import type { QueuePositions } from '../control/queue-positions.js';
import { queueWaitController } from '../control/queue-wait.js';
import { StoreMaintenanceController } from '../control/store-maintenance.js';
import { ReservationController } from '../control/reservations/controller.js';
import { LeaseController } from '../control/reservations/lease-controller.js';
import { NetworkController } from '../control/networks/controller.js';
import { createWorkloadControllers } from '../control/workloads/index.js';
import { builtInProviders, livenessOf } from '../providers/index.js';
import type { Store } from '../store/types.js';
import type { SealedValues, SecretBox } from '../control/secrets/secret-box.js';
import type { ImageBlobs } from '../api/image-blobs.js';
import { ImageDiskCollector } from './image-disk-collector.js';
import type { ServerConfig } from './config.js';

export interface LeaderOptions {
  store: Store;
  clock: Clock;
  config: Pick<ServerConfig, 'policy' | 'simFailureRate' | 'nodeNotReadyAfterMs' | 'nodeLostAfterMs' | 'eventTtlMs'>;
  log: (msg: string) => void;
  /** Scheduling-cycle durations and queue waits go to these metrics. */
  metrics: ServerMetrics;
  /** Opens Secret values for the providers that need one (a Slurm cluster's JWT). */
  secrets: SecretBox;
  /** Load seen by this process's gateway: Services with spec.autoscaling scale on it. */
  traffic: TrafficSource;
  /** Where the scheduling loop leaves each cycle's queue positions for the API to serve. */
  positions?: QueuePositions;
  /** Uploaded Image disks: those no Image names any more are deleted (none: no image directory). */
  imageBlobs?: ImageBlobs;
}

/** Queues for leadership and, while leading, runs every writer; stop() ends it (and the term). */
export function startLeaderWork(opts: LeaderOptions): ControlPlane {
  const { store, clock, config, log, metrics } = opts;
  const { adapters, controllers } = createWorkloadControllers({ store, clock });
  const providers = builtInProviders({ simFailureRate: config.simFailureRate });
  const writers: Controller[] = [
    // What of running replicas lives in the server (the simulated fleet's, all of it).
    ...providers.flatMap((p) => p.controller({ store, clock, log, openSecret: secretOpener(store, opts.secrets) }) ?? []),
    ...controllers,
    queueWaitController(store, (queue, s) => metrics.queueWaitSeconds.observe({ queue }, s)),
    new AutoscalerController({ store, clock, traffic: opts.traffic, log }),
    new NodeLifecycleController({ store, clock, livenessOf: livenessOf(providers), notReadyAfterMs: config.nodeNotReadyAfterMs, lostAfterMs: config.nodeLostAfterMs, log }),
    new BudgetController({ store, clock, log }),
    new ReservationController({ store, clock, log }),
    new LeaseController({ store, clock, log }),
    new NetworkController({ store, log }),
    new StoreMaintenanceController({ store, clock, eventTtlMs: config.eventTtlMs, log }),
    ...(opts.imageBlobs ? [new ImageDiskCollector({ store, blobs: opts.imageBlobs, log })] : []),
  ];
  return startControlPlane({
    store,
    clock,
    policy: config.policy,
    log,
    adapters,
    positions: opts.positions,
    controllers: writers,
    onCycle: (s) => {
      if (s.durationMs !== undefined) metrics.cycleSeconds.observe(s.durationMs / 1000);
    },
  });
}

/** A Secret's values, opened with the server key; undefined when the Secret has none stored. */
function secretOpener(store: Store, box: SecretBox): (project: string, name: string) => Promise<Record<string, string> | undefined> {
  return async (project, name) => {
    const sealed = await store.secrets.get(project, name);
    return sealed ? box.open(project, name, sealed as SealedValues) : undefined;
  };
}
