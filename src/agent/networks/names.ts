// Names of what a node creates for tenant Networks. Interface names must fit Linux's 15
// characters (IFNAMSIZ - 1); the VNI is unique in the cluster, so names built from it cannot
// collide between networks, and a tap's name comes from the replica's uid and NIC index.
import { createHash } from 'node:crypto';

/** Every device this agent makes starts with "w" and one of these, so it finds its own again. */
export const bridgeName = (vni: number): string => `wbr${vni}`;
export const vxlanName = (vni: number): string => `wvx${vni}`;
/** The bridge's end of the veth whose other end holds the DHCP and DNS server's address. */
export const dhcpPortName = (vni: number): string => `wdh${vni}`;
/** Inside the DHCP namespace the other end has a fixed name (namespaces keep names apart). */
export const DHCP_INSIDE = 'dhcp0';

export function tapName(uid: string, nic: number): string {
  return `wtp${createHash('sha256').update(uid).digest('hex').slice(0, 8)}${nic}`;
}

/** Network namespaces are files in /run/netns, shared by every namespace: the node's name keeps two agents on one host apart. */
export const dhcpNamespace = (node: string, vni: number): string => `weft-${node}-${vni}`;

/** VXLAN adds 50 bytes to each frame: the tenant network's MTU under a 1500-byte underlay. */
export const TENANT_MTU = 1450;
export const VXLAN_PORT = 4789;

/** Devices of a network this agent made, as `ip link` lists them. */
export const OWN_DEVICE = /^w(br|vx|dh)(\d+)$/;
export const OWN_TAP = /^wtp[0-9a-f]{8}\d$/;
