// The live fleet as the scheduler sees it, rebuilt on the client from what the API lists: Nodes
// become snapshot slots and every active Allocation is assumed on them, so a what-if starts from
// exactly what is held now.
import type { Resource } from '../../model/metadata.js';
import { parseCpuMilli, parseMemoryBytes } from '../../model/quantity.js';
import { placementDelta as scheduledDelta, Snapshot, type NodeDelta, type NodeInput } from '../../scheduler/index.js';
import { NO_SHAPE, SHAPE_MANY, SHAPE_MIG, SHAPE_SHARE } from '../../scheduler/snapshot.js';
import type { GangRequest, ReplicaPlacement } from '../../scheduler/types.js';

interface NodeGpu {
  index: number;
  model: string;
  migEnabled?: boolean;
}

interface AllocGpu {
  index: number;
  milli: number;
  mig?: { start: number; size: number };
}

export interface LiveSnapshot {
  snap: Snapshot;
  /** Node name → slot. */
  slot: Map<string, number>;
  /** Per slot: GPU index → position inside the node. */
  positions: Map<number, number>[];
}

export function buildSnapshot(nodes: Resource[]): LiveSnapshot {
  const inputs: NodeInput[] = [];
  const positions: Map<number, number>[] = [];
  for (const n of nodes) {
    const spec = n.spec as { cpu?: string; memory?: string; gpus?: NodeGpu[]; site?: string; rack?: string; nvlinkDomain?: string; unschedulable?: boolean };
    const gpus = [...(spec.gpus ?? [])].sort((a, b) => a.index - b.index);
    const state = (n.status as { state?: unknown } | undefined)?.state;
    inputs.push({
      name: n.metadata.name,
      cpuMilli: quantity(() => parseCpuMilli(spec.cpu ?? '0')),
      memoryBytes: quantity(() => parseMemoryBytes(spec.memory ?? '0')),
      gpus: gpus.length,
      gpuModel: gpus[0]?.model,
      site: spec.site,
      rack: spec.rack,
      nvlinkDomain: spec.nvlinkDomain,
      // The scheduling loop's rule: only a known-bad state rules a node out.
      schedulable: !spec.unschedulable && !(typeof state === 'string' && ['NotReady', 'Cordoned', 'Draining'].includes(state)),
      migGpus: gpus.flatMap((g, i) => (g.migEnabled ? [i] : [])),
    });
    positions.push(new Map(gpus.map((g, i) => [g.index, i])));
  }
  const snap = new Snapshot(inputs);
  return { snap, slot: new Map(inputs.map((x, i) => [x.name, i])), positions };
}

/** What an Allocation holds, as a snapshot delta; undefined when its node is unknown. */
export function allocationDelta(live: LiveSnapshot, a: Resource): { node: number; delta: NodeDelta } | undefined {
  const spec = a.spec as { node?: string; gpus?: AllocGpu[]; cpuMilli?: number; memoryBytes?: number };
  const node = live.slot.get(spec.node ?? '');
  if (node === undefined) return undefined;
  const gpus = spec.gpus ?? [];
  const pos = live.positions[node]!;
  const first = gpus[0];
  const mig = first?.mig;
  return {
    node,
    delta: {
      cpuMilli: spec.cpuMilli ?? 0,
      memoryBytes: spec.memoryBytes ?? 0,
      gpus: gpus.map((g) => live.snap.gpuStart[node]! + (pos.get(g.index) ?? g.index)),
      milliPerGpu: mig ? 0 : (first?.milli ?? 0),
      migMask: mig ? ((1 << mig.size) - 1) << mig.start : 0,
      ...(mig ? { migMilli: first?.milli ?? 0 } : {}),
      shapeClass: shapeOf(gpus.length, mig ? 0 : (first?.milli ?? 0), !!mig),
    },
  };
}

/** The delta the scheduler assumed for one placement of `gang`, so the what-if can release it later. */
export function placementDelta(live: LiveSnapshot, gang: GangRequest, p: ReplicaPlacement): NodeDelta {
  return scheduledDelta(live.snap, gang, p);
}

function shapeOf(count: number, milli: number, mig: boolean): number {
  if (mig) return SHAPE_MIG;
  if (count === 0) return NO_SHAPE;
  if (milli < 1000) return SHAPE_SHARE;
  return count <= 8 ? count : SHAPE_MANY;
}

function quantity(f: () => number): number {
  try {
    return f();
  } catch {
    return 0;
  }
}
