// Address management for tenant Networks, in the control plane so that two nodes can never hand
// out the same address: when a VM is placed, each of its NICs on a Network gets a MAC and an IP
// from that Network's subnet, kept in the VM's status.addresses for the VM's whole life (a
// restart or a move to another node keeps them) and free again once the VM is deleted. Which
// addresses are taken is read from the project's VMs inside the placement's transaction, which
// the store serialises with every other write.
import { WeftError } from '../../model/errors.js';
import type { NetworkSpec, NetworkStatus, NicAddress } from '../../model/kinds/network.js';
import type { VirtualMachineSpec, VmTaskNic } from '../../model/kinds/virtual-machine.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { formatSubnet, parseSubnet, vmAddressCount, vmAddresses, type Subnet } from '../../model/subnet.js';
import type { StoreTx } from '../../store/types.js';

/** Why a VM being placed gets no address: its Network is full (or gone). It waits, saying so. */
export class NoAddressError extends WeftError {}

export class NetworkFullError extends NoAddressError {
  constructor(project: string, network: string, subnet: string, inUse: number) {
    super('NetworkFull', 409, `Network "${network}" of project "${project}" has no free address: all ${inUse} VM addresses of ${subnet} are in use`);
  }
}

/** What a NIC on a Network is given: its address, and what the node needs to build the network. */
export type PlacedNic = NicAddress & { subnet: string; vni: number };

interface NetView {
  subnet: Subnet;
  vni: number;
  ips: Set<string>;
  macs: Set<string>;
}

/** The addresses a VM holds (status.addresses). */
export function addressesOf(vm: Resource): NicAddress[] {
  const a = vm.status?.addresses;
  return Array.isArray(a) ? (a as NicAddress[]) : [];
}

/**
 * Hands out addresses for one placement transaction: it remembers what it gave, so several VMs
 * placed in the same cycle never get the same address.
 */
export class AddressBook {
  private readonly nets = new Map<string, NetView>();

  constructor(private readonly tx: StoreTx) {}

  /** One entry per NIC of the VM on a Network, in the order of spec.networks. */
  async assign(vm: Resource): Promise<PlacedNic[]> {
    const project = vm.metadata.project ?? '';
    const held = addressesOf(vm);
    const out: PlacedNic[] = [];
    for (const [i, n] of ((vm.spec as unknown as VirtualMachineSpec).networks ?? []).entries()) {
      if (n.network === undefined) continue;
      const net = await this.view(project, n.network, vm.metadata.name);
      const kept = held.find((h) => h.network === n.network);
      const ip = kept && !net.ips.has(kept.ip) ? kept.ip : firstFree(net, project, n.network);
      const mac = kept && !net.macs.has(kept.mac) ? kept.mac : freeMac(net, vm.metadata.uid, i);
      net.ips.add(ip);
      net.macs.add(mac);
      out.push({ network: n.network, mac, ip, subnet: formatSubnet(net.subnet), vni: net.vni });
    }
    return out;
  }

  /** The Network and the addresses other VMs of the project hold on it (read once per transaction). */
  private async view(project: string, network: string, except: string): Promise<NetView> {
    const key = `${project}/${network}`;
    const cached = this.nets.get(key);
    if (cached) return cached;
    const obj = await this.tx.get({ kind: 'Network', project, name: network });
    const subnet = obj ? parseSubnet(String((obj.spec as NetworkSpec).subnet)) : 'missing';
    const vni = (obj?.status as Partial<NetworkStatus> | undefined)?.vni;
    if (typeof subnet === 'string' || vni === undefined) throw new NoAddressError('NetworkNotFound', 409, `Network "${network}" does not exist in project "${project}" (deleted after the VM was admitted?)`);
    const view: NetView = { subnet, vni, ips: new Set(), macs: new Set() };
    for (const vm of (await this.tx.list('VirtualMachine', { project })).items) {
      if (vm.metadata.name === except) continue;
      for (const a of addressesOf(vm)) {
        if (a.network !== network) continue;
        view.ips.add(a.ip);
        view.macs.add(a.mac);
      }
    }
    this.nets.set(key, view);
    return view;
  }
}

function firstFree(net: NetView, project: string, network: string): string {
  for (const ip of vmAddresses(net.subnet)) if (!net.ips.has(ip)) return ip;
  throw new NetworkFullError(project, network, formatSubnet(net.subnet), vmAddressCount(net.subnet));
}

/** A locally administered MAC (52:54:00, QEMU's prefix) stable for the VM's uid and NIC, unique on the network. */
function freeMac(net: NetView, uid: string, nic: number): string {
  for (let salt = 0; ; salt++) {
    let h = 2166136261;
    for (const c of `${uid}/${nic}/${salt}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    const mac = ['52', '54', '00', ...[16, 8, 0].map((s) => ((h >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
    if (!net.macs.has(mac)) return mac;
  }
}

/** The allocations of a placed VM with its NICs' addresses in their task (the agent builds the network from them). */
export function withNicAddresses(allocs: readonly ResourceInput[], nics: readonly PlacedNic[]): ResourceInput[] {
  if (nics.length === 0) return [...allocs];
  return allocs.map((a) => {
    const spec = a.spec as { task?: { vm?: { networks: VmTaskNic[] } } };
    const vm = spec.task?.vm;
    if (!vm) return a;
    const networks = vm.networks.map((n) => {
      const placed = nics.find((p) => p.network === n.network);
      return placed ? { network: placed.network, mac: placed.mac, ip: placed.ip, subnet: placed.subnet, vni: placed.vni } : n;
    });
    return { ...a, spec: { ...a.spec, task: { ...spec.task, vm: { ...vm, networks } } } };
  });
}

/** status.addresses as the VM keeps it: network, MAC and IP of each NIC on a Network. */
export const statusAddresses = (nics: readonly PlacedNic[]): NicAddress[] => nics.map((n) => ({ network: n.network, mac: n.mac, ip: n.ip }));
