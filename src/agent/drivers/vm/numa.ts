// NUMA pinning for a VM with GPUs, after OpenStack Nova's NUMA-aware placement: a guest's vCPUs
// and memory live on the host NUMA node its PCI devices hang off, so the GPU's DMA and the vCPUs
// feeding it never cross the socket interconnect. QEMU's guest RAM is bound to that node
// (memory-backend-ram host-nodes=N policy=bind) and the QEMU process, vCPU threads included,
// runs only on the node's CPUs (taskset with /sys/devices/system/node/nodeN/cpulist).
//
// GPUs on several host nodes give the guest one virtual NUMA node per host node (as Nova does
// with hw:numa_nodes), vCPUs and memory split evenly between them and each guest node's memory
// bound to its host node; QEMU may run on the CPUs of all of them.
import { existsSync } from 'node:fs';
import type { Sysfs } from './sysfs.js';

export interface GuestNumaNode {
  /** The host node its memory is bound to. */
  hostNode: number;
  /** The guest's vCPUs on this node, first and last index; absent when it has none. */
  cpus?: [number, number];
  memoryMiB: number;
}

/** One guest node per distinct host node, vCPUs and memory split as evenly as whole units allow. */
export function numaLayout(hostNodes: number[], vcpus: number, memoryMiB: number): GuestNumaNode[] {
  const nodes = [...new Set(hostNodes)].sort((a, b) => a - b);
  let nextCpu = 0;
  return nodes.map((hostNode, i) => {
    const count = Math.floor(vcpus / nodes.length) + (i < vcpus % nodes.length ? 1 : 0);
    const mem = Math.floor(memoryMiB / nodes.length) + (i === 0 ? memoryMiB % nodes.length : 0);
    const node: GuestNumaNode = { hostNode, memoryMiB: mem, ...(count > 0 ? { cpus: [nextCpu, nextCpu + count - 1] as [number, number] } : {}) };
    nextCpu += count;
    return node;
  });
}

/** The host CPUs of these nodes, as the kernel lists them ("0-15,32-47"), joined. */
export function nodeCpuList(sys: Sysfs, hostNodes: number[]): string {
  return [...new Set(hostNodes)]
    .sort((a, b) => a - b)
    .map((n) => {
      const list = sys.read(`devices/system/node/node${n}/cpulist`);
      if (!list) throw new Error(`cannot read the CPUs of NUMA node ${n} (${sys.path(`devices/system/node/node${n}/cpulist`)})`);
      return list;
    })
    .join(',');
}

/** util-linux's taskset, which starts QEMU on the node's CPUs. */
export function findTaskset(): string | undefined {
  return ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
}
