// The Network controller: keeps each Network's status (its VNI, the nodes hosting its VMs, the
// addresses handed out) and tells every VM replica's node what its networks look like beyond
// it, on the Allocation's status.tenantNetworks: the VXLAN peers (the other nodes hosting the
// network, by their registered address) and the DNS names of the whole network (`<vm>.<network>`).
// Node agents read nothing but their own Allocations, so this is how they learn of each other.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { AllocationSpec } from '../../model/kinds/allocation.js';
import type { NetworkStatus, NicAddress } from '../../model/kinds/network.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { LABEL_WORKLOAD_KIND } from '../placement-commit.js';
import { PollingController, type PollingOptions } from '../reservations/polling.js';
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

export class NetworkController extends PollingController {
  constructor(opts: PollingOptions) {
    super(opts, 'networks', 1000);
  }

  async reconcileAll(): Promise<void> {
    const projects = new Set((await this.opts.store.list('Network')).items.map((n) => n.metadata.project ?? ''));
    for (const project of projects) await this.opts.store.transaction((tx) => reconcileProject(tx, project));
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
