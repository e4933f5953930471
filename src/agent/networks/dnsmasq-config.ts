// dnsmasq's configuration for one tenant Network on one node: DHCP only for the VMs on this node
// (a static dhcp-host per MAC, no dynamic pool, so a guest of another node or an unknown MAC
// gets nothing), DNS names `<vm>.<network>` for every VM of the network, no router and no
// upstream resolver (nothing routes out of a Network). Pure, so the exact text is tested.
import { TENANT_MTU, DHCP_INSIDE } from './names.js';

export interface DhcpHost {
  mac: string;
  ip: string;
  name: string;
}

export interface DnsmasqPlan {
  network: string;
  vni: number;
  /** The server's own address (the subnet's first host) and the subnet's netmask. */
  serverIp: string;
  subnetBase: string;
  netmask: string;
  pidFile: string;
  /** This node's VMs. */
  local: DhcpHost[];
  /** Every VM of the network (DNS). */
  hosts: { name: string; ip: string }[];
}

export function dnsmasqConfig(p: DnsmasqPlan): string {
  const lines = [
    `# tenant Network ${p.network} (VNI ${p.vni}); written by the weft agent, which restarts dnsmasq when this changes`,
    `interface=${DHCP_INSIDE}`,
    'bind-interfaces',
    'no-resolv',
    'no-hosts',
    'no-poll',
    'leasefile-ro',
    'dhcp-authoritative',
    `pid-file=${p.pidFile}`,
    `dhcp-range=${p.subnetBase},static,${p.netmask},1h`,
    // No router: the guest gets no default route.
    'dhcp-option=option:router',
    `dhcp-option=option:dns-server,${p.serverIp}`,
    `dhcp-option=option:domain-name,${p.network}`,
    `dhcp-option=option:mtu,${TENANT_MTU}`,
    `domain=${p.network}`,
    `local=/${p.network}/`,
  ];
  for (const h of [...p.local].sort((a, b) => a.mac.localeCompare(b.mac))) lines.push(`dhcp-host=${h.mac},${h.ip},${h.name}`);
  for (const h of [...p.hosts].sort((a, b) => a.name.localeCompare(b.name))) lines.push(`host-record=${h.name}.${p.network},${h.ip}`);
  return `${lines.join('\n')}\n`;
}
