// The fleet's gauges (GPUs by model, site and isolation tier, allocation ratio, fragmentation,
// queue depth, per-project GPUs) computed from what is stored: Nodes, Allocations and pending
// workloads. Pure: the API's /metrics asks for it on each scrape, so every server replica
// reports the same numbers without a leader.
import { GPU_MILLI, isActiveAllocation } from '../model/allocation-rules.js';
import type { AllocationSpec } from '../model/kinds/allocation.js';
import type { NodeSpec } from '../model/kinds/node.js';
import type { Resource } from '../model/metadata.js';
import { FragmentationMeasure, typicalPods, type PodShape } from '../scheduler/index.js';
import { FleetView } from './fleet-view.js';

export interface GpuCounts {
  model: string;
  site: string;
  /** Whole GPUs on Ready-or-not nodes that carry them. */
  total: number;
  /** GPUs held, in GPU units (a 0.25 share counts 0.25; a MIG slice its share of the GPU). */
  allocated: number;
  free: number;
}

export interface FleetGauges {
  gpus: GpuCounts[];
  /** Allocated GPUs by isolation tier, model and site. */
  allocatedByTier: Array<{ tier: string; model: string; site: string; gpus: number }>;
  /** Allocated / total GPU capacity, 0..1 (0 when there are no GPUs). */
  allocationRatio: number;
  /** Free GPU capacity the current workload mix cannot use (FGD's measure), in GPUs. */
  fragmentedGpus: number;
  /** fragmentedGpus / free GPUs, 0..1: how much of what is free is unallocatable. */
  fragmentationRatio: number;
  /** Pending workloads per queue ("" = none named). */
  queueDepth: Array<{ queue: string; pending: number }>;
  /** GPUs held per project and model. */
  projectGpus: Array<{ project: string; model: string; gpus: number }>;
  /** Workloads by kind and phase. */
  workloadPhases: Array<{ kind: string; phase: string; count: number }>;
}

const PENDING_PHASES = new Set(['Pending', 'Queued', 'Restarting', undefined]);

export function fleetGauges(nodes: readonly Resource[], allocations: readonly Resource[], workloads: readonly Resource[]): FleetGauges {
  const siteOf = new Map<string, string>();
  const gpuKey = (model: string, site: string): string => `${model}\u0000${site}`;
  const gpus = new Map<string, GpuCounts>();
  for (const n of nodes) {
    const spec = n.spec as unknown as NodeSpec;
    const site = spec.site ?? '';
    siteOf.set(n.metadata.name, site);
    for (const g of spec.gpus ?? []) {
      const k = gpuKey(g.model, site);
      const c = gpus.get(k) ?? { model: g.model, site, total: 0, allocated: 0, free: 0 };
      c.total++;
      gpus.set(k, c);
    }
  }

  const active = allocations.filter(isActiveAllocation);
  const byTier = new Map<string, { tier: string; model: string; site: string; gpus: number }>();
  const byProject = new Map<string, { project: string; model: string; gpus: number }>();
  for (const a of active) {
    const spec = a.spec as unknown as AllocationSpec;
    const site = siteOf.get(spec.node) ?? '';
    const tier = spec.isolation ?? 'dedicated';
    for (const g of spec.gpus) {
      const held = heldGpus(g);
      const c = gpus.get(gpuKey(g.model, site));
      if (c) c.allocated += held;
      const tk = `${tier}\u0000${g.model}\u0000${site}`;
      const t = byTier.get(tk) ?? { tier, model: g.model, site, gpus: 0 };
      t.gpus += held;
      byTier.set(tk, t);
      const project = a.metadata.project ?? '';
      const pk = `${project}\u0000${g.model}`;
      const p = byProject.get(pk) ?? { project, model: g.model, gpus: 0 };
      p.gpus += held;
      byProject.set(pk, p);
    }
  }
  let total = 0;
  let allocated = 0;
  for (const c of gpus.values()) {
    c.allocated = round(c.allocated);
    c.free = round(Math.max(0, c.total - c.allocated));
    total += c.total;
    allocated += c.allocated;
  }

  const fragmentedGpus = fragmentation(nodes, active);
  const freeGpus = Math.max(0, total - allocated);

  const depth = new Map<string, number>();
  const phases = new Map<string, { kind: string; phase: string; count: number }>();
  for (const w of workloads) {
    const phase = (w.status as { phase?: string } | undefined)?.phase;
    const pk = `${w.kind}\u0000${phase ?? 'Pending'}`;
    const p = phases.get(pk) ?? { kind: w.kind, phase: phase ?? 'Pending', count: 0 };
    p.count++;
    phases.set(pk, p);
    if (!PENDING_PHASES.has(phase)) continue;
    const queue = (w.spec as { queue?: string }).queue ?? '';
    depth.set(queue, (depth.get(queue) ?? 0) + 1);
  }

  return {
    gpus: [...gpus.values()],
    allocatedByTier: [...byTier.values()].map((t) => ({ ...t, gpus: round(t.gpus) })),
    allocationRatio: total > 0 ? allocated / total : 0,
    fragmentedGpus: round(fragmentedGpus),
    fragmentationRatio: freeGpus > 0 ? Math.min(1, fragmentedGpus / freeGpus) : 0,
    queueDepth: [...depth].map(([queue, pending]) => ({ queue, pending })),
    projectGpus: [...byProject.values()].map((p) => ({ ...p, gpus: round(p.gpus) })),
    workloadPhases: [...phases.values()],
  };
}

/** GPUs an allocated GPU entry holds: its weight (model/allocation-rules.ts), set at placement. */
function heldGpus(g: AllocationSpec['gpus'][number]): number {
  return g.milli / GPU_MILLI;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * FGD's fragmentation of the fleet against the shapes running now (the best guess of what will
 * ask next), in GPUs. With nothing running there is no workload to measure against: 0.
 */
function fragmentation(nodes: readonly Resource[], active: readonly Resource[]): number {
  const shapes: PodShape[] = [];
  for (const a of active) {
    const s = podShapeOf(a.spec as unknown as AllocationSpec);
    if (s) shapes.push(s);
  }
  if (shapes.length === 0) return 0;
  const view = new FleetView();
  for (const n of nodes) view.applyNode('ADDED', n);
  for (const a of active) view.applyAllocation('ADDED', a);
  const snap = view.snapshot();
  return new FragmentationMeasure(typicalPods(shapes)).clusterFrag(snap) / 1000;
}

function podShapeOf(spec: AllocationSpec): PodShape | undefined {
  const g = spec.gpus;
  if (g.some((x) => x.mig)) return undefined; // MIG is placed by geometry, not measured by FGD
  if (g.length === 0) return { cpuMilli: spec.cpuMilli, gpuMilli: 0, gpuCount: 0, gpuModels: [] };
  const milli = g[0]!.milli;
  return { cpuMilli: spec.cpuMilli, gpuMilli: milli, gpuCount: g.length, gpuModels: [] };
}
