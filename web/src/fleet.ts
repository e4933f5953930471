// Derived views of the fleet: which GPU holds what. Pure functions over the watched Nodes and
// Allocations, so every page computes them the same way.
import { GPU_MILLI, isActiveAllocation } from '../../src/model/allocation-rules.js';
import { DRAIN_ANNOTATION } from '../../src/model/annotations.js';
import type { Resource } from '../../src/model/metadata.js';
import { num, obj, spec, status, str } from './format.js';

export interface GpuUse {
  allocation: string;
  project: string;
  workload: string;
  milli: number;
  mig?: { profile: string; start: number; size: number };
}

export interface GpuCell {
  index: number;
  model: string;
  migEnabled: boolean;
  uses: GpuUse[];
  /** Thousandths in use: the allocations' GPU weight (a MIG instance its compute slices of 7). */
  milli: number;
}

export interface NodeView {
  name: string;
  site: string;
  rack: string;
  state: string;
  gpus: GpuCell[];
  node: Resource;
  allocations: Resource[];
}

/** Ready / NotReady from the lifecycle controller; Cordoned and Draining from the spec. */
export function nodeState(n: Resource): string {
  const st = str(status(n).state) ?? 'Unknown';
  if (n.metadata.annotations?.[DRAIN_ANNOTATION] && st !== 'NotReady') return 'Draining';
  if (spec(n).unschedulable === true && st === 'Ready') return 'Cordoned';
  return st;
}

export function nodeViews(nodes: Resource[], allocations: Resource[]): NodeView[] {
  const byNode = new Map<string, Resource[]>();
  for (const a of allocations) {
    if (!isActiveAllocation(a)) continue;
    const n = str(spec(a).node) ?? '';
    const list = byNode.get(n) ?? [];
    list.push(a);
    byNode.set(n, list);
  }
  return nodes
    .map((n) => {
      const s = spec(n);
      const allocs = byNode.get(n.metadata.name) ?? [];
      const gpus: GpuCell[] = (Array.isArray(s.gpus) ? s.gpus : []).map((g) => {
        const o = obj(g);
        return { index: num(o.index), model: str(o.model) ?? '?', migEnabled: o.migEnabled === true, uses: [], milli: 0 };
      });
      for (const a of allocs) {
        const workload = str(obj(spec(a).workload).name) ?? a.metadata.name;
        for (const g of Array.isArray(spec(a).gpus) ? (spec(a).gpus as unknown[]) : []) {
          const o = obj(g);
          const cell = gpus.find((c) => c.index === num(o.index));
          if (!cell) continue;
          const mig = o.mig ? (o.mig as GpuUse['mig']) : undefined;
          const milli = num(o.milli);
          cell.uses.push({ allocation: a.metadata.name, project: a.metadata.project ?? '', workload, milli, mig });
          cell.milli = Math.min(GPU_MILLI, cell.milli + milli);
        }
      }
      return {
        name: n.metadata.name,
        site: str(s.site) ?? '(no site)',
        rack: str(s.rack) ?? '(no rack)',
        state: nodeState(n),
        gpus,
        node: n,
        allocations: allocs,
      };
    })
    .sort((a, b) => a.site.localeCompare(b.site) || a.rack.localeCompare(b.rack) || a.name.localeCompare(b.name));
}
