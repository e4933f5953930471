// What the fleet holds, summed from active Allocations: per node (GPUs, CPU, memory) and per
// project and GPU model (against the project's quota). Pure, so `weft top` is easy to test.
import { allocationMilli, GPU_MILLI, isActiveAllocation } from '../../model/allocation-rules.js';
import type { Resource } from '../../model/metadata.js';
import { parseCpuMilli, parseMemoryBytes } from '../../model/quantity.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

interface AllocGpu {
  index: number;
  model: string;
  /** The GPU weight placement wrote (model/allocation-rules.ts): a MIG 3g is 428. */
  milli: number;
}

function gpusOf(a: Resource): AllocGpu[] {
  return Array.isArray(a.spec.gpus) ? (a.spec.gpus as AllocGpu[]) : [];
}

export interface NodeUsage {
  name: string;
  site: string;
  model: string;
  gpusUsed: number;
  gpusTotal: number;
  cpuUsedMilli: number;
  cpuTotalMilli: number;
  memUsed: number;
  memTotal: number;
  state: string;
  allocations: number;
}

export function nodeUsage(nodes: Resource[], allocs: Resource[]): NodeUsage[] {
  const byNode = new Map<string, Resource[]>();
  for (const a of allocs) {
    if (!isActiveAllocation(a)) continue;
    const n = String(a.spec.node ?? '');
    byNode.set(n, [...(byNode.get(n) ?? []), a]);
  }
  return nodes.map((n) => {
    const spec = n.spec as { site?: string; cpu?: string; memory?: string; gpus?: { model: string }[]; unschedulable?: boolean };
    const held = byNode.get(n.metadata.name) ?? [];
    const models = [...new Set((spec.gpus ?? []).map((g) => g.model))];
    const state = obj(n.status).state;
    return {
      name: n.metadata.name,
      site: spec.site ?? '',
      model: models.join(',') || '-',
      gpusUsed: sum(held.map((a) => allocationMilli(a.spec))) / GPU_MILLI,
      gpusTotal: spec.gpus?.length ?? 0,
      cpuUsedMilli: sum(held.map((a) => Number(a.spec.cpuMilli ?? 0))),
      cpuTotalMilli: safe(() => parseCpuMilli(spec.cpu ?? '0')),
      memUsed: sum(held.map((a) => Number(a.spec.memoryBytes ?? 0))),
      memTotal: safe(() => parseMemoryBytes(spec.memory ?? '0')),
      state: typeof state === 'string' ? (spec.unschedulable && state === 'Ready' ? 'Ready,Cordoned' : state) : spec.unschedulable ? 'Cordoned' : 'Unknown',
      allocations: held.length,
    };
  });
}

export interface ProjectUsage {
  project: string;
  model: string;
  /** GPUs (milli-GPU / 1000). */
  allocated: number;
  quota?: number;
  workloads: number;
}

/** One row per project and GPU model that is either allocated or in the quota. */
export function projectUsage(projects: Resource[], allocs: Resource[]): ProjectUsage[] {
  const rows = new Map<string, ProjectUsage>();
  const row = (project: string, model: string): ProjectUsage => {
    const key = `${project}\u0000${model}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { project, model, allocated: 0, workloads: 0 }));
    return r;
  };
  for (const p of projects) {
    const quota = obj(obj(p.spec.quota).gpu);
    for (const [model, n] of Object.entries(quota)) row(p.metadata.name, model).quota = Number(n);
  }
  const workloads = new Map<string, Set<string>>();
  for (const a of allocs) {
    if (!isActiveAllocation(a)) continue;
    const project = a.metadata.project ?? '';
    for (const g of gpusOf(a)) {
      const r = row(project, g.model);
      r.allocated += g.milli;
      const key = `${project}\u0000${g.model}`;
      const w = obj(a.spec.workload);
      workloads.set(key, (workloads.get(key) ?? new Set()).add(`${String(w.kind)}/${String(w.name)}`));
    }
  }
  for (const [key, set] of workloads) rows.get(key)!.workloads = set.size;
  for (const r of rows.values()) r.allocated /= GPU_MILLI; // summed in milli, so nothing drifts
  return [...rows.values()].sort((a, b) => a.project.localeCompare(b.project) || a.model.localeCompare(b.model));
}

/** 8 → "8", 2.25 → "2.25", 0.428 → "0.43", 0.999 → "1". */
export function formatAmount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
}

export function percent(used: number, total: number): string {
  return total > 0 ? `${Math.round((100 * used) / total)}%` : '-';
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return 0;
  }
}
