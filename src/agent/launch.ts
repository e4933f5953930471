// Turns an Allocation into a ReplicaLaunch for the driver that runs its task: argv, environment
// (identity, rendezvous), the GPU devices it holds and, for Services, a free host port as PORT.
import { createServer } from 'node:net';
import type { AllocatedGpu, AllocationSpec } from '../model/kinds/allocation.js';
import type { Resource } from '../model/metadata.js';
import type { ContainerLaunch, Driver, ReplicaLaunch } from './drivers/driver.js';
import { replicaSecrets, type ReplicaSecrets } from '../client/agent-api.js';
import { WeftApiError } from '../client/errors.js';
import type { EnvVar } from '../model/workload.js';
import type { VmTask } from '../model/kinds/virtual-machine.js';
import type { ContainerPort } from '../model/container.js';
import { declaredPortProblem } from './host-ports.js';
import { gpuShareOf, replicaEnv, visibleDevices } from './drivers/env.js';
import type { ReconcileContext } from './reconcile.js';

export interface TaskSpec {
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  image?: string;
  ports?: ContainerPort[];
  imagePullSecrets?: { name: string }[];
  volumes?: { name: string; hostPath: string; mountPath: string; readOnly: boolean }[];
  imagePullPolicy?: 'IfNotPresent' | 'Always' | 'Never';
  workingDir?: string;
  shmSizeBytes?: number;
  port?: number;
  readinessPath?: string;
  vm?: VmTask;
}

export interface RendezvousSpec {
  worldSize: number;
  masterNode: string;
  masterPort: number;
}

/** Spec fields the agent protocol adds to Allocation (task, rendezvous) on top of the schema's. */
type AgentAllocationSpec = AllocationSpec & { task?: TaskSpec; rendezvous?: RendezvousSpec };

/** A deterministic port in 29500–30499 from the gang's uid and attempt (matches the server's choice). */
export function defaultMasterPort(workloadUid: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${workloadUid}:${attempt}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return 29500 + (h % 1000);
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? done(addr.port) : fail(new Error('no port'))));
    });
  });
}

export async function prepareLaunch(
  ctx: ReconcileContext,
  alloc: Resource,
  all: Map<string, Resource>,
): Promise<{ driver: Driver; launch: ReplicaLaunch; port?: number } | { error: string }> {
  const spec = alloc.spec as unknown as AgentAllocationSpec;
  const task = spec.task ?? {};
  const chosen = ctx.drivers.choose(task);
  if ('error' in chosen) return chosen;
  const rv = spec.rendezvous;
  const masterNode = rv?.masterNode ?? ctx.node;
  const masterAddr = masterNode === ctx.node ? ctx.address : await ctx.nodeAddress(masterNode);
  // LOCAL_RANK: position among this gang's replicas bound to this node.
  const peersHere = [...all.values()]
    .map((a) => a.spec as unknown as AllocationSpec)
    .filter((s) => s.workload.uid === spec.workload.uid && s.attempt === spec.attempt && s.node === ctx.node)
    .map((s) => s.replica)
    .sort((a, b) => a - b);
  const localRank = Math.max(0, peersHere.indexOf(spec.replica));
  // Secret values come from the server only now, for this node's replica; never from the Allocation.
  const usesSecrets = (task.env ?? []).some((e) => e.valueFrom) || (task.imagePullSecrets ?? []).length > 0;
  let secrets: ReplicaSecrets | undefined;
  if (usesSecrets) {
    try {
      secrets = await replicaSecrets(ctx.client, alloc.metadata.project ?? '', alloc.metadata.name);
    } catch (err) {
      if (err instanceof WeftApiError && err.status < 500) return { error: `its Secrets could not be had: ${err.message}` };
      throw err;
    }
  }
  if (task.image) {
    const taken = await declaredPortProblem(task.ports, ctx.node);
    if (taken) return { error: taken };
  }
  // A Service's replica listens on PORT: the port its image declares first, else a free one.
  const declared = task.image ? task.ports?.[0]?.containerPort : undefined;
  const wantsPort = spec.workload.kind === 'Service' || task.port !== undefined;
  const port = wantsPort ? (spec.workload.kind === 'Service' && declared !== undefined ? declared : await freePort()) : undefined;
  const env = replicaEnv({
    workloadEnv: (task.env ?? []).flatMap((e) => (e.value !== undefined ? [{ name: e.name, value: e.value }] : secrets?.env[e.name] !== undefined ? [{ name: e.name, value: secrets.env[e.name]! }] : [])),
    id: {
      project: alloc.metadata.project ?? '',
      workloadKind: spec.workload.kind,
      workload: spec.workload.name,
      replica: spec.replica,
      attempt: spec.attempt,
      allocation: alloc.metadata.name,
      node: ctx.node,
    },
    rendezvous: {
      worldSize: rv?.worldSize ?? 1,
      masterAddr,
      masterPort: rv?.masterPort ?? defaultMasterPort(spec.workload.uid, spec.attempt),
      localRank,
    },
    ...(port !== undefined ? { port } : {}),
  });
  const share = gpuShareOf(spec.gpus);
  const launch: ReplicaLaunch = {
    uid: alloc.metadata.uid!,
    command: [...(task.command ?? []), ...(task.args ?? [])],
    ...(task.image ? { image: task.image } : {}),
    env,
    devices: visibleDevices(spec.gpus, (g: AllocatedGpu) => ctx.migUuid?.(g)),
    ...(share !== undefined ? { gpuShare: share } : {}),
    limits: { cpuMilli: spec.cpuMilli, memoryBytes: spec.memoryBytes },
    maxLogBytes: ctx.maxLogBytes,
    ...(task.vm ? { vm: task.vm } : {}),
    ...(task.image ? { container: { ...containerLaunch(task), ...(secrets?.registryAuth.length ? { registryAuth: secrets.registryAuth } : {}) } } : {}),
  };
  return { driver: chosen.driver, launch, ...(port !== undefined ? { port } : {}) };
}

/** The container's own settings; `command` and `args` stay apart (ENTRYPOINT and CMD). */
function containerLaunch(task: TaskSpec): ContainerLaunch {
  return {
    ...(task.command ? { entrypoint: task.command } : {}),
    ...(task.args ? { args: task.args } : {}),
    ...(task.imagePullPolicy ? { pullPolicy: task.imagePullPolicy } : {}),
    ...(task.workingDir ? { workingDir: task.workingDir } : {}),
    ...(task.shmSizeBytes ? { shmSizeBytes: task.shmSizeBytes } : {}),
    ...(task.volumes?.length ? { volumes: task.volumes } : {}),
  };
}
