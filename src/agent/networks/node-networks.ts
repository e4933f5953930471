// How the agent wires tenant Networks in: whether this node can build them (root, iproute2,
// dnsmasq), and after each reconcile pass, which replicas are live (their NICs stay) and what
// the control plane says of each network (peers, names) from the Allocations bound here.
import { join } from 'node:path';
import type { Resource } from '../../model/metadata.js';
import type { StateDir } from '../state.js';
import { networkToolsMissing } from './host-commands.js';
import { TenantNetworks, type NetworkView } from './tenant-networks.js';

export interface NodeNetworks {
  networks?: TenantNetworks;
  unavailable?: string;
}

export function nodeNetworks(state: StateDir, node: string, address: string, log: (msg: string) => void): NodeNetworks {
  if (process.getuid?.() !== 0) return { unavailable: 'the agent does not run as root (bridges, VXLAN and namespaces need CAP_NET_ADMIN)' };
  const missing = networkToolsMissing();
  if (missing) return { unavailable: missing };
  return { networks: new TenantNetworks({ root: join(state.root, 'networks'), node, address, log }) };
}

/** Replicas not yet ended here keep their NICs; each network's view from the Allocations' status.tenantNetworks. */
export function syncNodeNetworks(networks: TenantNetworks, state: StateDir, allocations: ReadonlyMap<string, Resource>): Promise<void> {
  const live = new Set(state.records().filter((r) => !r.done).map((r) => r.uid));
  const views = new Map<number, NetworkView>();
  for (const a of allocations.values()) {
    if (!live.has(a.metadata.uid)) continue;
    const list = a.status?.tenantNetworks;
    if (Array.isArray(list)) for (const v of list as NetworkView[]) views.set(v.vni, v);
  }
  return networks.sync(live, views);
}
