// What of a VirtualMachine the scheduling loop should place: its one replica, when the VM should
// run (runStrategy), is Pending with its Image resolved by the controller, is not backing off,
// and nothing of an earlier attempt still holds resources (a VM restarts only once it is down).
import type { VirtualMachineSpec } from '../../model/kinds/virtual-machine.js';
import { vmWantsRunning } from '../../model/kinds/virtual-machine.js';
import type { Resource } from '../../model/metadata.js';
import { attemptOf, placementOf, statusAttempt } from './allocations.js';
import { parseTime } from './backoff.js';
import { baseDemand } from './demand.js';
import type { PlacementDemand, WorkloadAdapter } from './types.js';

export const vmAttempt = statusAttempt;

export const vmAdapter: WorkloadAdapter = {
  kind: 'VirtualMachine',
  demand(vm: Resource, active: readonly Resource[], now: Date): PlacementDemand | null {
    const spec = vm.spec as unknown as VirtualMachineSpec;
    if (vm.status?.phase !== 'Pending' || !vm.status.image || vm.metadata.deletionTimestamp) return null;
    if (!vmWantsRunning(spec, vm.metadata.annotations)) return null;
    const retry = parseTime(vm.status.nextRetryTime);
    if (retry !== undefined && retry > now.getTime()) return null;
    if (active.length > 0) return null;
    const since = parseTime(vm.status.pendingSince) ?? Date.parse(vm.metadata.creationTimestamp);
    return { ...baseDemand(vm, since, 'dedicated'), attempt: vmAttempt(vm), replicas: [0], minAvailable: 1 };
  },
  settled(vm: Resource): boolean {
    return !vmWantsRunning(vm.spec as unknown as VirtualMachineSpec, vm.metadata.annotations) && vm.status?.phase === 'Stopped';
  },
  statusOnBound(vm: Resource, placed: readonly Resource[], now: Date): Record<string, unknown> {
    const cur = placed.filter((a) => attemptOf(a) === vmAttempt(vm));
    const node = (cur[0]?.spec as { node?: string } | undefined)?.node;
    return { ...(vm.status ?? {}), phase: 'Scheduled', scheduledTime: now.toISOString(), placement: placementOf(cur), ...(node ? { node } : {}) };
  },
};
