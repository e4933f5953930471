// What a node agent needs on each Allocation to run its replica without reading the workload
// (docs/api.md, "Nodes and agents"): the task (command, env, image, port) copied from the
// workload at placement time, and for multi-replica Jobs a torchrun-style rendezvous.
import type { AllocationRendezvous, AllocationSpec, AllocationTask } from '../model/kinds/allocation.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import type { ContainerPort, ImagePullPolicy, VolumeMount } from '../model/container.js';
import { resolveMounts, type VolumeView } from './volumes.js';
import { parseMemoryBytes } from '../model/quantity.js';
import type { EnvVar } from '../model/workload.js';
import type { VirtualMachineSpec, VmTask } from '../model/kinds/virtual-machine.js';

export const MASTER_PORT_BASE = 29500;
export const MASTER_PORT_RANGE = 1000;

/** A port in 29500–30499 that is the same for every replica of one gang attempt. */
export function masterPort(uid: string, attempt: number): number {
  let h = 2166136261;
  for (const c of `${uid}:${attempt}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return MASTER_PORT_BASE + (h % MASTER_PORT_RANGE);
}

/** The task fields of a workload's spec; undefined when it names none (the agent's default). */
export function taskFor(workload: Resource, volumes?: Pick<VolumeView, 'get'>): AllocationTask | undefined {
  const s = workload.spec as {
    command?: string[];
    args?: string[];
    env?: EnvVar[];
    image?: string;
    imagePullSecrets?: { name: string }[];
    volumeMounts?: VolumeMount[];
    imagePullPolicy?: ImagePullPolicy;
    workingDir?: string;
    ports?: ContainerPort[];
    shmSize?: string | number;
    port?: number;
    readiness?: { path?: string };
  };
  const task: AllocationTask = {};
  if (s.command !== undefined) task.command = [...s.command];
  if (s.args !== undefined) task.args = [...s.args];
  if (s.env !== undefined) task.env = s.env.map((e) => structuredClone(e));
  if (s.image !== undefined) {
    task.image = s.image;
    if (s.imagePullPolicy !== undefined) task.imagePullPolicy = s.imagePullPolicy;
    if (s.workingDir !== undefined) task.workingDir = s.workingDir;
    if (s.ports !== undefined) task.ports = s.ports.map((p) => ({ ...p }));
    if (s.shmSize !== undefined) task.shmSizeBytes = parseMemoryBytes(s.shmSize, 'spec.shmSize');
    if (s.imagePullSecrets !== undefined) task.imagePullSecrets = s.imagePullSecrets.map((r) => ({ name: r.name }));
    const mounts = volumes ? resolveMounts(workload.metadata.project ?? '', s.volumeMounts, volumes) : undefined;
    if (mounts) task.volumes = mounts;
  }
  if (workload.kind === 'VirtualMachine') {
    const vm = vmTaskFor(workload);
    if (vm) task.vm = vm;
  }
  if (workload.kind === 'Service') {
    if (s.port !== undefined) task.port = s.port;
    if (s.readiness?.path !== undefined) task.readinessPath = s.readiness.path;
  }
  return Object.keys(task).length > 0 ? task : undefined;
}

/** A VM's disks, cloud-init and NICs in bytes and resolved names; undefined until its Image is resolved. */
function vmTaskFor(vm: Resource): VmTask | undefined {
  const spec = vm.spec as unknown as VirtualMachineSpec;
  const image = vm.status?.image as VmTask['image'] | undefined;
  if (!image) return undefined;
  const task: VmTask = { image: { ...image }, hostname: vm.metadata.name, networks: (spec.networks ?? [{ userMode: true }]).map((n) => ({ ...n })) };
  if (spec.rootDisk.size !== undefined) task.rootDiskBytes = parseMemoryBytes(spec.rootDisk.size, 'spec.rootDisk.size');
  if (spec.disks?.length) task.disks = spec.disks.map((d, i) => ({ name: d.name, sizeBytes: parseMemoryBytes(d.size, `spec.disks.${i}.size`) }));
  if (spec.cloudInit?.userData !== undefined) task.userData = spec.cloudInit.userData;
  if (spec.sshKeys?.length) task.sshKeys = [...spec.sshKeys];
  return task;
}

/**
 * Adds the rendezvous to every allocation of a Job gang placed together: world size, and the node
 * of the lowest replica (replica 0 when the whole gang is placed) as the master.
 */
export function withRendezvous(workload: Resource, attempt: number, allocs: readonly ResourceInput[]): ResourceInput[] {
  if (workload.kind !== 'Job' || allocs.length === 0) return [...allocs];
  const specs = allocs.map((a) => a.spec as unknown as AllocationSpec);
  const master = specs.reduce((m, s) => (s.replica < m.replica ? s : m));
  const rendezvous: AllocationRendezvous = {
    worldSize: allocs.length,
    masterNode: master.node,
    masterPort: masterPort(workload.metadata.uid, attempt),
  };
  return allocs.map((a) => ({ ...a, spec: { ...a.spec, rendezvous } }));
}
