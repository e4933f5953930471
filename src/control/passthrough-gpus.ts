// Which of a Node's GPUs cannot be passed through to a VM, read from what its agent reports: the
// inventory gives each GPU's PCI address (nvidia-smi), the vm driver's passthrough report says per
// address whether VFIO may take it (an isolated IOMMU group) and why not. The scheduler gets the
// answer as a fixed fact of the node, like its MIG-mode GPUs.
import type { NodeSpec } from '../model/kinds/node.js';
import type { Resource } from '../model/metadata.js';
import { sysfsAddress } from '../model/pci-address.js';

type NodeGpu = NonNullable<NodeSpec['gpus']>[number];

interface ReportedGpu {
  address?: unknown;
  passthrough?: unknown;
}

/**
 * Positions in `gpus` of the GPUs with a known PCI address that the node's passthrough report does
 * not list as passable. A GPU with no address (a declared fake inventory, a node without an agent)
 * has nothing to pass through and is not held back.
 */
export function noPassthroughGpus(node: Resource, gpus: readonly NodeGpu[]): number[] {
  const status = node.status as { inventory?: { gpus?: unknown }; drivers?: { vm?: { passthrough?: { gpus?: unknown } } } } | undefined;
  const inventory = Array.isArray(status?.inventory?.gpus) ? (status.inventory.gpus as { index?: unknown; uuid?: unknown; pciBusId?: unknown }[]) : [];
  const reported = Array.isArray(status?.drivers?.vm?.passthrough?.gpus) ? (status.drivers.vm.passthrough.gpus as ReportedGpu[]) : [];
  const passable = new Set(reported.filter((g) => g.passthrough === true && typeof g.address === 'string').map((g) => (g.address as string).toLowerCase()));
  const out: number[] = [];
  gpus.forEach((gpu, pos) => {
    const seen = inventory.find((g) => (gpu.uuid !== undefined && g.uuid === gpu.uuid) || (gpu.uuid === undefined && g.index === gpu.index));
    if (typeof seen?.pciBusId === 'string' && !passable.has(sysfsAddress(seen.pciBusId))) out.push(pos);
  });
  return out;
}
