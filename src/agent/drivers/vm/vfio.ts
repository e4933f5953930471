// GPUs for VMs, read from sysfs as the kernel documents it (Documentation/driver-api/vfio.rst,
// vfio-mediated-device.rst, ABI/testing/sysfs-bus-pci): a PCI function's vendor, class,
// numa_node, iommu_group and driver links; its IOMMU group's other members; and the mediated
// device types it offers (vGPU, MIG-backed). A GPU passes through only with its whole IOMMU
// group: the group may hold the GPU's own functions (its audio controller) and PCI bridges,
// nothing else. Binding uses driver_override, so the host's driver comes back on release.
// Every path is under `sys` (normally /sys), so tests run against fixture trees.
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
const BRIDGE_CLASS = 0x0604;

export interface PciFunction {
  address: string;
  /** 24-bit class code, e.g. 0x030200 (3D controller). */
  classCode: number;
  vendor: string;
  driver?: string;
  numaNode?: number;
  iommuGroup?: string;
}

export interface MdevType {
  /** The type's directory name, e.g. nvidia-474. */
  id: string;
  name: string;
  available: number;
}

/** 00000000:3B:00.0 (nvidia-smi) or 0000:3b:00.0 → 0000:3b:00.0. */
export function normalizePciAddress(addr: string): string {
  const m = /^(?:[0-9a-fA-F]{4}([0-9a-fA-F]{4})|([0-9a-fA-F]{4})):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(addr.trim());
  if (!m) throw new Error(`"${addr}" is not a PCI address (domain:bus:slot.function)`);
  return `${(m[1] ?? m[2])!}:${m[3]}:${m[4]}.${m[5]}`.toLowerCase();
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const link = (path: string): string | undefined => {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
};

export function readPciFunction(sys: string, address: string): PciFunction {
  const dir = join(sys, 'bus/pci/devices', address);
  if (!PCI_ADDRESS.test(address) || !existsSync(dir)) throw new Error(`PCI device ${address} not found on this host`);
  const numa = Number(read(join(dir, 'numa_node')) ?? '-1');
  const f: PciFunction = { address, classCode: Number(read(join(dir, 'class')) ?? '0'), vendor: read(join(dir, 'vendor')) ?? '' };
  const driver = link(join(dir, 'driver'));
  if (driver) f.driver = driver;
  if (Number.isInteger(numa) && numa >= 0) f.numaNode = numa;
  const group = link(join(dir, 'iommu_group'));
  if (group) f.iommuGroup = group;
  return f;
}

/** Every function in the device's IOMMU group, the device itself included. */
export function iommuGroupMembers(sys: string, group: string): PciFunction[] {
  return readdirSync(join(sys, 'kernel/iommu_groups', group, 'devices')).sort().map((a) => readPciFunction(sys, a));
}

const sameSlot = (a: string, b: string): boolean => a.slice(0, a.lastIndexOf('.')) === b.slice(0, b.lastIndexOf('.'));

export interface Passthrough {
  /** The GPU's functions to hand to vfio-pci and to QEMU, GPU first. */
  functions: string[];
  numaNode?: number;
}

/**
 * What passing `address` through takes, or an error saying why it cannot be: no IOMMU (the
 * host lacks intel_iommu=on / amd_iommu), or a group shared with another device.
 */
export function passthroughFor(sys: string, address: string): Passthrough {
  const gpu = readPciFunction(sys, normalizePciAddress(address));
  if (!gpu.iommuGroup) throw new Error(`GPU ${gpu.address} has no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on) to pass it through`);
  const members = iommuGroupMembers(sys, gpu.iommuGroup);
  const strangers = members.filter((m) => !sameSlot(m.address, gpu.address) && m.classCode >> 8 !== BRIDGE_CLASS);
  if (strangers.length > 0) {
    const who = strangers.map((s) => `${s.address} (class 0x${s.classCode.toString(16).padStart(6, '0')}${s.driver ? `, driver ${s.driver}` : ''})`).join(', ');
    throw new Error(`GPU ${gpu.address} is not isolated: its IOMMU group ${gpu.iommuGroup} also holds ${who}; passing it through would hand those to the VM too`);
  }
  const functions = [gpu.address, ...members.filter((m) => m.address !== gpu.address && sameSlot(m.address, gpu.address)).map((m) => m.address)];
  return { functions, ...(gpu.numaNode !== undefined ? { numaNode: gpu.numaNode } : {}) };
}

/** Hands a function to vfio-pci; returns the driver it had, to give it back later. */
export function bindVfio(sys: string, address: string): string | undefined {
  const dir = join(sys, 'bus/pci/devices', address);
  const before = link(join(dir, 'driver'));
  if (before === 'vfio-pci') return before;
  writeFileSync(join(dir, 'driver_override'), 'vfio-pci');
  if (before) writeFileSync(join(dir, 'driver/unbind'), address);
  writeFileSync(join(sys, 'bus/pci/drivers_probe'), address);
  return before;
}

/** Gives a function back to the host: no override, off vfio-pci, probed for its own driver. */
export function releaseVfio(sys: string, address: string): void {
  const dir = join(sys, 'bus/pci/devices', address);
  writeFileSync(join(dir, 'driver_override'), '\n');
  if (link(join(dir, 'driver')) === 'vfio-pci') writeFileSync(join(dir, 'driver/unbind'), address);
  writeFileSync(join(sys, 'bus/pci/drivers_probe'), address);
}

/** The mediated device types a GPU offers (vGPU profiles, MIG-backed vGPUs), with free instances. */
export function mdevTypes(sys: string, address: string): MdevType[] {
  const dir = join(sys, 'bus/pci/devices', normalizePciAddress(address), 'mdev_supported_types');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((id) => ({ id, name: read(join(dir, id, 'name')) ?? id, available: Number(read(join(dir, id, 'available_instances')) ?? '0') }));
}

/** Creates a mediated device of `type` (by id or name) on the GPU; returns its sysfs path for QEMU. */
export function createMdev(sys: string, address: string, type: string, uuid: string): string {
  const types = mdevTypes(sys, address);
  const t = types.find((x) => x.id === type || x.name === type);
  if (!t) throw new Error(`GPU ${address} offers no mediated device type "${type}" (it offers: ${types.map((x) => `${x.id} "${x.name}"`).join(', ') || 'none'})`);
  if (t.available < 1) throw new Error(`GPU ${address} has no free "${t.name}" instance left`);
  writeFileSync(join(sys, 'bus/pci/devices', normalizePciAddress(address), 'mdev_supported_types', t.id, 'create'), uuid);
  return join(sys, 'bus/mdev/devices', uuid);
}

/** Removes a mediated device created for a VM. */
export function removeMdev(sys: string, uuid: string): void {
  const path = join(sys, 'bus/mdev/devices', uuid, 'remove');
  if (existsSync(path)) writeFileSync(path, '1');
}
