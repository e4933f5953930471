// The environment a replica starts with, whatever driver runs it: the workload's own variables,
// then Weft's identity variables and torchrun-compatible rendezvous, then the GPUs it was given.
// Weft's names win over the workload's so a replica cannot be told it holds GPUs it does not.
import type { AllocatedGpu } from '../../model/kinds/allocation.js';

export interface ReplicaIdentity {
  project: string;
  workloadKind: string;
  workload: string;
  replica: number;
  attempt: number;
  allocation: string;
  node: string;
}

export interface Rendezvous {
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  /** Index of this replica among its gang's replicas on this node. */
  localRank: number;
}

/** GPU or MIG UUIDs; indices when the inventory has no UUIDs. */
export function visibleDevices(gpus: AllocatedGpu[], migUuids: (g: AllocatedGpu) => string | undefined): string[] {
  return gpus.map((g) => (g.mig ? migUuids(g) : undefined) ?? g.uuid ?? String(g.index));
}

/** The variable that says how much of each visible device the replica was granted. */
export const GPU_SHARE_VAR = 'WEFT_GPU_SHARE';

/**
 * CUDA's and the NVIDIA container toolkit's names for "only these devices", plus the share of
 * each: "0.25" for a time-sliced quarter of one GPU, "1" for whole GPUs and MIG instances, "0"
 * with none. Time-slicing does not enforce a share (the GPU's other tenants hold the rest), so it
 * is told to the replica, which may size itself by it (e.g. a memory fraction).
 */
export function deviceEnv(devices: string[], share?: number): Record<string, string> {
  const list = devices.join(',');
  // An empty list must hide every GPU, not expose them all, so "" (and "void") is passed explicitly.
  const granted = devices.length === 0 ? 0 : share ?? 1;
  return { CUDA_VISIBLE_DEVICES: list, NVIDIA_VISIBLE_DEVICES: list === '' ? 'void' : list, [GPU_SHARE_VAR]: String(granted) };
}

/** The fraction of its one GPU a time-sliced share holds (milli / 1000); undefined for whole GPUs, MIG and none. */
export function gpuShareOf(gpus: AllocatedGpu[]): number | undefined {
  const g = gpus.length === 1 ? gpus[0]! : undefined;
  return g && !g.mig && g.milli < 1000 ? g.milli / 1000 : undefined;
}

export function replicaEnv(opts: {
  workloadEnv: { name: string; value: string }[];
  id: ReplicaIdentity;
  rendezvous: Rendezvous;
  port?: number;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of opts.workloadEnv) env[e.name] = e.value;
  const { id, rendezvous: rv } = opts;
  Object.assign(env, {
    WEFT_PROJECT: id.project,
    WEFT_WORKLOAD_KIND: id.workloadKind,
    WEFT_WORKLOAD: id.workload,
    WEFT_REPLICA: String(id.replica),
    WEFT_ATTEMPT: String(id.attempt),
    WEFT_ALLOCATION: id.allocation,
    WEFT_NODE: id.node,
    MASTER_ADDR: rv.masterAddr,
    MASTER_PORT: String(rv.masterPort),
    WORLD_SIZE: String(rv.worldSize),
    RANK: String(id.replica),
    LOCAL_RANK: String(rv.localRank),
  });
  if (opts.port !== undefined) env.PORT = String(opts.port);
  return env;
}
