// The Network controller: keeps each Network's status (its VNI, the nodes hosting its VMs, the
// addresses handed out) and tells every VM replica's node what its networks look like beyond
// it, on the Allocation's status.tenantNetworks: the VXLAN peers (the other nodes hosting the
// network, by their registered address) and the DNS names of the whole network (`<vm>.<network>`).
// Node agents read nothing but their own Allocations, so this is how they learn of each other.
//
// Driven by the informer: a change to a Network, a VM, a VM's Allocation or a Node marks the
// projects it concerns, and each marked project is reconciled in one transaction. Only projects
// with Networks are looked at (and a project whose last Network went, once, to clear its VMs'
// views). A slow resync marks them all again, in case a pass failed.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { NetworkStatus, NicAddress } from '../../model/kinds/network.js';
import type { Resource } from '../../model/metadata.js';
import type { Store, StoreTx } from '../../store/types.js';
import { Informer, type InformerEvent } from '../informer.js';
import { LABEL_WORKLOAD_KIND } from '../placement-commit.js';
import { addressesOf } from './ipam.js';
/** What a node hosting a replica is told about one of its networks (server-owned on the Allocation's status). */
export interface TenantNetworkView {
  network: string;
  vni: number;
  /** Underlay addresses of the other nodes hosting the network: the VXLAN device's flood list. */
  peers: string[];
  /** Every VM of the network with its address: DNS names `<name>.<network>`. */
  hosts: { name: string; ip: string }[];
}

export const TENANT_NETWORKS_FIELD = 'tenantNetworks';

const nicsOf = (a: Resource) => (a.spec as unknown as AllocationSpec).task?.vm?.networks ?? [];
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export interface NetworkControllerOptions {
  store: Store;
  /** Every project with Networks is reconciled again this often, whatever changed (default 60 s). */
  resyncMs?: number;
  log?: (msg: string) => void;
}

const RETRY_MS = 1000;

/** A Node's changes (its address) concern every project with Networks. */
const EVERY_PROJECT = '\0every project';

export class NetworkController {
  /** Projects with Networks, and how many each has (from the informer's Network events). */
  private readonly networks = new Map<string, number>();
  private readonly marked = new Set<string>();
  private draining: Promise<void> | undefined;
  private halted = false;

  constructor(private readonly opts: NetworkControllerOptions) {}

  /** One pass over every project with Networks (tests call it directly). */
  async reconcileAll(): Promise<void> {
    const projects = new Set((await this.opts.store.list('Network')).items.map((n) => n.metadata.project ?? ''));
    for (const project of projects) await this.opts.store.transaction((tx) => reconcileProject(tx, project));
  }

  async start(signal: AbortSignal): Promise<void> {
    this.halted = false;
    const informer = new Informer<string>({
      store: this.opts.store,
      sources: [{ kind: 'Network' }, { kind: 'VirtualMachine' }, { kind: 'Allocation', labelSelector: `${LABEL_WORKLOAD_KIND}=VirtualMachine` }, { kind: 'Node' }],
      // Only which project a change is about is kept.
      transform: (o) => (o.kind === 'Node' ? EVERY_PROJECT : (o.metadata.project ?? '')),
      onEvent: (ev) => this.onEvent(ev),
      resyncMs: this.opts.resyncMs ?? 60_000,
      log: this.opts.log,
    });
    try {
      await informer.run(signal);
    } finally {
      this.halted = true;
      this.marked.clear();
      await this.draining;
    }
  }

  private onEvent(ev: InformerEvent<string>): void {
    const project = ev.value;
    if (ev.object.kind === 'Network' && ev.type !== 'SYNC' && ev.type !== 'MODIFIED') {
      const n = (this.networks.get(project) ?? 0) + (ev.type === 'DELETED' ? -1 : 1);
      if (n > 0) this.networks.set(project, n);
      else this.networks.delete(project);
      // Its last Network gone, the project is reconciled once more: its VMs' views are cleared.
      this.mark(project);
      return;
    }
    if (project === EVERY_PROJECT) for (const p of this.networks.keys()) this.mark(p);
    else if (this.networks.has(project)) this.mark(project);
  }

  private mark(project: string): void {
    this.marked.add(project);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      if (this.marked.size > 0 && !this.halted) this.mark([...this.marked][0]!);
    });
  }

  private async drain(): Promise<void> {
    while (this.marked.size > 0 && !this.halted) {
      const [project] = this.marked;
      this.marked.delete(project!);
      try {
        await this.opts.store.transaction((tx) => reconcileProject(tx, project!));
      } catch (e) {
        // A conflict with another writer, say, or the store away for a moment: try again shortly.
        if (this.halted) return;
        this.opts.log?.(`networks: project ${project}: ${(e as Error).message}; retrying`);
        setTimeout(() => this.halted || this.mark(project!), RETRY_MS).unref();
      }
    }
  }
}

/** One project's Networks and the Allocations of its VMs on them, in one transaction. */
export async function reconcileProject(tx: StoreTx, project: string): Promise<void> {
  const networks = (await tx.list('Network', { project })).items;
  const allocs = (await tx.list('Allocation', { project, labelSelector: `${LABEL_WORKLOAD_KIND}=VirtualMachine` })).items.filter(
    (a) => isActiveAllocation(a) && nicsOf(a).some((n) => n.vni !== undefined),
  );
  const vms = (await tx.list('VirtualMachine', { project })).items;
  const nodeNames = [...new Set(allocs.map((a) => (a.spec as unknown as AllocationSpec).node))].sort();
  const nodeObjs = await tx.getMany(nodeNames.map((name) => ({ kind: 'Node', name })));
  const addressOf = new Map(nodeNames.map((n, i) => [n, String(nodeObjs[i]?.status?.address ?? '')]));
  const views = new Map<string, { vni: number; nodes: string[]; hosts: TenantNetworkView['hosts'] }>();

  for (const net of networks) {
    const name = net.metadata.name;
    const vni = (net.status as Partial<NetworkStatus> | undefined)?.vni;
    if (vni === undefined) continue;
    const nodes = [...new Set(allocs.filter((a) => nicsOf(a).some((n) => n.network === name)).map((a) => (a.spec as unknown as AllocationSpec).node))].sort();
    const addresses: NicAddress[] = vms
      .flatMap((vm) => addressesOf(vm).filter((a) => a.network === name).map((a) => ({ vm: vm.metadata.name, network: name, mac: a.mac, ip: a.ip })))
      .sort((a, b) => a.vm.localeCompare(b.vm));
    views.set(name, { vni, nodes, hosts: addresses.map((a) => ({ name: a.vm!, ip: a.ip })) });
    const status: NetworkStatus & Record<string, unknown> = { ...(net.status ?? {}), vni, nodes: nodes.map((node) => ({ node, address: addressOf.get(node) ?? '' })), addresses };
    if (!same(status, net.status)) await tx.update({ ...net, status }, { resourceVersion: net.metadata.resourceVersion });
  }

  for (const a of allocs) {
    const node = (a.spec as unknown as AllocationSpec).node;
    const want: TenantNetworkView[] = [];
    for (const nic of nicsOf(a)) {
      const v = nic.network !== undefined ? views.get(nic.network) : undefined;
      if (!v) continue;
      const peers = v.nodes.filter((n) => n !== node).map((n) => addressOf.get(n) ?? '').filter((x) => x !== '');
      want.push({ network: nic.network!, vni: v.vni, peers, hosts: v.hosts });
    }
    if (!same(want, a.status?.[TENANT_NETWORKS_FIELD])) await tx.update({ ...a, status: { ...(a.status ?? {}), [TENANT_NETWORKS_FIELD]: want } }, { resourceVersion: a.metadata.resourceVersion });
  }
}
