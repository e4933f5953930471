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

/** Parses a CPU quantity into milli-cores. */
export function parseCpuMilli(value: string | number, field = 'cpu'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw ValidationError.field(field, 'must be a non-negative number of cores');
    return Math.round(value * 1000);
  }
  const m = CPU_RE.exec(value.trim());
  if (!m) throw ValidationError.field(field, `"${value}" is not a CPU quantity (e.g. "16", "2.5", "500m")`);
  const n = Number(m[1]);
  return m[2] === 'm' ? Math.round(n) : Math.round(n * 1000);
}

/** Parses a memory quantity into bytes. */
export function parseMemoryBytes(value: string | number, field = 'memory'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw ValidationError.field(field, 'must be a non-negative number of bytes');
    return Math.round(value);
  }
  const m = MEM_RE.exec(value.trim());
  if (!m) throw ValidationError.field(field, `"${value}" is not a memory quantity (e.g. "128Gi", "512Mi")`);
  return Math.round(Number(m[1]) * MEM_FACTORS[m[2] ?? '']!);
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
