// nvidia-smi does not see a GPU bound to vfio-pci: while a VM holds it, the host's driver has let
// go of it. An agent restarted then would report a Node without the GPUs its own VMs are using,
// and the scheduler would lose track of them. So the agent keeps the GPUs it last reported
// (gpus.json in its state directory), and at start keeps in the inventory each one nvidia-smi no
// longer lists whose PCI device is bound to vfio-pci now.
import { join } from 'node:path';
import type { GpuInventory } from '../../discovery/types.js';
import { readJson, writeJsonAtomic } from '../../state.js';
import { sysfsAddress, VFIO_DRIVER } from './pci.js';
import { Sysfs } from './sysfs.js';
import { currentDriver } from './vfio.js';

export const GPU_INVENTORY_FILE = 'gpus.json';

export function withVfioHeldGpus(found: GpuInventory[], stateRoot: string, sys: Sysfs = new Sysfs()): GpuInventory[] {
  const saved = readJson<GpuInventory[]>(join(stateRoot, GPU_INVENTORY_FILE)) ?? [];
  const held = saved.filter((g) => g.pciBusId && !found.some((f) => f.uuid === g.uuid) && currentDriver(sys, sysfsAddress(g.pciBusId)) === VFIO_DRIVER);
  const gpus = [...found, ...held].sort((a, b) => a.index - b.index);
  if (gpus.length > 0 || saved.length > 0) writeJsonAtomic(join(stateRoot, GPU_INVENTORY_FILE), gpus);
  return gpus;
}
