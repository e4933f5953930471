// What `weft get` shows for each kind. Columns marked wide appear only with `-o wide`.
// Kinds without an entry get NAME (PROJECT) AGE.
import type { KindDef } from '../../model/kind.js';
import type { Resource } from '../../model/metadata.js';
import { formatAge } from '../duration.js';

export interface Column {
  header: string;
  value: (r: Resource, now: number) => string;
  wide?: boolean;
}

type Obj = Record<string, unknown>;
const NONE = '<none>';

function spec(r: Resource): Obj {
  return (r.spec ?? {}) as Obj;
}
function status(r: Resource): Obj {
  return (r.status ?? {}) as Obj;
}
function str(v: unknown, fallback = NONE): string {
  if (v === undefined || v === null || v === '') return fallback;
  return Array.isArray(v) ? (v.length ? v.join(',') : fallback) : String(v);
}
function obj(v: unknown): Obj {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

const name: Column = { header: 'NAME', value: (r) => r.metadata.name };
const project: Column = { header: 'PROJECT', value: (r) => r.metadata.project ?? '' };
const age: Column = { header: 'AGE', value: (r, now) => formatAge(r.metadata.creationTimestamp, now) };

/** {"H100-80GB": 16, "*": 4} → "H100-80GB=16,*=4" */
export function formatGpuAmounts(v: unknown): string {
  const entries = Object.entries(obj(v));
  return entries.length ? entries.map(([m, n]) => `${m}=${String(n)}`).join(',') : NONE;
}

/** A node's GPUs grouped by model: "8xH100-80GB". */
export function formatNodeGpus(gpus: unknown): string {
  if (!Array.isArray(gpus) || gpus.length === 0) return '0';
  const counts = new Map<string, number>();
  for (const g of gpus) {
    const m = String(obj(g).model ?? '?');
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return [...counts].map(([m, n]) => `${n}x${m}`).join(',');
}

/** A workload's GPU request in total: "32" whole GPUs, "2x0.25" shares, "1xmig:1g.10gb". */
export function formatWorkloadGpus(r: Resource): string {
  const s = spec(r);
  const replicas = typeof s.replicas === 'number' ? s.replicas : 1;
  const gpu = obj(obj(s.resources).gpu);
  if (typeof gpu.count === 'number') return String(gpu.count * replicas);
  if (typeof gpu.share === 'number') return `${replicas}x${gpu.share}`;
  if (typeof gpu.mig === 'string') return `${replicas}xmig:${gpu.mig}`;
  return '0';
}

function formatRoles(roles: unknown): string {
  if (!Array.isArray(roles) || roles.length === 0) return NONE;
  return roles.map((b) => (obj(b).project ? `${String(obj(b).role)}@${String(obj(b).project)}` : String(obj(b).role))).join(',');
}

function nodeState(r: Resource): string {
  const st = status(r).state;
  if (typeof st === 'string') return st;
  // No agent or controller has reported on this node yet.
  return spec(r).unschedulable ? 'Cordoned' : 'Unknown';
}

const COLUMNS: Record<string, Column[]> = {
  Project: [
    name,
    { header: 'GPU-QUOTA', value: (r) => formatGpuAmounts(obj(spec(r).quota).gpu) },
    { header: 'CPU-QUOTA', value: (r) => str(obj(spec(r).quota).cpu) },
    { header: 'MEMORY-QUOTA', value: (r) => str(obj(spec(r).quota).memory) },
    { header: 'DEFAULT-QUEUE', value: (r) => str(spec(r).defaultQueue) },
    { header: 'ISOLATION', value: (r) => str(spec(r).defaultIsolation), wide: true },
    { header: 'SITES', value: (r) => str(spec(r).allowedSites), wide: true },
    age,
  ],
  Queue: [
    name,
    { header: 'PARENT', value: (r) => str(spec(r).parent) },
    { header: 'PROJECT', value: (r) => str(spec(r).project) },
    { header: 'GPU-QUOTA', value: (r) => formatGpuAmounts(obj(spec(r).nominalQuota).gpu) },
    { header: 'BORROW-LIMIT', value: (r) => formatGpuAmounts(obj(spec(r).borrowingLimit).gpu), wide: true },
    { header: 'WEIGHT', value: (r) => str(spec(r).weight, '1') },
    age,
  ],
  PriorityClass: [
    name,
    { header: 'VALUE', value: (r) => str(spec(r).value) },
    { header: 'PREEMPTIBLE', value: (r) => str(spec(r).preemptible, 'false') },
    { header: 'DEFAULT', value: (r) => str(spec(r).globalDefault, 'false') },
    { header: 'DESCRIPTION', value: (r) => str(spec(r).description, ''), wide: true },
    age,
  ],
  Site: [
    name,
    { header: 'REGION', value: (r) => str(spec(r).region) },
    { header: 'ZONE', value: (r) => str(spec(r).zone) },
    { header: 'COUNTRY', value: (r) => str(spec(r).country) },
    { header: 'JURISDICTION', value: (r) => str(spec(r).jurisdiction) },
    age,
  ],
  Node: [
    name,
    { header: 'SITE', value: (r) => str(spec(r).site) },
    { header: 'RACK', value: (r) => str(spec(r).rack) },
    { header: 'GPUS', value: (r) => formatNodeGpus(spec(r).gpus) },
    { header: 'STATE', value: nodeState },
    { header: 'CPU', value: (r) => str(spec(r).cpu), wide: true },
    { header: 'MEMORY', value: (r) => str(spec(r).memory), wide: true },
    { header: 'NVLINK-DOMAIN', value: (r) => str(spec(r).nvlinkDomain), wide: true },
    { header: 'PROVIDER', value: (r) => str(spec(r).provider), wide: true },
    age,
  ],
  User: [
    name,
    { header: 'ROLES', value: (r) => formatRoles(spec(r).roles) },
    { header: 'EMAIL', value: (r) => str(spec(r).email), wide: true },
    { header: 'DISABLED', value: (r) => str(spec(r).disabled, 'false') },
    age,
  ],
  Job: [
    name,
    project,
    { header: 'REPLICAS', value: (r) => str(spec(r).replicas, '1') },
    { header: 'GPUS', value: formatWorkloadGpus },
    // Nothing runs jobs yet, so a job without a phase is simply waiting.
    { header: 'PHASE', value: (r) => str(status(r).phase, 'Pending') },
    { header: 'QUEUE', value: (r) => str(spec(r).queue), wide: true },
    { header: 'PRIORITY', value: (r) => str(spec(r).priorityClass), wide: true },
    { header: 'ISOLATION', value: (r) => str(spec(r).isolation), wide: true },
    age,
  ],
  Event: [
    { header: 'LAST-SEEN', value: (r, now) => formatAge(str(spec(r).lastTimestamp, '') || r.metadata.creationTimestamp, now) },
    project,
    { header: 'TYPE', value: (r) => str(spec(r).type) },
    { header: 'REASON', value: (r) => str(spec(r).reason) },
    { header: 'OBJECT', value: (r) => `${String(obj(spec(r).involvedObject).kind ?? '').toLowerCase()}/${String(obj(spec(r).involvedObject).name ?? '')}` },
    { header: 'MESSAGE', value: (r) => str(spec(r).message, '') },
  ],
};

export function columnsFor(def: KindDef, wide: boolean): Column[] {
  const cols = COLUMNS[def.kind] ?? (def.scope === 'project' ? [name, project, age] : [name, age]);
  return cols.filter((c) => wide || !c.wide);
}
