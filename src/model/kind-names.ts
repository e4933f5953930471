// Every kind Weft knows, by its names (kind, URL plural, CLI aliases, scope), and the workload
// kinds among them with what each layer needs to know about them. Plain data with no schema
// library, so the client and the console import it as it is; registry.ts pairs each kind with
// its schemas. Every list of kinds anywhere (API routes, OpenAPI, CLI, client, console) derives
// from here.

export type Scope = 'cluster' | 'project';

export interface KindNames {
  kind: string;
  /** URL segment and CLI name, e.g. "jobs". */
  plural: string;
  /** Other names the CLI accepts, e.g. "job", "jb". */
  aliases: readonly string[];
  scope: Scope;
  /** Short description for the OpenAPI document and `weft get` help. */
  description: string;
}

export const KIND_NAMES: readonly KindNames[] = [
  { kind: 'Project', plural: 'projects', aliases: ['project', 'proj'], scope: 'cluster', description: 'A tenant: quota, allowed sites, defaults. Project-scoped resources live inside one.' },
  { kind: 'Queue', plural: 'queues', aliases: ['queue', 'q'], scope: 'cluster', description: 'A node of the hierarchical fair-share tree: nominal quota, borrowing and lending limits, weight.' },
  { kind: 'PriorityClass', plural: 'priorityclasses', aliases: ['priorityclass', 'pc'], scope: 'cluster', description: 'A named priority value; higher preempts lower.' },
  { kind: 'Site', plural: 'sites', aliases: ['site'], scope: 'cluster', description: 'A data centre or region; carries the country and jurisdiction used by sovereignty policy.' },
  { kind: 'Node', plural: 'nodes', aliases: ['node', 'no'], scope: 'cluster', description: 'A host: site, rack, NVLink domain, CPU, memory and GPUs; its state is in status.' },
  { kind: 'User', plural: 'users', aliases: ['user'], scope: 'cluster', description: 'A person or service account and the roles bound to it per project.' },
  { kind: 'Job', plural: 'jobs', aliases: ['job'], scope: 'project', description: 'A batch or training workload: a gang of replicas that runs to completion.' },
  { kind: 'Service', plural: 'services', aliases: ['service', 'svc'], scope: 'project', description: 'An inference endpoint: between min and max replicas, readiness, rolling updates.' },
  { kind: 'DevEnvironment', plural: 'devenvironments', aliases: ['devenvironment', 'devenv', 'dev'], scope: 'project', description: 'An interactive environment (notebook, IDE): one replica whose GPUs are released after an idle timeout.' },
  { kind: 'Allocation', plural: 'allocations', aliases: ['allocation', 'alloc'], scope: 'project', description: 'One replica of a workload bound to a node and to specific GPUs, MIG slices, CPU and memory. Written by the scheduler.' },
  { kind: 'Event', plural: 'events', aliases: ['event', 'ev'], scope: 'project', description: 'Something that happened to an object, for humans reading `weft describe`.' },
  { kind: 'PriceBook', plural: 'pricebooks', aliases: ['pricebook', 'prices'], scope: 'cluster', description: 'Prices per GPU-hour by model, MIG profile, isolation tier and site, with effective dates and a preemptible discount.' },
  { kind: 'Budget', plural: 'budgets', aliases: ['budget'], scope: 'project', description: 'A GPU-hour or money limit per period for a project, with alert thresholds, a webhook and optional enforcement.' },
  { kind: 'Policy', plural: 'policies', aliases: ['policy', 'pol'], scope: 'cluster', description: 'An admission policy: CEL validations and mutations over the objects of the kinds it matches, in every project it selects.' },
  { kind: 'ProjectPolicy', plural: 'projectpolicies', aliases: ['projectpolicy', 'ppol'], scope: 'project', description: "An admission policy inside one project, written by the project's admins." },
  {
    kind: 'DataClass',
    plural: 'dataclasses',
    aliases: ['dataclass', 'dc'],
    scope: 'cluster',
    description: 'A class of data (public, internal, restricted are built in; define more, or configure those): the isolation tier and the countries and sites its work needs.',
  },
  { kind: 'Cluster', plural: 'clusters', aliases: ['cluster'], scope: 'cluster', description: 'An existing execution engine (Slurm) whose nodes join the fleet: its endpoint, credentials and the partitions Weft may use.' },
  { kind: 'Secret', plural: 'secrets', aliases: ['secret'], scope: 'project', description: 'Write-only values (registry logins, environment values) for container replicas: sealed under the server key, delivered only to the node running the replica; reads show only the key names.' },
  { kind: 'Volume', plural: 'volumes', aliases: ['volume', 'vol'], scope: 'project', description: 'Data a container replica mounts where it already is: a directory on some nodes (hostPath) or a filesystem shared by every node of some sites. The scheduler places a replica only where its volumes are.' },
  { kind: 'Image', plural: 'images', aliases: ['image', 'img'], scope: 'project', description: 'A bootable disk (qcow2 or raw) for VirtualMachines, from an HTTP(S) URL with a required checksum; public ones (in weft-system) serve every project. Nodes cache it once and give each VM a copy-on-write overlay.' },
  { kind: 'Network', plural: 'networks', aliases: ['network', 'net'], scope: 'project', description: "A project's network for VirtualMachines: an IPv4 subnet, a Linux bridge on each node hosting its VMs joined by VXLAN (one VNI per network), DHCP and DNS per network; nothing routes between networks." },
  { kind: 'VirtualMachine', plural: 'virtualmachines', aliases: ['virtualmachine', 'vm', 'vms'], scope: 'project', description: 'A QEMU virtual machine on a node agent: vCPUs, memory, GPUs, a root disk from an Image, cloud-init, networks and a runStrategy.' },
  { kind: 'Reservation', plural: 'reservations', aliases: ['reservation', 'rsv'], scope: 'project', description: 'Capacity booked ahead for a window: N GPUs of a model or N whole nodes, optionally within a site, rack or NVLink domain. Only the owning project\'s work that asks for it runs there during the window; before it, only work that ends in time.' },
  { kind: 'Lease', plural: 'leases', aliases: ['lease'], scope: 'project', description: "Whole bare-metal nodes handed to a project for a window: drained of others' work, an account per user with their SSH keys, cleaned and health-checked before they return to the pool." },
];

/** Events about cluster-scoped objects (nodes, sites) are recorded in this project. */
export const SYSTEM_PROJECT = 'weft-system';

const byKind = new Map(KIND_NAMES.map((k) => [k.kind, k]));
const byName = new Map<string, KindNames>();
for (const k of KIND_NAMES) for (const n of [k.kind.toLowerCase(), k.plural, ...k.aliases]) byName.set(n, k);

/** A kind's names; throws for a kind not in the table (a programming error). */
export function kindNames(kind: string): KindNames {
  const k = byKind.get(kind);
  if (!k) throw new Error(`kind ${kind} is not in model/kind-names.ts`);
  return k;
}

/** Resolves what a user types ("jobs", "job", "Job", "pc") to a kind. */
export function resolveKindNames(name: string): KindNames | undefined {
  return byKind.get(name) ?? byName.get(name.toLowerCase());
}

/**
 * Workload kinds: what users submit to run, each a gang of replicas placed by the scheduler,
 * with its own controller. Adding one here adds it to admission, quota, RBAC, logs, the summary,
 * the CLI and the console.
 */
export const WORKLOAD_KINDS = [
  /** `cliName`: what `weft logs --kind` and messages call it; `suspendable`: spec.suspend stops it (a Service scales instead). */
  { kind: 'Job', cliName: 'job', suspendable: true },
  { kind: 'Service', cliName: 'service', suspendable: false },
  { kind: 'DevEnvironment', cliName: 'devenv', suspendable: true },
  /** Runs while its runStrategy says so (`weft start|stop vm`), not by spec.suspend. */
  { kind: 'VirtualMachine', cliName: 'vm', suspendable: false },
] as const;

export type WorkloadKind = (typeof WORKLOAD_KINDS)[number]['kind'];
export type WorkloadKindInfo = (typeof WORKLOAD_KINDS)[number] & KindNames;

export const WORKLOAD_KIND_NAMES: readonly WorkloadKind[] = WORKLOAD_KINDS.map((k) => k.kind);

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return WORKLOAD_KINDS.some((k) => k.kind === kind);
}

/** A workload kind's names and facts, by kind, plural, alias or CLI name; undefined for other kinds. */
export function workloadKind(name: string): WorkloadKindInfo | undefined {
  const info = WORKLOAD_KINDS.find((k) => k.cliName === name.toLowerCase()) ?? WORKLOAD_KINDS.find((k) => k.kind === resolveKindNames(name)?.kind);
  return info ? { ...kindNames(info.kind), ...info } : undefined;
}

/** Every workload kind with its names, in registry order. */
export function workloadKinds(): WorkloadKindInfo[] {
  return WORKLOAD_KINDS.map((k) => ({ ...kindNames(k.kind), ...k }));
}

/** "job, service or devenv": workload kinds as the CLI names them, for help and messages. */
export function workloadKindWords(kinds: readonly { cliName: string }[] = WORKLOAD_KINDS): string {
  const words = kinds.map((k) => k.cliName);
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}
