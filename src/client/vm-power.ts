// A VirtualMachine's power as its runStrategy and two annotations say it (docs/vms.md): what
// `weft start|stop|restart vm` and the console's buttons ask for. The controller does the rest.
import { POWER_ANNOTATION, RESTART_ANNOTATION } from '../model/annotations.js';
import type { RunStrategy } from '../model/kinds/virtual-machine.js';
import type { Resource } from '../model/metadata.js';
import type { WeftClient } from './client.js';

export type VmPower = 'start' | 'stop' | 'restart';

/** The merge patch that asks for `want`, or undefined when the VM is already so. */
export function powerPatch(vm: Resource, want: VmPower, now: Date): Record<string, unknown> | undefined {
  const strategy = ((vm.spec as { runStrategy?: RunStrategy }).runStrategy ?? 'Always') as RunStrategy;
  const phase = String(vm.status?.phase ?? 'Pending');
  const stamp = { [RESTART_ANNOTATION]: now.toISOString() };
  if (want === 'restart') return { metadata: { annotations: stamp } };
  if (want === 'stop') {
    if (strategy === 'Halted' || (strategy === 'Manual' && vm.metadata.annotations?.[POWER_ANNOTATION] !== 'On')) return undefined;
    return strategy === 'Manual' ? { metadata: { annotations: { [POWER_ANNOTATION]: 'Off' } } } : { spec: { runStrategy: 'Halted' } };
  }
  if (strategy === 'Halted') return { spec: { runStrategy: 'Always' } };
  if (strategy === 'Manual') return { metadata: { annotations: { [POWER_ANNOTATION]: 'On', ...stamp } } };
  // Always or RerunOnFailure: only a VM the guest powered off (or that failed) needs asking.
  return phase === 'Stopped' || phase === 'Failed' ? { metadata: { annotations: stamp } } : undefined;
}

/** Asks for `want`; false when the VM already was so (nothing sent). */
export async function setVmPower(client: WeftClient, vm: Resource, want: VmPower, now = new Date()): Promise<boolean> {
  const patch = powerPatch(vm, want, now);
  if (!patch) return false;
  await client.patch('VirtualMachine', vm.metadata.name, patch, { project: vm.metadata.project ?? '' });
  return true;
}
