// Compiles a replica's resources into the flat form the hot loops read: numbers and a model
// mask resolved against the snapshot, computed once per gang rather than once per node.

import { gpuModelInfo, migProfileOn, migProfileShape, type MigProfileGeometry } from '../model/gpu-catalog.js';
import { NO_SHAPE, SHAPE_MANY, SHAPE_MIG, SHAPE_SHARE, type Snapshot } from './snapshot.js';
import type { GangRequest, ReplicaResources, VolumePlacement } from './types.js';

export const GPU_NONE = 0;
export const GPU_WHOLE = 1;
export const GPU_SHARE = 2;
export const GPU_MIG = 3;

export interface ReplicaShape {
  /** Identifies the shape for per-node score caches: equal keys score equally on equal nodes. */
  readonly key: string;
  readonly cpuMilli: number;
  readonly memoryBytes: number;
  readonly gpuKind: number;
  /** GPUs used: 0 (none), the whole count, or 1 (share / MIG). */
  readonly gpuCount: number;
  /** Milli-GPU taken on each used GPU: 1000 for whole, the share for share, 0 otherwise. */
  readonly milliPerGpu: number;
  /** gpuCount × milliPerGpu. */
  readonly totalMilli: number;
  /** The GPU models asked for, by name (sorted); null = any model. */
  readonly models: readonly string[] | null;
  /** The sites asked for, by name (sorted); null = any site. */
  readonly sites: readonly string[] | null;
  /** allowedModels[modelId] = 1 when allowed; null = any model. */
  readonly allowedModels: Uint8Array | null;
  /** Allowed site ids, null = any. */
  readonly allowedSites: Uint8Array | null;
  /** Site ids data residency allows, null = no residency rule. */
  readonly residencySites: Uint8Array | null;
  /** volumeNodes[node] = 1 where every volume the replica mounts is; null = it mounts none. */
  readonly volumeNodes: Uint8Array | null;
  /** The volumes' names, for explanations. */
  readonly volumes: readonly string[] | null;
  /** imageNodes[node] = 1 where the replica's image already is; null = on no node, or not asked. Never part of `key`: it only breaks ties. */
  readonly imageNodes: Uint8Array | null;
  readonly migProfile: string | null;
  /** MIG geometry per model id (undefined when that model cannot host the profile). */
  readonly migGeometry: readonly (MigProfileGeometry | undefined)[] | null;
  readonly shapeClass: number;
  /** Tenant id (Snapshot.tenantId of the project, '' when none) for the isolation filters. */
  readonly tenant: number;
  /** exclusive-node isolation: no other tenant on the same host. */
  readonly exclusive: boolean;
  /** The tenant lets other tenants share the GPUs its shares land on. */
  readonly allowSharing: boolean;
  /** Whole GPUs passed through to a VM: only GPUs the node can pass through may be taken. */
  readonly passthrough: boolean;
}

export function compileReplica(
  snap: Snapshot,
  gang: Pick<GangRequest, 'resources' | 'sites'> & Partial<Pick<GangRequest, 'project' | 'isolation' | 'allowSharing' | 'residency' | 'volumes' | 'imageNodes' | 'passthrough'>>,
): ReplicaShape {
  const r: ReplicaResources = gang.resources;
  const models = r.gpuModels && r.gpuModels.length > 0 ? [...r.gpuModels].sort() : null;
  const sites = gang.sites && gang.sites.length > 0 ? [...gang.sites].sort() : null;
  let gpuKind = GPU_NONE;
  let gpuCount = 0;
  let milli = 0;
  let shapeClass = NO_SHAPE;
  let migProfile: string | null = null;
  let migGeometry: (MigProfileGeometry | undefined)[] | null = null;
  // Dedicated isolation means whole GPUs: a share asked for under it takes one whole GPU.
  const g = gang.isolation === 'dedicated' && r.gpu.kind === 'share' ? { kind: 'whole' as const, count: 1 } : r.gpu;
  if (g.kind === 'whole' && g.count > 0) {
    gpuKind = GPU_WHOLE;
    gpuCount = g.count;
    milli = 1000;
    shapeClass = g.count <= 8 ? g.count : SHAPE_MANY;
  } else if (g.kind === 'share') {
    if (!(g.milli >= 1 && g.milli <= 1000)) throw new RangeError(`GPU share must be 1..1000 milli, got ${g.milli}`);
    // A "share" of a full GPU is simply one whole GPU.
    gpuKind = g.milli === 1000 ? GPU_WHOLE : GPU_SHARE;
    gpuCount = 1;
    milli = g.milli;
    shapeClass = g.milli === 1000 ? 1 : SHAPE_SHARE;
  } else if (g.kind === 'mig') {
    gpuKind = GPU_MIG;
    gpuCount = 1;
    shapeClass = SHAPE_MIG;
    migProfile = g.profile;
    migGeometry = snap.modelNames.map((m) => migProfileOn(m, g.profile) ?? (m === '' ? undefined : genericMig(m, g.profile)));
  }
  let allowedModels: Uint8Array | null = null;
  if (models && gpuKind !== GPU_NONE) {
    allowedModels = new Uint8Array(snap.modelNames.length);
    for (const m of models) {
      const id = snap.modelId(m);
      if (id >= 0) allowedModels[id] = 1;
    }
  }
  const allowedSites = sites ? siteMask(snap, sites) : null;
  const resident = gang.residency ? [...gang.residency.sites].sort() : null;
  const residencySites = resident ? siteMask(snap, resident) : null;
  const volumeNodes = gang.volumes && gang.volumes.length > 0 ? volumeMask(snap, gang.volumes) : null;
  const volumeKey = volumeNodes ? `v:${gang.volumes!.map((v) => `${v.name}=${v.nodes?.join(',') ?? ''}/${v.sites?.join(',') ?? ''}`).join('|')}` : '';
  const passthrough = gang.passthrough === true && gpuKind === GPU_WHOLE;
  const key = [r.cpuMilli, r.memoryBytes, gpuKind, gpuCount, milli, migProfile ?? '', models?.join('|') ?? '', sites?.join('|') ?? '', resident ? `r:${resident.join('|')}` : '', volumeKey, passthrough ? 'vfio' : ''].join(':');
  return {
    key,
    cpuMilli: r.cpuMilli,
    memoryBytes: r.memoryBytes,
    gpuKind,
    gpuCount,
    milliPerGpu: milli,
    totalMilli: gpuCount * milli,
    models: gpuKind !== GPU_NONE ? models : null,
    sites,
    allowedModels,
    allowedSites,
    residencySites,
    volumeNodes,
    volumes: volumeNodes ? gang.volumes!.map((v) => v.name) : null,
    imageNodes: gang.imageNodes && gang.imageNodes.length > 0 ? nodeMask(snap, gang.imageNodes) : null,
    migProfile,
    migGeometry,
    shapeClass,
    tenant: snap.tenantId(gang.project ?? ''),
    exclusive: gang.isolation === 'exclusive-node',
    allowSharing: gang.allowSharing === true,
    passthrough,
  };
}

/** mask[node] = 1 on the nodes that hold every volume: one of its nodes, or a node in one of its sites. */
function volumeMask(snap: Snapshot, volumes: readonly VolumePlacement[]): Uint8Array {
  const mask = new Uint8Array(snap.nodeCount).fill(1);
  for (const v of volumes) {
    const nodes = new Set(v.nodes ?? []);
    const sites = v.sites ? siteMask(snap, v.sites) : null;
    for (let n = 0; n < snap.nodeCount; n++) {
      const here = nodes.has(snap.nodeNames[n]!) || (sites !== null && sites[snap.site[n]!] === 1);
      if (!here) mask[n] = 0;
    }
  }
  return mask;
}

/** mask[node] = 1 on the named nodes the snapshot knows. */
function nodeMask(snap: Snapshot, names: readonly string[]): Uint8Array {
  const wanted = new Set(names);
  const mask = new Uint8Array(snap.nodeCount);
  for (let n = 0; n < snap.nodeCount; n++) if (wanted.has(snap.nodeNames[n]!)) mask[n] = 1;
  return mask;
}

/** mask[siteId] = 1 for each named site the snapshot knows. */
function siteMask(snap: Snapshot, sites: readonly string[]): Uint8Array {
  const mask = new Uint8Array(snap.siteNames.length);
  for (const s of sites) {
    const id = snap.siteNames.indexOf(s);
    if (id >= 0) mask[id] = 1;
  }
  return mask;
}

/**
 * Models missing from the catalog: assume the A100-style geometry when the profile parses. A model
 * the catalog knows hosts exactly its own profiles, so an L4 or an A100 asked for "3g.71gb" gets none.
 */
function genericMig(model: string, profile: string): MigProfileGeometry | undefined {
  return gpuModelInfo(model) ? undefined : migProfileShape(profile);
}
