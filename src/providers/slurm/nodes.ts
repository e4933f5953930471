// How a Slurm node looks as a Weft Node: pure functions, no I/O. The node's GPUs come from its
// GRES (gpu[:type]:count), its state from Slurm's (idle/mixed/allocated are Ready, drained or
// draining is Cordoned — Weft places nothing new there — and down, not responding or unknown is
// NotReady). Names are the cluster's name, a dash and the Slurm node's name, so two clusters'
// "node001" do not collide.
import { gpuModelOfGresType } from '../../model/gpu-catalog.js';
import type { NodeSpec } from '../../model/kinds/node.js';
import type { SlurmNode } from './rest.js';

export const CLUSTER_LABEL = 'weft.dev/cluster';
export const SLURM_NODE_ANNOTATION = 'weft.dev/slurm-node';
export const SLURM_PROVIDER = 'slurm';

export interface GresGpus {
  /** The GRES type as Slurm names it ("h100"); undefined when untyped. */
  type: string | undefined;
  count: number;
}

/** The GPU entries of a GRES string: "gpu:h100:8(S:0-1),gpu:a100:2" → [{h100, 8}, {a100, 2}]. */
export function parseGresGpus(gres: string | undefined): GresGpus[] {
  if (!gres || gres === '(null)' || gres === 'N/A') return [];
  const out: GresGpus[] = [];
  for (const entry of gres.split(/,(?![^(]*\))/)) {
    const parts = entry.replace(/\(.*\)$/, '').split(':');
    if (parts[0] !== 'gpu') continue;
    const count = Number(parts[parts.length - 1]);
    if (!Number.isInteger(count) || count <= 0) continue;
    out.push({ type: parts.length >= 3 ? parts[1] : undefined, count });
  }
  return out;
}

/** The Weft GPU model of a GRES type (see gpuModelOfGresType in the GPU catalog). */
export const gpuModelOf = gpuModelOfGresType;

/** The GRES type Weft asks for when it needs a model on a node (what the node declares). */
export function gresTypeFor(node: SlurmNode, model: string): string | undefined {
  return parseGresGpus(node.gres).find((g) => gpuModelOf(g.type) === model)?.type;
}

export type WeftNodeState = 'Ready' | 'NotReady' | 'Cordoned';

export function nodeStateOf(n: Pick<SlurmNode, 'state' | 'state_flags'>): WeftNodeState {
  const flags = (n.state_flags ?? []).map((f) => f.toUpperCase());
  const base = n.state.toLowerCase();
  if (flags.includes('NOT_RESPONDING') || ['down', 'unknown', 'future', 'error', 'fail'].includes(base)) return 'NotReady';
  if (flags.some((f) => f.startsWith('DRAIN') || f === 'MAINTENANCE' || f === 'RESERVED') || base.startsWith('drain') || base === 'maint') return 'Cordoned';
  return 'Ready';
}

/** Slurm's own words for the state: "idle", "mixed+drain". */
export function slurmStateOf(n: Pick<SlurmNode, 'state' | 'state_flags'>): string {
  return [n.state.toLowerCase(), ...(n.state_flags ?? []).map((f) => f.toLowerCase())].join('+');
}

export function weftNodeName(cluster: string, slurmNode: string): string {
  const clean = slurmNode.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${cluster}-${clean}`.slice(0, 63).replace(/-+$/, '');
}

/** Whether Weft may use the node: in one of the partitions the Cluster allows (all when it names none). */
export function inPartitions(n: SlurmNode, allowed: readonly string[] | undefined): boolean {
  return allowed === undefined || (n.partitions ?? []).some((p) => allowed.includes(p));
}

export function nodeSpecOf(n: SlurmNode, site: string | undefined): NodeSpec {
  let index = 0;
  const gpus = parseGresGpus(n.gres).flatMap((g) => Array.from({ length: g.count }, () => ({ index: index++, model: gpuModelOf(g.type) })));
  return {
    ...(site ? { site } : {}),
    cpu: String(n.cpus),
    memory: `${n.real_memory}Mi`,
    ...(gpus.length > 0 ? { gpus } : {}),
    provider: SLURM_PROVIDER,
  };
}
