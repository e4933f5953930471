// The workload controllers and the adapters the scheduling loop uses, wired for the control
// plane: startControlPlane({ store, clock, ...createWorkloadControllers({ store, clock }) }).
import type { Store } from '../../store/types.js';
import type { Clock } from '../clock.js';
import { devenvAdapter } from './devenv-adapter.js';
import { reconcileDevEnvironment } from './devenv-controller.js';
import { jobAdapter } from './job-adapter.js';
import { reconcileJob } from './job-controller.js';
import { WorkloadController, type ControllerOptions } from './reconciler.js';
import { serviceAdapter } from './service-adapter.js';
import { reconcileService } from './service-controller.js';
import type { WorkloadAdapter } from './types.js';

export interface WorkloadControllers {
  adapters: WorkloadAdapter[];
  controllers: WorkloadController[];
}

export function createWorkloadControllers(opts: { store: Store; clock: Clock } & ControllerOptions): WorkloadControllers {
  const { store, clock, ...rest } = opts;
  return {
    adapters: [jobAdapter, serviceAdapter, devenvAdapter],
    controllers: [
      new WorkloadController('Job', store, clock, reconcileJob, rest),
      new WorkloadController('Service', store, clock, reconcileService, rest),
      new WorkloadController('DevEnvironment', store, clock, reconcileDevEnvironment, rest),
    ],
  };
}

export { WorkloadController } from './reconciler.js';
export type { WorkloadAdapter, PlacementDemand, WorkloadKind } from './types.js';
