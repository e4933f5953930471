// The workload controllers and the adapters the scheduling loop uses, wired for the control
// plane: startControlPlane({ store, clock, ...createWorkloadControllers({ store, clock }) }).
import type { Store } from '../../store/types.js';
import type { Clock } from '../clock.js';
import { devenvAdapter } from './devenv-adapter.js';
import { reconcileDevEnvironment } from './devenv-controller.js';
import { jobAdapter } from './job-adapter.js';
import { reconcileJob } from './job-controller.js';
import { WorkloadController, type ControllerOptions, type ReconcileFn } from './reconciler.js';
import { serviceAdapter } from './service-adapter.js';
import { vmAdapter } from './vm-adapter.js';
import { reconcileVirtualMachine } from './vm-controller.js';
import { reconcileService } from './service-controller.js';
import type { WorkloadAdapter, WorkloadKind } from './types.js';
import { WORKLOAD_KIND_NAMES } from '../../model/kind-names.js';

export interface WorkloadControllers {
  adapters: WorkloadAdapter[];
  controllers: WorkloadController[];
}

/** Every workload kind of the registry (model/kind-names.ts) has both, or this does not compile. */
const BY_KIND: Record<WorkloadKind, { adapter: WorkloadAdapter; reconcile: ReconcileFn }> = {
  Job: { adapter: jobAdapter, reconcile: reconcileJob },
  Service: { adapter: serviceAdapter, reconcile: reconcileService },
  DevEnvironment: { adapter: devenvAdapter, reconcile: reconcileDevEnvironment },
  VirtualMachine: { adapter: vmAdapter, reconcile: reconcileVirtualMachine },
};

/** The scheduling adapter of every workload kind, by kind. */
export const WORKLOAD_ADAPTERS: ReadonlyMap<string, WorkloadAdapter> = new Map(WORKLOAD_KIND_NAMES.map((k) => [k, BY_KIND[k].adapter]));

export function createWorkloadControllers(opts: { store: Store; clock: Clock } & ControllerOptions): WorkloadControllers {
  const { store, clock, ...rest } = opts;
  return {
    adapters: WORKLOAD_KIND_NAMES.map((k) => BY_KIND[k].adapter),
    controllers: WORKLOAD_KIND_NAMES.map((k) => new WorkloadController(k, store, clock, BY_KIND[k].reconcile, rest)),
  };
}

export { WorkloadController } from './reconciler.js';
export type { WorkloadAdapter, PlacementDemand, WorkloadKind } from './types.js';
