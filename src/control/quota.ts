// Project quota accounting. A workload's demand is charged against named quota keys ("gpu *",
// "gpu H100-80GB", "cpu", "memory"); the rules for which GPU keys a request is charged to are in
// docs/api.md (Quota): in short, the worst case over the models it may land on.
import { QuotaExceededError, type FieldIssue } from '../model/errors.js';
import type { ResourceAmounts } from '../model/common.js';
import { formatCpuMilli, formatMemoryBytes, parseCpuMilli, parseMemoryBytes } from '../model/quantity.js';
import { chargedReplicas, gpuEquivalents, type WorkloadSpec } from './workload.js';

export const ANY_GPU = '*';

/** Amount per quota key. GPUs in whole-GPU equivalents, cpu in milli-cores, memory in bytes. */
export type Charges = Map<string, number>;

function add(c: Charges, key: string, n: number): void {
  if (n > 0) c.set(key, (c.get(key) ?? 0) + n);
}

/** The model keys of a GPU quota (everything but "*"). */
export function quotaModels(quota: ResourceAmounts): string[] {
  return Object.keys(quota.gpu ?? {}).filter((k) => k !== ANY_GPU);
}

/** What one workload is charged against `quota`. Only keys the quota constrains are returned. */
export function chargesOf(spec: WorkloadSpec, quota: ResourceAmounts): Charges {
  const out: Charges = new Map();
  const replicas = chargedReplicas(spec);
  const gpu = spec.resources?.gpu;
  if (quota.gpu && gpu) {
    const total = gpuEquivalents(gpu) * replicas;
    add(out, `gpu ${ANY_GPU}`, total);
    for (const model of new Set(gpu.models ?? quotaModels(quota))) add(out, `gpu ${model}`, total);
  }
  if (quota.cpu !== undefined && spec.resources?.cpu !== undefined) {
    add(out, 'cpu', parseCpuMilli(spec.resources.cpu, 'spec.resources.cpu') * replicas);
  }
  if (quota.memory !== undefined && spec.resources?.memory !== undefined) {
    add(out, 'memory', parseMemoryBytes(spec.resources.memory, 'spec.resources.memory') * replicas);
  }
  return out;
}

/** The limit for one key; Infinity when the quota does not constrain it. */
export function limitOf(key: string, quota: ResourceAmounts): number {
  if (key === 'cpu') return quota.cpu === undefined ? Infinity : parseCpuMilli(quota.cpu, 'quota.cpu');
  if (key === 'memory') return quota.memory === undefined ? Infinity : parseMemoryBytes(quota.memory, 'quota.memory');
  const gpuQuota = quota.gpu;
  if (!gpuQuota) return Infinity;
  const model = key.slice('gpu '.length);
  const own = gpuQuota[model];
  if (own !== undefined) return own;
  const hasAny = gpuQuota[ANY_GPU] !== undefined;
  if (model === ANY_GPU) {
    // No "*" key: the total is bounded by the model keys alone — unless there are none, in
    // which case the project may use no GPUs at all.
    return quotaModels(quota).length > 0 ? Infinity : 0;
  }
  // A model without a key of its own is covered by "*" when present, else not allowed.
  return hasAny ? Infinity : 0;
}

function fmt(key: string, n: number): string {
  if (key === 'cpu') return formatCpuMilli(Math.round(n));
  if (key === 'memory') return formatMemoryBytes(Math.round(n));
  return String(Math.round(n * 1000) / 1000);
}

function label(key: string): string {
  return key === `gpu ${ANY_GPU}` ? 'gpu (any model)' : key;
}

function fieldOf(key: string): string {
  return key.startsWith('gpu ') ? 'spec.resources.gpu' : `spec.resources.${key}`;
}

/**
 * Throws QuotaExceededError when adding `requested` to `inUse` would exceed the quota for some
 * key, except where the request asks for no more than `previous` (the object's old charges on an
 * update) — lowering a quota must not block edits that do not grow the workload.
 */
export function checkQuota(project: string, quota: ResourceAmounts, requested: Charges, inUse: Charges, previous: Charges = new Map()): void {
  const over: string[] = [];
  const issues: FieldIssue[] = [];
  for (const [key, req] of requested) {
    if (req <= (previous.get(key) ?? 0)) continue;
    const limit = limitOf(key, quota);
    const used = inUse.get(key) ?? 0;
    if (used + req <= limit + 1e-9) continue;
    const message = `quota exceeded for ${label(key)}: requested ${fmt(key, req)}, in use ${fmt(key, used)}, quota ${fmt(key, limit)} (over by ${fmt(key, used + req - limit)})`;
    over.push(message);
    issues.push({ field: fieldOf(key), message });
  }
  if (over.length > 0) throw new QuotaExceededError(`project "${project}": ${over.join('; ')}`, issues);
}

export function sumCharges(into: Charges, more: Charges): Charges {
  for (const [k, v] of more) add(into, k, v);
  return into;
}
