// Small display helpers shared by the pages.
import { resolveKindNames, workloadKinds, type WorkloadKind } from '../../src/model/kind-names.js';
import type { Resource } from '../../src/model/metadata.js';
import { replicasText } from '../../src/model/replicas.js';

export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export const spec = (r: Resource): Obj => obj(r.spec);
export const status = (r: Resource): Obj => obj(r.status);
export const phaseOf = (r: Resource): string => str(status(r).phase) ?? 'Pending';

/** "3m", "2h", "4d" since an RFC 3339 time. */
export function age(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function time(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

/** The GPU request of one replica, as the CLI prints it: 8, 8xH100-80GB, mig:3g.40gb, 0.25. */
export function gpuRequest(r: Resource): string {
  const g = obj(obj(spec(r).resources).gpu);
  const models = Array.isArray(g.models) ? `×${(g.models as string[]).join('|')}` : '';
  if (typeof g.count === 'number') return g.count === 0 ? '—' : `${g.count}${models}`;
  if (typeof g.share === 'number') return `${g.share}${models}`;
  if (typeof g.mig === 'string') return `mig:${g.mig}`;
  return '—';
}

/** What the Replicas column and fact show: "2/2" ready of desired for a Service ("min 2, max 4" when `range`), else the count. */
export function replicasShown(r: Resource, range = false): string {
  const text = replicasText(r);
  if (!range || r.kind !== 'Service') return text;
  const want = obj(spec(r).replicas);
  return typeof want.min === 'number' && typeof want.max === 'number' ? `${text} ready (min ${want.min}, max ${want.max})` : `${text} ready`;
}

/** Workload kinds the console lists, with their URL plurals (the model's registry). */
export const WORKLOAD_KINDS = workloadKinds();
export type { WorkloadKind };

export function pluralOf(kind: string): string {
  return resolveKindNames(kind)?.plural ?? `${kind.toLowerCase()}s`;
}

const PENDING = new Set(['Pending', 'Queued', 'Admitted']);
export const isPending = (phase: string): boolean => PENDING.has(phase);

/** A stable colour per project, so a tenant's GPUs look alike across the heatmap. */
export function colourFor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 60% 52%)`;
}

export function round(n: number, digits = 1): string {
  const f = 10 ** digits;
  return String(Math.round(n * f) / f);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
