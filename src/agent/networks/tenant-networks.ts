// Tenant Networks on one node (docs/vms.md, "Networks"). For each network with a VM here:
//
//   tap per VM NIC ──┐
//                    ├── bridge wbr<VNI> (no host address, no IPv6 link-local, ARP for host addresses ignored)
//   vxlan wvx<VNI> ──┤      VXLAN to the other nodes hosting the network: one all-zero FDB entry per peer
//     (isolated)     │      (head-end replication over unicast; no multicast), remote MACs learnt
//   veth wdh<VNI> ───┘      to the namespace weft-<node>-<VNI>, where dnsmasq answers DHCP and DNS on
//     (isolated)            the subnet's first address
//
// The vxlan and DHCP ports are isolated from each other (bridge "isolated on"): a VM reaches its
// own node's dnsmasq, never another node's, so every node can serve the same address. Nothing
// here has a route to anything else. What a network holds is kept in <root>/<VNI>/ (the network,
// its NICs on this node, dnsmasq's configuration and pid), so a restarted agent finds it again
// and changes only what differs; the last VM leaving tears all of it down.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { formatSubnet, ipOf, parseSubnet, serverAddress } from '../../model/subnet.js';
import { readJson, writeJsonAtomic } from '../state.js';
import { dnsmasqConfig, type DhcpHost } from './dnsmasq-config.js';
import { bridge, host, ip, ipIdempotent, links } from './host-commands.js';
import { bridgeName, DHCP_INSIDE, dhcpNamespace, dhcpPortName, OWN_DEVICE, OWN_TAP, tapName, TENANT_MTU, VXLAN_PORT, vxlanName } from './names.js';
import { processAlive, stopProcess } from './pids.js';

/** A VM NIC on a Network, as the Allocation's task gives it. */
export interface PlannedNic {
  network: string;
  vni: number;
  subnet: string;
  mac: string;
  ip: string;
}

/** What the control plane says of a network beyond this node (Allocation status.tenantNetworks). */
export interface NetworkView {
  network: string;
  vni: number;
  peers: string[];
  hosts: { name: string; ip: string }[];
}

interface NetworkRecord {
  network: string;
  vni: number;
  subnet: string;
}

interface NicRecord extends DhcpHost {
  uid: string;
  index: number;
  tap: string;
}

export interface TenantNetworksOptions {
  /** Where networks' records live (the agent's <state>/networks). */
  root: string;
  node: string;
  /** This node's underlay address (VXLAN's source); absent or loopback: the kernel picks. */
  address?: string;
  log: (msg: string) => void;
}

export class TenantNetworks {
  private chain: Promise<unknown> = Promise.resolve();
  /** Per VNI, the peers last written to the FDB (checked against the kernel after a restart). */
  private readonly peersApplied = new Map<number, string>();

  constructor(private readonly opts: TenantNetworksOptions) {}

  /** Builds the network here if needed and a tap for the NIC on its bridge; returns the tap's name. */
  plug(uid: string, index: number, nic: PlannedNic, hostname: string): Promise<string> {
    return this.exclusive(async () => {
      const rec: NetworkRecord = { network: nic.network, vni: nic.vni, subnet: nic.subnet };
      mkdirSync(join(this.dir(nic.vni), 'nics'), { recursive: true });
      writeJsonAtomic(join(this.dir(nic.vni), 'network.json'), rec);
      await this.ensureNetwork(rec);
      const tap = tapName(uid, index);
      await ipIdempotent('tuntap', 'add', 'dev', tap, 'mode', 'tap');
      await ip('link', 'set', 'dev', tap, 'addrgenmode', 'none');
      await ip('link', 'set', 'dev', tap, 'mtu', String(TENANT_MTU), 'master', bridgeName(nic.vni), 'up');
      writeJsonAtomic(join(this.dir(nic.vni), 'nics', `${uid}-${index}.json`), { uid, index, tap, mac: nic.mac, ip: nic.ip, name: hostname } satisfies NicRecord);
      await this.applyDnsmasq(rec, this.view(nic.vni));
      return tap;
    });
  }

  /**
   * Makes the node match: NICs of replicas no longer live are unplugged, networks without NICs
   * torn down, the others (re)built where something is missing, their VXLAN peers and dnsmasq
   * updated from the control plane's views; devices of ours that nothing records are removed.
   */
  sync(live: ReadonlySet<string>, views: ReadonlyMap<number, NetworkView>): Promise<void> {
    return this.exclusive(async () => {
      const keep = new Set<number>();
      const taps = new Set<string>();
      for (const vni of this.vnis()) {
        const rec = readJson<NetworkRecord>(join(this.dir(vni), 'network.json'));
        for (const nic of this.nics(vni)) {
          if (live.has(nic.uid)) taps.add(nic.tap);
          else {
            await ipIdempotent('link', 'del', 'dev', nic.tap);
            rmSync(join(this.dir(vni), 'nics', `${nic.uid}-${nic.index}.json`), { force: true });
          }
        }
        if (!rec || this.nics(vni).length === 0) {
          await this.tearDown(vni);
          continue;
        }
        keep.add(vni);
        const view = views.get(vni);
        if (view) writeJsonAtomic(join(this.dir(vni), 'view.json'), view);
        await this.ensureNetwork(rec);
        await this.applyPeers(vni, (view ?? this.view(vni))?.peers);
        await this.applyDnsmasq(rec, view ?? this.view(vni));
      }
      for (const [name] of await links()) {
        const own = OWN_DEVICE.exec(name);
        if ((own && !keep.has(Number(own[2]))) || (OWN_TAP.test(name) && !taps.has(name))) await ipIdempotent('link', 'del', 'dev', name);
      }
    });
  }

  /** dnsmasq, its namespace, the devices and the records of a network no VM here uses any more. */
  private async tearDown(vni: number): Promise<void> {
    await this.stopDnsmasq(vni);
    try {
      await host('ip', ['netns', 'del', dhcpNamespace(this.opts.node, vni)]);
    } catch {
      /* already gone */
    }
    for (const dev of [vxlanName(vni), dhcpPortName(vni), bridgeName(vni)]) await ipIdempotent('link', 'del', 'dev', dev);
    rmSync(this.dir(vni), { recursive: true, force: true });
    this.peersApplied.delete(vni);
    this.opts.log(`tenant network VNI ${vni}: no VM left here; removed`);
  }

  private async ensureNetwork(rec: NetworkRecord): Promise<void> {
    const { vni } = rec;
    const br = bridgeName(vni);
    const vx = vxlanName(vni);
    const dh = dhcpPortName(vni);
    const ns = dhcpNamespace(this.opts.node, vni);
    const have = await links();
    const nsExists = existsSync(join('/run/netns', ns));
    if (have.get(vx)?.master === br && have.get(dh)?.master === br && nsExists) return;
    const subnet = parseSubnet(rec.subnet);
    if (typeof subnet === 'string') throw new Error(`network ${rec.network}: ${subnet}`);
    if (!have.has(br)) {
      await ip('link', 'add', 'name', br, 'type', 'bridge');
      await ip('link', 'set', 'dev', br, 'addrgenmode', 'none');
    }
    this.hostStaysOff(br);
    await ip('link', 'set', 'dev', br, 'mtu', String(TENANT_MTU), 'up');
    if (!have.has(vx)) {
      const local = this.opts.address && isIP(this.opts.address) === 4 && !this.opts.address.startsWith('127.') ? ['local', this.opts.address] : [];
      await ip('link', 'add', 'name', vx, 'type', 'vxlan', 'id', String(vni), ...local, 'dstport', String(VXLAN_PORT));
      await ip('link', 'set', 'dev', vx, 'addrgenmode', 'none');
      this.peersApplied.delete(vni);
    }
    await ip('link', 'set', 'dev', vx, 'mtu', String(TENANT_MTU), 'master', br, 'up');
    await bridge('link', 'set', 'dev', vx, 'isolated', 'on');
    if (!nsExists) await ipIdempotent('netns', 'add', ns);
    if (!have.has(dh)) {
      await ip('link', 'add', 'name', dh, 'type', 'veth', 'peer', 'name', DHCP_INSIDE, 'netns', ns);
      await ip('link', 'set', 'dev', dh, 'addrgenmode', 'none');
    }
    await ip('link', 'set', 'dev', dh, 'mtu', String(TENANT_MTU), 'master', br, 'up');
    await bridge('link', 'set', 'dev', dh, 'isolated', 'on');
    await ip('-n', ns, 'link', 'set', 'dev', 'lo', 'up');
    await ipIdempotent('-n', ns, 'addr', 'add', `${serverAddress(subnet)}/${subnet.prefix}`, 'dev', DHCP_INSIDE);
    await ip('-n', ns, 'link', 'set', 'dev', DHCP_INSIDE, 'mtu', String(TENANT_MTU), 'up');
    this.opts.log(`tenant network ${rec.network} (VNI ${vni}, ${formatSubnet(subnet)}): bridge ${br}, vxlan ${vx}, DHCP and DNS in namespace ${ns}`);
  }

  /**
   * The bridge carries no address, but the kernel would still answer ARP for the node's own
   * addresses on it and accept packets to them: ignore such ARP, drop what has no route back
   * through it (strict reverse-path filter), and no IPv6 on it at all.
   */
  private hostStaysOff(br: string): void {
    for (const [path, value] of [[`/proc/sys/net/ipv4/conf/${br}/arp_ignore`, '8'], [`/proc/sys/net/ipv4/conf/${br}/rp_filter`, '1'], [`/proc/sys/net/ipv6/conf/${br}/disable_ipv6`, '1']] as const) {
      try {
        writeFileSync(path, value);
      } catch (e) {
        if (!path.includes('ipv6')) throw new Error(`cannot keep the node off tenant bridge ${br}: ${(e as Error).message}`, { cause: e });
      }
    }
  }

  /** One all-zero FDB entry per peer: broadcast and unknown unicast go to each of them. */
  private async applyPeers(vni: number, peers: readonly string[] | undefined): Promise<void> {
    if (!peers) return;
    // VXLAN's underlay here is IPv4: a node registered by host name (or IPv6) cannot be a peer.
    const skipped = peers.filter((p) => isIP(p) !== 4);
    if (skipped.length > 0 && this.peersApplied.get(vni) === undefined) this.opts.log(`tenant network VNI ${vni}: peers ${skipped.join(', ')} are not IPv4 addresses; not joined`);
    const want = [...new Set(peers.filter((p) => isIP(p) === 4))].sort();
    if (this.peersApplied.get(vni) === want.join(',')) return;
    const vx = vxlanName(vni);
    const entries = JSON.parse((await bridge('-j', 'fdb', 'show', 'dev', vx)) || '[]') as { mac: string; dst?: string }[];
    const have = new Set(entries.filter((e) => e.mac === '00:00:00:00:00:00' && e.dst).map((e) => e.dst!));
    for (const p of want) if (!have.has(p)) await bridge('fdb', 'append', '00:00:00:00:00:00', 'dev', vx, 'dst', p);
    for (const p of have) if (!want.includes(p)) await bridge('fdb', 'del', '00:00:00:00:00:00', 'dev', vx, 'dst', p);
    this.peersApplied.set(vni, want.join(','));
  }

  /** Writes dnsmasq's configuration and (re)starts it when it changed or is not running. */
  private async applyDnsmasq(rec: NetworkRecord, view: NetworkView | undefined): Promise<void> {
    const subnet = parseSubnet(rec.subnet);
    if (typeof subnet === 'string') return;
    const dir = this.dir(rec.vni);
    const local = this.nics(rec.vni).map(({ mac, ip: addr, name }) => ({ mac, ip: addr, name }));
    const hosts = new Map((view?.hosts ?? []).map((h) => [h.name, h.ip]));
    for (const n of local) hosts.set(n.name, n.ip);
    const conf = dnsmasqConfig({
      network: rec.network,
      vni: rec.vni,
      serverIp: serverAddress(subnet),
      subnetBase: ipOf(subnet.base),
      netmask: ipOf(subnet.prefix === 0 ? 0 : (0xffffffff << (32 - subnet.prefix)) >>> 0),
      pidFile: join(dir, 'dnsmasq.pid'),
      local,
      hosts: [...hosts].map(([name, addr]) => ({ name, ip: addr })),
    });
    const path = join(dir, 'dnsmasq.conf');
    const same = existsSync(path) && readFileSync(path, 'utf8') === conf;
    if (same && this.dnsmasqPid(rec.vni) !== undefined) return;
    await this.stopDnsmasq(rec.vni);
    writeFileSync(path, conf);
    await host('ip', ['netns', 'exec', dhcpNamespace(this.opts.node, rec.vni), 'dnsmasq', `--conf-file=${path}`]);
  }

  private dnsmasqPid(vni: number): number | undefined {
    const file = join(this.dir(vni), 'dnsmasq.pid');
    const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
    return Number.isInteger(pid) && processAlive(pid, join(this.dir(vni), 'dnsmasq.conf')) ? pid : undefined;
  }

  private async stopDnsmasq(vni: number): Promise<void> {
    const pid = this.dnsmasqPid(vni);
    if (pid !== undefined) await stopProcess(pid);
    rmSync(join(this.dir(vni), 'dnsmasq.pid'), { force: true });
  }

  private view(vni: number): NetworkView | undefined {
    return readJson<NetworkView>(join(this.dir(vni), 'view.json'));
  }

  private nics(vni: number): NicRecord[] {
    const dir = join(this.dir(vni), 'nics');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((f) => readJson<NicRecord>(join(dir, f)) ?? []);
  }

  private vnis(): number[] {
    if (!existsSync(this.opts.root)) return [];
    return readdirSync(this.opts.root).filter((d) => /^\d+$/.test(d)).map(Number);
  }

  private dir(vni: number): string {
    return join(this.opts.root, String(vni));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
