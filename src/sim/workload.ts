// What the simulator feeds the scheduler: a fleet (node inputs) and a list of arriving gangs.
import type { GangRequest, NodeInput, PodShape } from '../scheduler/index.js';

export interface SimPod {
  name: string;
  gang: GangRequest;
  /** Total milli-GPU the gang asks for (replicas × GPUs × milli per GPU). */
  requestMilli: number;
  /** Milli-GPU per GPU of one replica (0 for CPU-only): the quantity the tune-up stop test uses. */
  milliPerGpu: number;
  /** The replica's shape, for the typical-pod distribution. */
  shape: PodShape;
}

export interface Workload {
  nodes: NodeInput[];
  pods: SimPod[];
}

export function fleetGpuMilli(nodes: readonly NodeInput[]): number {
  let total = 0;
  for (const n of nodes) total += (n.gpus - (n.migGpus?.length ?? 0)) * 1000;
  return total;
}
