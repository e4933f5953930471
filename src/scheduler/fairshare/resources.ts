// Resource vectors of the fair-share maths. One flat key per resource so quota, usage and demand
// line up: "gpu/<model>" and "gpu/*" in milli-GPU, "cpu" in milli-cores, "memory" in bytes.
// Integers throughout, so sums and comparisons are exact.
import type { ResourceAmounts } from '../../model/common.js';
import { migMilli } from '../../model/allocation-rules.js';
import { parseCpuMilli, parseMemoryBytes } from '../../model/quantity.js';
import { GPU_MILLI } from '../snapshot.js';
import type { ReplicaResources } from '../types.js';

/** Amount per resource key; a key not present is 0 (or, for limits, "no limit"). */
export type ResourceVector = Record<string, number>;

export const CPU_KEY = 'cpu';
export const MEMORY_KEY = 'memory';
export const ANY_GPU_KEY = 'gpu/*';
export const gpuKey = (model: string): string => `gpu/${model}`;
export const isGpuKey = (key: string): boolean => key.startsWith('gpu/');

/** A Queue's ResourceAmounts (whole GPUs, CPU and memory quantities) as a vector; `field` names it in errors. */
export function amountsToVector(amounts: ResourceAmounts | undefined, field: string): ResourceVector {
  const out: ResourceVector = {};
  if (!amounts) return out;
  for (const [model, n] of Object.entries(amounts.gpu ?? {})) out[model === '*' ? ANY_GPU_KEY : gpuKey(model)] = n * GPU_MILLI;
  if (amounts.cpu !== undefined) out[CPU_KEY] = parseCpuMilli(amounts.cpu, `${field}.cpu`);
  if (amounts.memory !== undefined) out[MEMORY_KEY] = parseMemoryBytes(amounts.memory, `${field}.memory`);
  return out;
}

/** Milli-GPU one replica takes: whole GPUs, a time-slice, or a MIG instance's weight (model/allocation-rules.ts). */
export function replicaGpuMilli(res: ReplicaResources): number {
  const g = res.gpu;
  if (g.kind === 'whole') return g.count * GPU_MILLI;
  if (g.kind === 'share') return g.milli;
  if (g.kind === 'mig') return migMilli(g.profile);
  return 0;
}

export function addInto(into: ResourceVector, v: ResourceVector, sign = 1): void {
  for (const [k, n] of Object.entries(v)) {
    const next = (into[k] ?? 0) + sign * n;
    if (next === 0) delete into[k];
    else into[k] = next;
  }
}

export function scale(v: ResourceVector, times: number): ResourceVector {
  const out: ResourceVector = {};
  for (const [k, n] of Object.entries(v)) if (n !== 0) out[k] = n * times;
  return out;
}

/** Human form of an amount of `key`, e.g. "32 H100-80GB", "12 cpu", "64Gi memory". */
export function describeAmount(key: string, n: number): string {
  if (isGpuKey(key)) {
    const model = key.slice(4);
    const gpus = Math.round((n / GPU_MILLI) * 100) / 100;
    return `${gpus} ${model === '*' ? 'GPU' : model}`;
  }
  if (key === CPU_KEY) return `${Math.round(n / 10) / 100} cpu`;
  if (key === MEMORY_KEY) return `${Math.round((n / 2 ** 30) * 100) / 100}Gi memory`;
  return `${n} ${key}`;
}

/** Short resource name for messages and `GangDecision.borrowed`: the GPU model, "GPU" for "*", else the key. */
export function resourceName(key: string): string {
  if (!isGpuKey(key)) return key;
  const model = key.slice(4);
  return model === '*' ? 'GPU' : model;
}
