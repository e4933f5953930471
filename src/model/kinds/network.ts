import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

/**
 * A project's layer-2 network for VirtualMachines: a Linux bridge on every node hosting one of
 * its VMs, the nodes joined by VXLAN (the network's VNI), DHCP and DNS (`<vm>.<network>`) from
 * dnsmasq on each of those nodes. Nothing routes between Networks or out of one.
 */
export const NetworkSpec = Type.Object(
  {
    /** IPv4 CIDR, /16 to /29; absent: the next free block of the server's pool (a /24 unless configured). */
    subnet: Type.Optional(Type.String({ maxLength: 18, description: 'IPv4 CIDR such as 10.20.0.0/24 (/16 to /29); fixed once created' })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type NetworkSpec = Static<typeof NetworkSpec>;

/** One VM NIC's address on a Network (a VM's status.addresses, a Network's status.addresses). */
export interface NicAddress {
  network: string;
  mac: string;
  ip: string;
  /** On a Network's status: the VM holding it. */
  vm?: string;
}

export interface NetworkStatus {
  /** VXLAN network identifier, unique in the cluster while the Network exists (set on create). */
  vni: number;
  /** Nodes where the network is realised now (they host one of its VMs), with their underlay address. */
  nodes?: { node: string; address: string }[];
  /** Addresses handed out to VMs' NICs. */
  addresses?: NicAddress[];
}

/** Lowest and highest VNI handed out (VNIs are 24 bits; below 4096 is left to the operator). */
export const VNI_MIN = 4096;
export const VNI_MAX = 16_777_215;

export const NetworkKind: KindDef = { ...kindNames('Network'), spec: NetworkSpec, status: OpenStatus };
