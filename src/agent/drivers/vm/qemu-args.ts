// The QEMU command line for one VM, as a pure function of what the driver decided: so the exact
// argv (accelerator, disks, serial ports, NICs, passed-through PCI devices, NUMA pinning) is
// asserted in tests without a host that has any of it.
//
// Serial ports: ttyS0 is the console (a socket for `weft console`, logged into a FIFO the
// supervisor keeps as the replica's stdout); ttyS1 goes to a FIFO kept as the replica's stderr,
// beside QEMU's own messages; ttyS2 is a status channel in a file, where a guest may write
// "weft-exit: N" before powering off.

import type { GuestNumaNode } from './numa.js';

export type Accelerator = 'kvm' | 'tcg';

export interface VmNic {
  /** User-mode networking (no bridge) with SSH forwarded from this loopback port of the node. */
  userMode?: { sshPort?: number };
  /** A tap device on the node (created by the network setup), for bridged networks. */
  tap?: string;
  mac: string;
}

export interface VmDisk {
  id: string;
  path: string;
  format: 'qcow2' | 'raw';
  readOnly?: boolean;
}

export interface QemuPlan {
  name: string;
  accelerator: Accelerator;
  vcpus: number;
  memoryMiB: number;
  /** Root disk first (the boot disk), then extra disks, then the NoCloud seed. */
  disks: VmDisk[];
  nics: VmNic[];
  /** PCI addresses (0000:3b:00.0) bound to vfio-pci, passed through whole. */
  vfio?: string[];
  /** Mediated devices (vGPU / MIG-backed) by sysfs path of the mdev. */
  mdevs?: string[];
  /** Guest NUMA nodes, each with its memory bound to the host node of the GPUs (numa.ts). */
  numa?: GuestNumaNode[];
  /** Host CPUs (the GPUs' NUMA nodes) QEMU and its vCPU threads run on. */
  cpuList?: string;
  /** With several guest NUMA nodes: the node of each passed-through device (PCI address or mdev path). */
  deviceNuma?: Record<string, number>;
  /** Files and sockets in the replica's folder. */
  consoleSocket: string;
  /** FIFOs the supervisor reads into the replica's stdout and stderr. */
  consoleLog: string;
  errorLog: string;
  qmpSocket: string;
  statusFile: string;
}

export function qemuArgs(p: QemuPlan): string[] {
  const args = [
    '-name', `guest=${p.name},debug-threads=on`,
    '-machine', `q35,accel=${p.accelerator}`,
    '-cpu', p.accelerator === 'kvm' ? 'host' : 'max',
    '-smp', String(p.vcpus),
    '-m', `${p.memoryMiB}M`,
    // No display and no VGA: SeaBIOS and the boot loader then stay off the serial console too.
    '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
    '-chardev', `socket,id=console,path=${p.consoleSocket},server=on,wait=off,logfile=${p.consoleLog},logappend=on`,
    '-serial', 'chardev:console',
    '-chardev', `file,id=errors,path=${p.errorLog},append=on`,
    '-serial', 'chardev:errors',
    '-chardev', `file,id=status,path=${p.statusFile},append=on`,
    '-serial', 'chardev:status',
    '-qmp', `unix:${p.qmpSocket},server=on,wait=off`,
  ];
  (p.numa ?? []).forEach((n, i) => {
    // Guest RAM from the GPUs' host node only (the vCPU threads are bound by taskset around QEMU).
    const cpus = n.cpus ? `,cpus=${n.cpus[0] === n.cpus[1] ? n.cpus[0] : `${n.cpus[0]}-${n.cpus[1]}`}` : '';
    args.push('-object', `memory-backend-ram,id=ram${i},size=${n.memoryMiB}M,host-nodes=${n.hostNode},policy=bind`, '-numa', `node,nodeid=${i}${cpus},memdev=ram${i}`);
  });
  p.disks.forEach((d, i) => {
    args.push('-drive', `file=${d.path},if=none,id=${d.id},format=${d.format}${d.readOnly ? ',readonly=on' : ''}`);
    args.push('-device', `virtio-blk-pci,drive=${d.id}${i === 0 ? ',bootindex=0' : ''}`);
  });
  p.nics.forEach((n, i) => {
    if (n.userMode) {
      const fwd = n.userMode.sshPort !== undefined ? `,hostfwd=tcp:127.0.0.1:${n.userMode.sshPort}-:22` : '';
      args.push('-netdev', `user,id=net${i}${fwd}`);
    } else if (n.tap) {
      args.push('-netdev', `tap,id=net${i},ifname=${n.tap},script=no,downscript=no`);
    }
    // No option ROM: nothing boots from the network, and iPXE stays off the console.
    args.push('-device', `virtio-net-pci,netdev=net${i},mac=${n.mac},romfile=`);
  });
  args.push(...passthroughDevices(p.vfio ?? [], p.mdevs ?? [], p.deviceNuma ?? {}));
  return args;
}

/**
 * Each passed-through device behind its own PCIe root port, as a GPU sits on a host: the guest's
 * driver then finds a PCIe link above it, which an integrated endpoint on the root bus lacks.
 * A GPU's functions (its audio controller) share its port as functions of one device, as on
 * the host. On a guest with several NUMA nodes, the port of a device on node N > 0 hangs off a
 * PCIe expander bridge of that node (pxb-pcie), so the guest sees which node the GPU is near.
 */
function passthroughDevices(vfio: string[], mdevs: string[], numaOf: Record<string, number>): string[] {
  const slotOf = (a: string): string => a.slice(0, a.lastIndexOf('.'));
  const groups: string[][] = [];
  for (const addr of vfio) {
    const last = groups.at(-1);
    if (last && slotOf(last[0]!) === slotOf(addr)) last.push(addr);
    else groups.push([addr]);
  }
  const args: string[] = [];
  const expanders = new Set<number>();
  const onNode = (device: string): string => {
    const node = numaOf[device] ?? 0;
    if (node === 0) return '';
    if (!expanders.has(node)) args.push('-device', `pxb-pcie,id=numa${node},bus_nr=${128 + 16 * node},numa_node=${node},bus=pcie.0`);
    expanders.add(node);
    return `,bus=numa${node}`;
  };
  let dev = 0;
  groups.forEach((fns, g) => {
    args.push('-device', `pcie-root-port,id=gpuport${g},chassis=${g + 1}${onNode(fns[0]!)}`);
    fns.forEach((addr, f) => {
      const fn = addr.slice(addr.lastIndexOf('.') + 1);
      args.push('-device', `vfio-pci,host=${addr},id=hostdev${dev++},bus=gpuport${g},addr=0.${fn}${f === 0 && fns.length > 1 ? ',multifunction=on' : ''}`);
    });
  });
  mdevs.forEach((path, i) => {
    args.push('-device', `pcie-root-port,id=mdevport${i},chassis=${groups.length + i + 1}${onNode(path)}`);
    args.push('-device', `vfio-pci,sysfsdev=${path},id=mdev${i},bus=mdevport${i},addr=0.0`);
  });
  return args;
}

/** The host command: QEMU itself, or started by taskset on the GPUs' NUMA nodes' CPUs. */
export function qemuCommand(qemu: string, p: QemuPlan, taskset = 'taskset'): string[] {
  const argv = [qemu, ...qemuArgs(p)];
  return p.cpuList ? [taskset, '--cpu-list', p.cpuList, ...argv] : argv;
}

/** A locally administered, stable MAC per replica and NIC (52:54:00 is QEMU's own prefix). */
export function macFor(uid: string, nic: number): string {
  let h = 2166136261;
  for (const c of `${uid}/${nic}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const b = [(h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff];
  return ['52', '54', '00', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
