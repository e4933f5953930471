// Parses what `nvidia-smi` prints into the agent's GPU inventory:
//   `nvidia-smi -q -x`     GPUs: index, UUID, product, memory, MIG mode and MIG devices
//   `nvidia-smi -L`        MIG device UUIDs and profiles (the XML does not carry them)
//   `nvidia-smi mig -lgi`  GPU instance placements (start:size on the memory slices)
import { GPU_CATALOG } from '../../model/gpu-catalog.js';
import type { GpuInventory, MigInstance } from './types.js';
import { child, childrenNamed, parseXml, textAt } from './xml.js';

const MIB = 1024 * 1024;

/** "81559 MiB" → bytes. */
export function parseMemory(text: string | undefined): number {
  const m = /^([\d.]+)\s*(KiB|MiB|GiB|TiB)?/.exec(text?.trim() ?? '');
  if (!m) return 0;
  const mult = { KiB: 1024, MiB: MIB, GiB: 1024 * MIB, TiB: 1024 * 1024 * MIB }[m[2] ?? 'MiB'] ?? MIB;
  return Math.round(Number(m[1]) * mult);
}

/** Families in the catalog, most specific first so "L40S" is not read as "L4". */
const FAMILIES = ['MI300X', 'A100', 'H100', 'H200', 'B200', 'L40S', 'L4', 'A10', 'T4', 'P100', 'V100'];

/**
 * The catalog name for a product ("NVIDIA H100 80GB HBM3" → "H100-80GB"): the family in the
 * product name, and of that family's entries the one whose memory is closest to what the GPU has.
 */
export function catalogModel(productName: string, memoryBytes: number): string {
  const upper = productName.toUpperCase();
  const family = FAMILIES.find((f) => new RegExp(`(^|[^A-Z0-9])${f}([^A-Z0-9]|$)`).test(upper));
  if (family) {
    const gib = memoryBytes / (1024 * MIB);
    const candidates = GPU_CATALOG.filter((m) => m.name === family || m.name.startsWith(`${family}-`) || m.name.startsWith(`${family}M`));
    let best = candidates[0];
    for (const c of candidates) if (Math.abs(c.memoryGiB - gib) < Math.abs((best?.memoryGiB ?? 0) - gib)) best = c;
    if (best) return best.name;
  }
  const safe = productName.replace(/^NVIDIA\s+/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return safe.slice(0, 64) || 'unknown';
}

/** MIG devices per GPU index from `nvidia-smi -L`, in listing order. */
export function parseListMig(text: string): Map<number, { profile: string; uuid: string; device: number }[]> {
  const out = new Map<number, { profile: string; uuid: string; device: number }[]>();
  let gpu = -1;
  for (const line of text.split('\n')) {
    const g = /^GPU (\d+):/.exec(line);
    if (g) {
      gpu = Number(g[1]);
      continue;
    }
    const m = /^\s+MIG\s+(\S+)\s+Device\s+(\d+):\s*\(UUID:\s*(MIG-[^)\s]+)\)/.exec(line);
    if (m && gpu >= 0) {
      const list = out.get(gpu) ?? [];
      list.push({ profile: m[1]!, device: Number(m[2]), uuid: m[3]! });
      out.set(gpu, list);
    }
  }
  return out;
}

export interface GpuInstancePlacement {
  gpu: number;
  profile: string;
  instanceId: number;
  start: number;
  size: number;
}

/** Rows of `nvidia-smi mig -lgi`: "|   0  MIG 3g.40gb          9        2          0:4     |". */
export function parseGpuInstances(text: string): GpuInstancePlacement[] {
  const out: GpuInstancePlacement[] = [];
  for (const m of text.matchAll(/^\|\s*(\d+)\s+MIG\s+(\S+)\s+\d+\s+(\d+)\s+(\d+):(\d+)\s*\|/gm)) {
    out.push({ gpu: Number(m[1]), profile: m[2]!, instanceId: Number(m[3]), start: Number(m[4]), size: Number(m[5]) });
  }
  return out;
}

export interface NvidiaSmiOutputs {
  /** `nvidia-smi -q -x` */
  xml: string;
  /** `nvidia-smi -L`, when it could be run */
  list?: string;
  /** `nvidia-smi mig -lgi`, when it could be run */
  gpuInstances?: string;
}

export function parseNvidiaSmi(out: NvidiaSmiOutputs): GpuInventory[] {
  const log = child(parseXml(out.xml), 'nvidia_smi_log');
  const migList = parseListMig(out.list ?? '');
  const placements = parseGpuInstances(out.gpuInstances ?? '');
  return childrenNamed(log, 'gpu').map((gpu, i) => {
    const index = Number(textAt(gpu, 'minor_number') ?? i);
    const memoryBytes = parseMemory(textAt(gpu, 'fb_memory_usage', 'total'));
    const product = textAt(gpu, 'product_name') ?? 'unknown';
    const migEnabled = /^enabled$/i.test(textAt(gpu, 'mig_mode', 'current_mig') ?? '');
    const inv: GpuInventory = {
      index: Number.isInteger(index) ? index : i,
      uuid: textAt(gpu, 'uuid') ?? '',
      model: catalogModel(product, memoryBytes),
      memoryBytes,
      migEnabled,
    };
    const pci = textAt(gpu, 'pci', 'pci_bus_id');
    if (pci) inv.pciBusId = pci; // for VFIO passthrough to VMs
    if (migEnabled) inv.migInstances = migInstancesOf(gpu, inv.index, migList, placements);
    return inv;
  });
}

function migInstancesOf(
  gpu: ReturnType<typeof child>,
  index: number,
  migList: ReturnType<typeof parseListMig>,
  placements: GpuInstancePlacement[],
): MigInstance[] {
  const listed = migList.get(index) ?? [];
  const devices = childrenNamed(child(gpu, 'mig_devices'), 'mig_device');
  return devices.map((d, i) => {
    const gi = Number(textAt(d, 'gpu_instance_id') ?? -1);
    const place = placements.find((p) => p.gpu === index && p.instanceId === gi);
    const named = listed.find((l) => l.device === Number(textAt(d, 'index') ?? i)) ?? listed[i];
    return {
      profile: place?.profile ?? named?.profile ?? '',
      uuid: textAt(d, 'uuid') ?? named?.uuid ?? '',
      start: place?.start ?? 0,
      size: place?.size ?? 0,
    };
  });
}
