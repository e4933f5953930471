// Resource quantities as users write them: CPU in cores or milli-cores ("16", "500m", 2.5)
// and memory in bytes with binary or decimal suffixes ("128Gi", "512Mi", "1G").
import { ValidationError } from './errors.js';

const CPU_RE = /^(\d+(?:\.\d+)?)(m?)$/;
const MEM_RE = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$/;

const MEM_FACTORS: Record<string, number> = {
  '': 1,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
};

export const CPU_PATTERN = CPU_RE.source;
export const MEMORY_PATTERN = MEM_RE.source;

/**
 * Upper bounds of every CPU and memory quantity (a replica's request, a node's capacity, a quota).
 * Far above any real machine or fleet, they keep sums exact (below 2^53) and refuse nonsense such
 * as a 400-digit CPU count, which would otherwise become Infinity.
 */
export const MAX_CPU_CORES = 10_000_000;
export const MAX_MEMORY_BYTES = 4 * 1024 ** 5; // 4 PiB
const MAX_CPU_MILLI = MAX_CPU_CORES * 1000;

function bounded(value: number, max: number, field: string, range: string): number {
  if (!Number.isFinite(value) || value > max) throw ValidationError.field(field, `is too large: allowed ${range}`);
  return value;
}

/** Parses a CPU quantity into milli-cores. */
export function parseCpuMilli(value: string | number, field = 'cpu'): number {
  const range = `0 to ${MAX_CPU_CORES} cores`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw ValidationError.field(field, `must be a number of cores from ${range}`);
    return bounded(Math.round(value * 1000), MAX_CPU_MILLI, field, range);
  }
  const m = CPU_RE.exec(value.trim());
  if (!m) throw ValidationError.field(field, `"${value}" is not a CPU quantity (e.g. "16", "2.5", "500m")`);
  const n = Number(m[1]);
  return bounded(m[2] === 'm' ? Math.round(n) : Math.round(n * 1000), MAX_CPU_MILLI, field, range);
}

/** Parses a memory quantity into bytes. */
export function parseMemoryBytes(value: string | number, field = 'memory'): number {
  const range = `0 to 4Pi (${MAX_MEMORY_BYTES} bytes)`;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw ValidationError.field(field, `must be a number of bytes from ${range}`);
    return bounded(Math.round(value), MAX_MEMORY_BYTES, field, range);
  }
  const m = MEM_RE.exec(value.trim());
  if (!m) throw ValidationError.field(field, `"${value}" is not a memory quantity (e.g. "128Gi", "512Mi")`);
  return bounded(Math.round(Number(m[1]) * MEM_FACTORS[m[2] ?? '']!), MAX_MEMORY_BYTES, field, range);
}

export function formatCpuMilli(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

export function formatMemoryBytes(bytes: number): string {
  for (const [suffix, f] of [['Ti', 1024 ** 4], ['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${suffix}`;
  }
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)}Gi`;
  return String(bytes);
}
