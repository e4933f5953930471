// What `weft get` shows for each kind. Columns marked wide appear only with `-o wide`.
// Kinds without an entry get NAME (PROJECT) AGE.
import type { KindNames } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { desiredReplicas, replicasText } from '../../model/replicas.js';
import { formatAge } from '../duration.js';

export interface Column {
  header: string;
  value: (r: Resource, now: number) => string;
  wide?: boolean;
  /** Shown only when the list spans several projects (-A), like kubectl's NAMESPACE. */
  multiProject?: boolean;
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
const project: Column = { header: 'PROJECT', value: (r) => r.metadata.project ?? '', multiProject: true };
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
  const replicas = desiredReplicas(r);
  const gpu = obj(obj(spec(r).resources).gpu);
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
    { header: 'DATA-CLASS', value: (r) => str(spec(r).dataClass) },
    { header: 'ISOLATION', value: (r) => str(spec(r).defaultIsolation), wide: true },
    { header: 'COUNTRIES', value: (r) => str(spec(r).allowedCountries), wide: true },
    { header: 'SITES', value: (r) => str(spec(r).allowedSites), wide: true },
    age,
  ],
  Policy: policyColumns(),
  ProjectPolicy: policyColumns(project),
  DataClass: [
    name,
    { header: 'MIN-ISOLATION', value: (r) => str(spec(r).minIsolation) },
    { header: 'COUNTRIES', value: (r) => str(spec(r).allowedCountries) },
    { header: 'SITES', value: (r) => str(spec(r).allowedSites) },
    { header: 'DESCRIPTION', value: (r) => str(spec(r).description, ''), wide: true },
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
  Cluster: [
    name,
    { header: 'PROVIDER', value: (r) => str(spec(r).provider) },
    { header: 'ENDPOINT', value: (r) => str(spec(r).endpoint) },
    { header: 'REACHABLE', value: (r) => str((Array.isArray(status(r).conditions) ? (status(r).conditions as Obj[]) : []).find((c) => c.type === 'Reachable')?.status, 'Unknown') },
    { header: 'NODES', value: (r) => str(status(r).nodes, '0') },
    { header: 'SITE', value: (r) => str(spec(r).site), wide: true },
    // Where ended jobs of Slurm's own users are metered from: slurmdbd, or slurmctld's list.
    { header: 'ACCOUNTING', value: (r) => str(obj(status(r).accounting).source), wide: true },
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
  Job: workloadColumns({ header: 'REPLICAS', value: (r) => str(spec(r).replicas, '1'), wide: true }),
  Service: workloadColumns({ header: 'REPLICAS', value: replicasText }),
  DevEnvironment: workloadColumns(),
  VirtualMachine: workloadColumns(
    { header: 'RUN', value: (r) => str(spec(r).runStrategy, 'Always') },
    { header: 'IPS', value: (r) => str(status(r).ipAddresses) },
    { header: 'IMAGE', value: (r) => str(obj(spec(r).rootDisk).image), wide: true },
  ),
  Image: [
    name,
    project,
    { header: 'FORMAT', value: (r) => str(spec(r).format) },
    { header: 'PUBLIC', value: (r) => str(spec(r).public, 'false') },
    { header: 'SIZE', value: (r) => str(status(r).sizeBytes) },
    { header: 'NODES', value: (r) => str(status(r).nodes) },
    { header: 'URL', value: (r) => str(obj(spec(r).source).url), wide: true },
    age,
  ],
  Network: [
    name,
    project,
    { header: 'SUBNET', value: (r) => str(spec(r).subnet) },
    { header: 'VNI', value: (r) => str(status(r).vni) },
    { header: 'VMS', value: (r) => (Array.isArray(status(r).addresses) ? String((status(r).addresses as unknown[]).length) : '0') },
    { header: 'NODES', value: (r) => (Array.isArray(status(r).nodes) ? (status(r).nodes as { node: string }[]).map((n) => n.node).join(',') || NONE : NONE) },
    { header: 'DESCRIPTION', value: (r) => str(spec(r).description, ''), wide: true },
    age,
  ],
  Reservation: [
    name,
    project,
    { header: 'PHASE', value: (r) => str(status(r).phase, 'Pending') },
    { header: 'CAPACITY', value: (r) => (spec(r).gpus !== undefined ? `${String(spec(r).gpus)} × ${str(spec(r).model, 'GPU')}` : `${str(spec(r).nodes)} node(s)`) },
    { header: 'START', value: (r) => str(spec(r).start) },
    { header: 'END', value: (r) => str(spec(r).end) },
    { header: 'NODES', value: (r) => (Array.isArray(obj(status(r).booking).nodes) ? (obj(status(r).booking).nodes as { node: string }[]).map((n) => n.node).join(',') : NONE) },
    { header: 'CONFLICTS', value: (r) => (Array.isArray(status(r).conflicts) ? String((status(r).conflicts as unknown[]).length) : '0'), wide: true },
    age,
  ],
  Lease: [
    name,
    project,
    { header: 'PHASE', value: (r) => str(status(r).phase, 'Pending') },
    { header: 'CAPACITY', value: (r) => `${str(spec(r).nodes)} node(s)${spec(r).model !== undefined ? ` × ${str(spec(r).model)}` : ''}` },
    { header: 'START', value: (r) => str(spec(r).start) },
    { header: 'END', value: (r) => str(spec(r).end) },
    { header: 'NODES', value: (r) => (Array.isArray(obj(status(r).booking).nodes) ? (obj(status(r).booking).nodes as { node: string }[]).map((n) => n.node).join(',') : NONE) },
    age,
  ],
  Allocation: [
    name,
    project,
    { header: 'WORKLOAD', value: (r) => `${String(obj(spec(r).workload).kind ?? '').toLowerCase()}/${String(obj(spec(r).workload).name ?? '')}` },
    { header: 'NODE', value: (r) => str(spec(r).node) },
    { header: 'GPUS', value: (r) => formatAllocatedGpus(spec(r).gpus) },
    { header: 'PHASE', value: (r) => str(status(r).phase, 'Bound') },
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

/** Columns for a kind; `multiProject` when the rows may come from several projects. */
export function columnsFor(def: KindNames, wide: boolean, multiProject = true): Column[] {
  const cols = COLUMNS[def.kind] ?? (def.scope === 'project' ? [name, project, age] : [name, age]);
  return cols.filter((c) => (wide || !c.wide) && (multiProject || !c.multiProject));
}

const WAITING = new Set(['Pending', 'Suspended']);

/** Jobs, Services and DevEnvironments: what they asked for, where they run and how it goes. */
function workloadColumns(...extra: Column[]): Column[] {
  return [
    name,
    project,
    // A workload no controller has looked at yet is waiting to be placed.
    { header: 'PHASE', value: (r) => str(status(r).phase, 'Pending') },
    ...extra.filter((c) => !c.wide),
    { header: 'GPUS', value: formatWorkloadGpus },
    // A waiting workload's last placement is history, not where it is now.
    { header: 'NODE(S)', value: (r) => (WAITING.has(str(status(r).phase, 'Pending')) ? NONE : formatPlacementNodes(status(r).placement)) },
    ...extra.filter((c) => c.wide),
    { header: 'QUEUE', value: (r) => str(spec(r).queue), wide: true },
    { header: 'PRIORITY', value: (r) => str(spec(r).priorityClass), wide: true },
    { header: 'ISOLATION', value: (r) => str(spec(r).isolation), wide: true },
    age,
  ];
}

/** Policies: what they act on, how often they matched and their newest denial. */
function policyColumns(...scope: Column[]): Column[] {
  const count = (k: string) => (r: Resource) => str(status(r)[k], '0');
  const lastDenial = (r: Resource, now: number): string => {
    const list = status(r).lastViolations;
    const d = Array.isArray(list) ? list.map(obj).find((v) => v.result === 'Denied') : undefined;
    if (!d) return NONE;
    return `${formatAge(String(d.time), now)} ago ${String(d.kind ?? '').toLowerCase()}/${String(d.name ?? '')} by ${str(d.user, '?')}`;
  };
  return [
    name,
    ...scope,
    { header: 'ACTION', value: (r) => str(spec(r).action, 'Deny') },
    { header: 'KINDS', value: (r) => str(obj(spec(r).match).kinds) },
    { header: 'MATCHES', value: count('matches') },
    { header: 'DENIALS', value: count('denials') },
    { header: 'WARNINGS', value: count('warnings'), wide: true },
    { header: 'AUDITS', value: count('audits'), wide: true },
    { header: 'LAST-DENIAL', value: lastDenial },
    age,
  ];
}

/** The distinct nodes of a workload's current placement: "fra1-h100-01,fra1-h100-02,+2". */
export function formatPlacementNodes(placement: unknown, max = 2): string {
  if (!Array.isArray(placement) || placement.length === 0) return NONE;
  const nodes = [...new Set(placement.map((p) => String(obj(p).node ?? '?')))];
  return nodes.length <= max ? nodes.join(',') : `${nodes.slice(0, max).join(',')},+${nodes.length - max}`;
}

/** An allocation's GPUs: "0-7", "3 (250m)", "2 mig 3g.40gb@4". */
export function formatAllocatedGpus(gpus: unknown): string {
  if (!Array.isArray(gpus) || gpus.length === 0) return NONE;
  const list = gpus.map(obj);
  const mig = obj(list[0]!.mig);
  if (mig.profile) return `${String(list[0]!.index)} mig ${String(mig.profile)}@${String(mig.start)}`;
  const milli = Number(list[0]!.milli ?? 1000);
  const idx = formatIndices(list.map((g) => Number(g.index)));
  return milli < 1000 ? `${idx} (${milli}m)` : idx;
}

/** [0,1,2,3,6] → "0-3,6" */
export function formatIndices(ix: number[]): string {
  const s = [...ix].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : String(s[i]));
    i = j + 1;
  }
  return parts.join(',');
}
