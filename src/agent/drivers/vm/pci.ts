// GPUs on the PCI bus as the kernel shows them in sysfs, and whether each can be passed through
// whole to a VM with VFIO. Per the kernel's VFIO documentation the unit of isolation is the
// IOMMU group: every endpoint in the group goes to the guest together. A GPU's group may hold
// the GPU's own functions (its audio or USB-C controller: same bus and slot), which are bound to
// vfio-pci with it, and PCI bridges, which vfio-pci does not take and the kernel lets stay with
// their host driver. Anything else in the group belongs to the host (a NIC, a disk controller,
// another GPU behind a switch without ACS) and the GPU is refused, naming it.
import type { Sysfs } from './sysfs.js';

export const VFIO_DRIVER = 'vfio-pci';

/** One GPU as the Node reports it under status.drivers.vm.passthrough. */
export interface PciGpu {
  /** Domain:bus:slot.function as sysfs names it: 0000:3b:00.0. */
  address: string;
  vendor: string;
  device: string;
  class: string;
  iommuGroup?: number;
  /** The host NUMA node the GPU hangs off; absent where the kernel says -1 (one node, or unknown). */
  numaNode?: number;
  /** The driver bound now (nvidia, nouveau, vfio-pci, …); absent when none. */
  driver?: string;
  /** The other endpoints of its IOMMU group that go with it (its own functions). */
  functions: string[];
  passthrough: boolean;
  /** Why it cannot be passed through. */
  reason?: string;
}

const devicePath = (address: string, attr = ''): string => `bus/pci/devices/${address}${attr ? `/${attr}` : ''}`;

/** PCI class 0x03xxxx: display controllers (VGA 0x0300, 3D controller 0x0302, as data-centre GPUs are). */
const isGpuClass = (cls: string): boolean => /^0x03/i.test(cls);
/** GPU makers (NVIDIA, AMD): a server's other display controller is its BMC's VGA, no accelerator. */
const GPU_VENDORS = new Set(['0x10de', '0x1002']);
/** PCI-to-PCI (0x0604) and semi-transparent (0x0609) bridges: not endpoints, left to the host. */
const isBridgeClass = (cls: string): boolean => /^0x060[49]/i.test(cls);
/** Same domain, bus and slot: another function of the same physical device. */
const sameSlot = (a: string, b: string): boolean => a.slice(0, a.lastIndexOf('.')) === b.slice(0, b.lastIndexOf('.'));

export { sysfsAddress } from '../../../model/pci-address.js';

export function pciDevice(sys: Sysfs, address: string): Omit<PciGpu, 'functions' | 'passthrough' | 'reason'> | undefined {
  if (!sys.exists(devicePath(address))) return undefined;
  const group = sys.linkName(devicePath(address, 'iommu_group'));
  const numa = Number(sys.read(devicePath(address, 'numa_node')) ?? -1);
  const driver = sys.linkName(devicePath(address, 'driver'));
  return {
    address,
    vendor: sys.read(devicePath(address, 'vendor')) ?? '',
    device: sys.read(devicePath(address, 'device')) ?? '',
    class: sys.read(devicePath(address, 'class')) ?? '',
    ...(group !== undefined ? { iommuGroup: Number(group) } : {}),
    ...(Number.isInteger(numa) && numa >= 0 ? { numaNode: numa } : {}),
    ...(driver ? { driver } : {}),
  };
}

/** Every NVIDIA or AMD display-class PCI device on the host, with whether it can be passed through and why not. */
export function pciGpus(sys: Sysfs): PciGpu[] {
  return sys
    .list('bus/pci/devices')
    .filter((a) => isGpuClass(sys.read(devicePath(a, 'class')) ?? '') && GPU_VENDORS.has((sys.read(devicePath(a, 'vendor')) ?? '').toLowerCase()))
    .map((a) => passthroughOf(sys, a));
}

/** One GPU by address, judged for passthrough (an unknown address is refused, saying so). */
export function passthroughOf(sys: Sysfs, address: string): PciGpu {
  const dev = pciDevice(sys, address);
  if (!dev) return { address, vendor: '', device: '', class: '', functions: [], passthrough: false, reason: `no PCI device ${address} on this host` };
  const refuse = (reason: string): PciGpu => ({ ...dev, functions: [], passthrough: false, reason });
  if (dev.iommuGroup === undefined) return refuse('no IOMMU group: the IOMMU is off (boot the host with intel_iommu=on or amd_iommu=on and iommu=pt)');
  const functions: string[] = [];
  const strangers: string[] = [];
  for (const other of sys.list(`kernel/iommu_groups/${dev.iommuGroup}/devices`)) {
    if (other === address) continue;
    const cls = sys.read(devicePath(other, 'class')) ?? '';
    if (sameSlot(other, address)) functions.push(other);
    else if (!isBridgeClass(cls)) {
      const drv = sys.linkName(devicePath(other, 'driver'));
      strangers.push(`${other} (class ${cls || 'unknown'}${drv ? `, driver ${drv}` : ''})`);
    }
  }
  if (strangers.length > 0) {
    return refuse(`IOMMU group ${dev.iommuGroup} is not isolated: it also holds ${strangers.join(', ')}, which would go to the guest with the GPU`);
  }
  if (!sys.exists(`bus/pci/drivers/${VFIO_DRIVER}`)) return { ...dev, functions, passthrough: false, reason: 'the vfio-pci driver is not loaded (modprobe vfio-pci)' };
  return { ...dev, functions, passthrough: true };
}
