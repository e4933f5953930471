// A VM's GPUs on this host: whole GPUs bound to vfio-pci and passed through, MIG devices as
// mediated devices where the host offers them, and the NUMA pinning that follows from where they
// sit. What is bound or created is recorded in the replica's folder (gpu-binding.json) before
// the first write to sysfs, and undone from that record once the VM has ended, also by an agent
// that restarted in between.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuInventory } from '../../discovery/types.js';
import { readJson, writeJsonAtomic } from '../../state.js';
import { chooseMdevType, createMdev, mdevPath, mdevTypes, removeMdev, type MdevInstance, type MdevRequest } from './mdev.js';
import { nodeCpuList, numaLayout, type GuestNumaNode } from './numa.js';
import { passthroughOf, pciDevice, sysfsAddress, type PciGpu } from './pci.js';
import type { Sysfs } from './sysfs.js';
import { bindVfio, plannedBindings, restoreDriver, type VfioBinding } from './vfio.js';

export const GPU_RECORD = 'gpu-binding.json';

export interface GpuRequest {
  /** Whole GPUs by PCI address. */
  whole: string[];
  /** MIG devices, as a profile on a parent GPU. */
  mdevs: MdevRequest[];
}

export interface GpuAttachment {
  /** PCI addresses for -device vfio-pci,host=… (each GPU followed by its own functions). */
  vfio: string[];
  /** sysfs paths for -device vfio-pci,sysfsdev=… */
  mdevs: string[];
  numa?: GuestNumaNode[];
  /** Host CPUs QEMU runs on. */
  cpuList?: string;
  /** With several guest NUMA nodes: each device's guest node, and each guest node's host CPUs. */
  deviceNuma?: Record<string, number>;
  nodeCpus?: string[];
}

interface GpuRecord {
  bindings: VfioBinding[];
  mdevs: MdevInstance[];
}

/**
 * The GPUs a replica's devices stand for: whole GPUs and MIG devices of the inventory that have a
 * PCI address. Devices without one (a simulated inventory) stay as they are: named in the
 * guest's environment, nothing passed through.
 */
export function gpuRequestOf(devices: string[], inventory: GpuInventory[]): GpuRequest {
  const req: GpuRequest = { whole: [], mdevs: [] };
  for (const d of devices) {
    // A device is a UUID, or an index where the inventory has no UUIDs.
    const gpu = inventory.find((g) => g.uuid === d || (!g.uuid && String(g.index) === d));
    if (gpu?.pciBusId) req.whole.push(sysfsAddress(gpu.pciBusId));
    const parent = inventory.find((g) => g.migInstances?.some((m) => m.uuid === d));
    const mig = parent?.migInstances?.find((m) => m.uuid === d);
    if (parent?.pciBusId && mig) req.mdevs.push({ parent: sysfsAddress(parent.pciBusId), migProfile: mig.profile });
  }
  return req;
}

/** The whole GPUs judged for passthrough; throws, naming the GPU and the reason, for one that cannot be. */
export function checkPassthrough(sys: Sysfs, req: GpuRequest): PciGpu[] {
  const gpus = req.whole.map((address) => passthroughOf(sys, address));
  const refused = gpus.find((g) => !g.passthrough);
  if (refused) throw new Error(`GPU ${refused.address} cannot be passed through: ${refused.reason}`);
  return gpus;
}

/** Binds, creates and pins; throws, saying why, for a GPU that cannot be passed through. */
export function attachGpus(sys: Sysfs, dir: string, req: GpuRequest, vcpus: number, memoryMiB: number, newUuid: () => string = randomUUID): GpuAttachment {
  if (req.whole.length === 0 && req.mdevs.length === 0) return { vfio: [], mdevs: [] };
  const gpus = checkPassthrough(sys, req);
  const vfio = gpus.flatMap((g) => [g.address, ...g.functions]);
  const earlier = readJson<GpuRecord>(join(dir, GPU_RECORD));
  const record: GpuRecord = { bindings: plannedBindings(sys, vfio, earlier?.bindings), mdevs: earlier?.mdevs ?? [] };
  writeJsonAtomic(join(dir, GPU_RECORD), record);
  for (const b of record.bindings) bindVfio(sys, b.address);
  req.mdevs.forEach((r, i) => {
    let inst = record.mdevs[i];
    if (!inst) {
      const type = chooseMdevType(mdevTypes(sys), r);
      if (typeof type === 'string') throw new Error(type);
      inst = { parent: r.parent, type: type.type, uuid: newUuid() };
      record.mdevs.push(inst);
      writeJsonAtomic(join(dir, GPU_RECORD), record);
    }
    createMdev(sys, inst);
  });
  // Each device with the host node it hangs off: a GPU's functions share its node, an mdev its parent's.
  const placed: [string, number | undefined][] = [
    ...gpus.flatMap((g) => [g.address, ...g.functions].map((a): [string, number | undefined] => [a, g.numaNode])),
    ...record.mdevs.map((m): [string, number | undefined] => [mdevPath(sys, m.uuid), pciDevice(sys, m.parent)?.numaNode]),
  ];
  const hostNodes = placed.map(([, n]) => n).filter((n): n is number => n !== undefined);
  const attachment: GpuAttachment = { vfio, mdevs: record.mdevs.map((m) => mdevPath(sys, m.uuid)) };
  if (hostNodes.length === 0) return attachment;
  const numa = numaLayout(hostNodes, vcpus, memoryMiB);
  const pinned = { ...attachment, numa, cpuList: nodeCpuList(sys, hostNodes) };
  if (numa.length === 1) return pinned;
  const guestNode = (host: number | undefined): number => Math.max(0, numa.findIndex((n) => n.hostNode === host));
  return { ...pinned, deviceNuma: Object.fromEntries(placed.map(([d, host]) => [d, guestNode(host)])), nodeCpus: numa.map((n) => nodeCpuList(sys, [n.hostNode])) };
}

/** Removes the VM's mediated devices and gives its GPUs back to their drivers; nothing when nothing is recorded. */
export function releaseGpus(sys: Sysfs, dir: string): void {
  const record = readJson<GpuRecord>(join(dir, GPU_RECORD));
  if (!record) return;
  for (const m of record.mdevs) removeMdev(sys, m.uuid);
  for (const b of [...record.bindings].reverse()) restoreDriver(sys, b);
  rmSync(join(dir, GPU_RECORD), { force: true });
}
