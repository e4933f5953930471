// GPU catalog: known models, their memory, and MIG geometry. A MIG-capable GPU has 8 memory
// slices (and 7 compute slices); a profile occupies a run of memory slices that may begin only at
// the start slices the hardware allows. The scheduler keeps one bit per memory slice per GPU and
// uses this table to decide where an instance can go on a partially sliced GPU.
//
// Source: NVIDIA Multi-Instance GPU User Guide, "Supported MIG Profiles" (A100, H100 and H200
// tables: profile names, fraction of memory, fraction of SMs, number of instances available) and
// the placement lists `nvidia-smi mig -lgipp` prints ("Placements: {0,4}:4" = starts 0 or 4,
// 4 memory slices wide). A100, H100 and H200 share one placement grid; only the sizes differ.

export interface MigProfileGeometry {
  /** Profile name as nvidia-smi prints it, e.g. "1g.10gb". */
  name: string;
  /** Compute slices (the "g" in the name), out of 7. */
  computeSlices: number;
  /** How many of the GPU's 8 memory slices the instance occupies. */
  width: number;
  /** Allowed start slices (0-based) of the occupied run. */
  starts: readonly number[];
  /** Memory of the instance in GB, as the profile name states it. */
  memoryGB: number;
  /** Most instances of this profile one GPU can hold (the guide's "instances available"). */
  maxInstances: number;
  /**
   * Media-extension variant (+me): takes all decoders, so at most one per GPU. The occupancy
   * bitmask cannot see that limit, so placement treats it as its plain 1g sibling.
   */
  media?: boolean;
}

export interface GpuModelInfo {
  name: string;
  memoryGiB: number;
  /** Compute slices when MIG is enabled (0 for models without MIG). */
  migComputeSlices: number;
  /** Memory slices when MIG is enabled: the width of the occupancy bitmask (0 without MIG). */
  migMemorySlices: number;
  migProfiles: readonly MigProfileGeometry[];
}

/** Memory-slice positions on a MIG-capable GPU; the occupancy bitmask has this many bits. */
export const MIG_SLOTS = 8;

/** Profile sizes in GB, smallest first: 1g, 1g with double memory, 2g, 3g, 4g, 7g. */
type Sizes = readonly [number, number, number, number, number, number];

function a100Grid(gb: Sizes): MigProfileGeometry[] {
  // The guide's placement grid for A100, H100 and H200: 1g at any of slices 0–6 (slice 7 has no
  // compute slice of its own), the double-memory 1g on even slices, 2g on 0/2/4, 3g on either
  // half, 4g only on the first half, 7g the whole GPU.
  const [g1, g1x2, g2, g3, g4, g7] = gb;
  const p = (g: number, size: number, width: number, starts: number[], maxInstances: number, media = false): MigProfileGeometry => ({
    name: `${g}g.${size}gb${media ? '+me' : ''}`,
    computeSlices: g,
    width,
    starts,
    memoryGB: size,
    maxInstances,
    ...(media ? { media } : {}),
  });
  return [
    p(1, g1, 1, [0, 1, 2, 3, 4, 5, 6], 7),
    p(1, g1, 1, [0, 1, 2, 3, 4, 5, 6], 1, true),
    p(1, g1x2, 2, [0, 2, 4, 6], 4),
    p(2, g2, 2, [0, 2, 4], 3),
    p(3, g3, 4, [0, 4], 2),
    p(4, g4, 4, [0], 1),
    p(7, g7, 8, [0], 1),
  ];
}

function mig(name: string, memoryGiB: number, gb: Sizes): GpuModelInfo {
  return { name, memoryGiB, migComputeSlices: 7, migMemorySlices: MIG_SLOTS, migProfiles: a100Grid(gb) };
}

function plain(name: string, memoryGiB: number): GpuModelInfo {
  return { name, memoryGiB, migComputeSlices: 0, migMemorySlices: 0, migProfiles: [] };
}

export const GPU_CATALOG: readonly GpuModelInfo[] = [
  mig('A100-40GB', 40, [5, 10, 10, 20, 20, 40]),
  mig('A100-80GB', 80, [10, 20, 20, 40, 40, 80]),
  mig('H100-80GB', 80, [10, 20, 20, 40, 40, 80]),
  mig('H200-141GB', 141, [18, 35, 35, 71, 71, 141]),
  mig('B200-180GB', 180, [23, 45, 45, 90, 90, 180]),
  plain('L40S-48GB', 48),
  plain('L4-24GB', 24),
  plain('MI300X-192GB', 192),
  plain('A10', 24),
  plain('T4', 16),
  plain('P100', 16),
  plain('V100M16', 16),
  plain('V100M32', 32),
];

const byName = new Map(GPU_CATALOG.map((m) => [m.name, m]));

export function gpuModelInfo(name: string): GpuModelInfo | undefined {
  return byName.get(name);
}

/** The geometry of a MIG profile on a model, or undefined when the model cannot host it. */
export function migProfileOn(model: string, profile: string): MigProfileGeometry | undefined {
  return byName.get(model)?.migProfiles.find((p) => p.name === profile);
}

/** The generic grid, for models the catalog does not know but that report MIG profiles. */
const GENERIC = a100Grid([1, 2, 2, 4, 4, 8]);

/**
 * Geometry of a profile from its name alone ("3g.40gb" → 3 compute slices, 4 memory slices), for
 * models the catalog does not know. Widths follow the A100-style grid; a 1g whose memory is not
 * the smallest size cannot be told apart by name, so it is taken as the single-slice one.
 */
export function migProfileShape(profile: string): MigProfileGeometry | undefined {
  const m = /^([1-9])g\.(\d+)gb(\+me)?$/.exec(profile);
  if (!m) return undefined;
  const g = Number(m[1]);
  const layout = GENERIC.find((p) => p.computeSlices === g && !p.media);
  if (!layout) return undefined;
  return { ...layout, name: profile, memoryGB: Number(m[2]), ...(m[3] ? { media: true, maxInstances: 1 } : {}) };
}

/** Every profile a model's MIG GPUs can host (the generic grid for models not in the catalog). */
export function migProfilesOf(model: string): readonly MigProfileGeometry[] {
  const info = byName.get(model);
  return info ? info.migProfiles : GENERIC;
}

/** Bitmask of the memory slices a profile placed at `start` occupies. */
export function migRunMask(start: number, width: number): number {
  return ((1 << width) - 1) << start;
}

/** Whether a profile may be placed at `start` on a GPU whose occupied slices are `used`. */
export function migFits(used: number, geom: MigProfileGeometry, start: number): boolean {
  return geom.starts.includes(start) && (used & migRunMask(start, geom.width)) === 0;
}

/**
 * The GPU model a Slurm GRES type names ("gpu:<type>:<n>"): a catalog name in any case
 * ("h100-80gb"), or the family of exactly one catalog model ("h100" → H100-80GB, "l4" → L4-24GB);
 * otherwise the type in capitals (an unknown model still counts, it just matches no
 * model-specific request or price), and "GPU" when untyped.
 */
export function gpuModelOfGresType(type: string | undefined): string {
  if (type === undefined || type === '') return 'GPU';
  const upper = type.toUpperCase();
  const exact = GPU_CATALOG.find((m) => m.name.toUpperCase() === upper);
  if (exact) return exact.name;
  const family = GPU_CATALOG.filter((m) => m.name.toUpperCase().startsWith(`${upper}-`));
  return family.length === 1 ? family[0]!.name : upper;
}
