// GPU catalog: known models, their memory, and MIG geometry. MIG profiles are described by the
// run of memory slices they occupy and the start slices the hardware allows; the scheduler uses
// this to decide where a MIG instance can go on a partially sliced GPU.

export interface MigProfileGeometry {
  /** Profile name as nvidia-smi prints it, e.g. "1g.10gb". */
  name: string;
  /** Compute slices (the "g" in the name). */
  computeSlices: number;
  /** How many of the GPU's 8 memory-slice positions the instance occupies. */
  width: number;
  /** Allowed start positions (0-based) of the occupied run. */
  starts: readonly number[];
}

export interface GpuModelInfo {
  name: string;
  memoryGiB: number;
  migProfiles: readonly MigProfileGeometry[];
}

/** Memory-slice positions on a MIG-capable GPU; the occupancy bitmask has this many bits. */
export const MIG_SLOTS = 8;

function a100Style(sizes: [string, string, string, string, string, string]): MigProfileGeometry[] {
  // NVIDIA's A100/H100/H200 placement table: 1g anywhere but the last slot, 1g-double-memory and
  // 2g on even slots, 3g/4g on half boundaries, 7g takes the whole GPU.
  const [g1, g1x2, g2, g3, g4, g7] = sizes;
  return [
    { name: g1, computeSlices: 1, width: 1, starts: [0, 1, 2, 3, 4, 5, 6] },
    { name: g1x2, computeSlices: 1, width: 2, starts: [0, 2, 4, 6] },
    { name: g2, computeSlices: 2, width: 2, starts: [0, 2, 4] },
    { name: g3, computeSlices: 3, width: 4, starts: [0, 4] },
    { name: g4, computeSlices: 4, width: 4, starts: [0] },
    { name: g7, computeSlices: 7, width: 8, starts: [0] },
  ];
}

export const GPU_CATALOG: readonly GpuModelInfo[] = [
  { name: 'A100-40GB', memoryGiB: 40, migProfiles: a100Style(['1g.5gb', '1g.10gb', '2g.10gb', '3g.20gb', '4g.20gb', '7g.40gb']) },
  { name: 'A100-80GB', memoryGiB: 80, migProfiles: a100Style(['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']) },
  { name: 'H100-80GB', memoryGiB: 80, migProfiles: a100Style(['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb']) },
  { name: 'H200-141GB', memoryGiB: 141, migProfiles: a100Style(['1g.18gb', '1g.35gb', '2g.35gb', '3g.71gb', '4g.71gb', '7g.141gb']) },
  { name: 'B200-180GB', memoryGiB: 180, migProfiles: a100Style(['1g.23gb', '1g.45gb', '2g.45gb', '3g.90gb', '4g.90gb', '7g.180gb']) },
  { name: 'L40S-48GB', memoryGiB: 48, migProfiles: [] },
  { name: 'A10', memoryGiB: 24, migProfiles: [] },
  { name: 'T4', memoryGiB: 16, migProfiles: [] },
  { name: 'P100', memoryGiB: 16, migProfiles: [] },
  { name: 'V100M16', memoryGiB: 16, migProfiles: [] },
  { name: 'V100M32', memoryGiB: 32, migProfiles: [] },
];

const byName = new Map(GPU_CATALOG.map((m) => [m.name, m]));

export function gpuModelInfo(name: string): GpuModelInfo | undefined {
  return byName.get(name);
}

/** The geometry of a MIG profile on a model, or undefined when the model cannot host it. */
export function migProfileOn(model: string, profile: string): MigProfileGeometry | undefined {
  return byName.get(model)?.migProfiles.find((p) => p.name === profile);
}

/**
 * Geometry of a profile from its name alone ("3g.40gb" → 3 compute slices), for models the
 * catalog does not know. Widths follow the common A100-style table.
 */
export function migProfileShape(profile: string): MigProfileGeometry | undefined {
  const m = /^([1-9])g\.(\d+)gb(\+me)?$/.exec(profile);
  if (!m) return undefined;
  const g = Number(m[1]);
  const layout = a100Style(['1g', '1g2', '2g', '3g', '4g', '7g']).find((p) => p.computeSlices === g);
  if (!layout) return undefined;
  return { ...layout, name: profile };
}
