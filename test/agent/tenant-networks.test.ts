// Tenant Networks end to end: a real `weft up` and one real `weft agent` in each of two network
// namespaces acting as two nodes (underlay addresses only inside them, test/agent/netns.ts).
// Two VMs of project A on one Network, one per node, get their addresses from dnsmasq by DHCP,
// find each other by DNS (<vm>.<network>) and ping each other over VXLAN; a VM of project B on
// its own Network — whose subnet covers A's addresses, so it tries them on its own link — gets
// its address and reaches its own DHCP server, but never A's VMs. An agent killed and started
// again re-adopts the bridges and dnsmasq without making them twice; the last VM leaving a node
// takes its network with it. Skipped, saying what is missing, without QEMU, iproute2, dnsmasq
// or working network namespaces.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { readLogs } from '../../src/client/logs.js';
import type { Resource } from '../../src/model/metadata.js';
import { buildTestGuest, serveImages, testGuestMissing, type ImageServer } from '../../src/agent/drivers/vm/test-guest.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from '../cli/helpers.js';
import { joinToken, killHard, killReplicas, until } from './helpers.js';
import { netnsMissing, TwoNodes } from './netns.js';

const missing = testGuestMissing() ?? netnsMissing();
const BOOT_MS = 150_000;

/** The guests' user data starts alike: DHCP on the NIC, then a line with the lease. */
const DHCP = `#!/bin/sh
nic=$(ls /sys/class/net | grep -v '^lo$' | head -1)
ip link set lo up
ip link set "$nic" up
cat > /tmp/lease <<'EOS'
#!/bin/sh
[ "$1" = bound ] && ip addr add "$ip/$mask" dev "$interface" && echo "$ip $dns" > /tmp/leased
exit 0
EOS
chmod +x /tmp/lease
udhcpc -i "$nic" -q -n -t 60 -T 1 -A 1 -s /tmp/lease >/dev/null 2>&1
read addr dns < /tmp/leased
echo "leased $addr dns $dns"
`;

/** Pings each target (a name is looked up at the DNS server DHCP gave; "dns" is that server) until it answers, one line each. */
function pinger(targets: string[]): string {
  return `${DHCP}for t in ${targets.join(' ')}; do
  ok=
  for i in $(seq 1 120); do
    [ "$t" = dns ] && t=$dns
    a=$(nslookup "$t" "$dns" 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $2; exit}')
    [ -z "$a" ] && a=$t
    if ping -c 1 -W 1 "$a" >/dev/null 2>&1; then ok=1; break; fi
    sleep 1
  done
  [ -n "$ok" ] && echo "ping $t ($a): reached" || echo "ping $t ($a): unreachable"
done
`;
}

/** After `pinger`'s targets, tries the foreign addresses round after round for as long as it runs, one line per round. */
function prober(targets: string[], foreign: string[]): string {
  return `${pinger(targets)}r=0
while :; do
  r=$((r+1)); line="round $r:"
  for a in ${foreign.join(' ')}; do
    if ping -c 1 -W 1 "$a" >/dev/null 2>&1; then line="$line $a reached"; else line="$line $a unreachable"; fi
  done
  echo "$line"
  sleep 1
done
`;
}

describe.skipIf(missing !== undefined)(`tenant Networks across two namespaced nodes${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const nodes = new TwoNodes(`n${process.pid}`);
  let box: Sandbox;
  let up: UpServer;
  let admin: WeftClient;
  let images: ImageServer;
  let port: number;
  const agents: { child: import('node:child_process').ChildProcess; stateDir: string }[] = [];

  const vm = (project: string, name: string) => admin.get('VirtualMachine', name, { project });
  const log = (project: string, name: string) => readLogs(admin, { kind: 'VirtualMachine', project, name });
  const linksIn = (ns: string): string[] => (JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]).map((l) => l.ifname);
  const cordon = (node: string, on: boolean) => admin.patch('Node', node, { spec: { unschedulable: on } });
  const create = (project: string, name: string, userData: string) =>
    admin.create({ apiVersion: 'weft/v1', kind: 'VirtualMachine', metadata: { name, project }, spec: { resources: { cpu: '1', memory: '192Mi' }, rootDisk: { image: 'guest' }, networks: [{ network: 'lan' }], cloudInit: { userData }, terminationGracePeriodSeconds: 5 } });
  const placed = (project: string, name: string) => until(`${name} placed`, async () => ((await vm(project, name)).status?.addresses ? vm(project, name) : undefined), 30_000, 250);

  beforeAll(async () => {
    assertBuilt();
    const guest = buildTestGuest();
    images = await serveImages({ 'guest.raw': guest.disk });
    box = sandbox();
    nodes.create();
    up = await weftUp(box, '.weft', ['--node-not-ready-after', '5s', '--node-lost-after', '60s']);
    admin = new WeftClient({ server: up.url, token: up.token! });
    port = Number(new URL(up.url).port);
    await nodes.forward(box.dir, [port, Number(new URL(images.url('guest.raw')).port)]);
    const tokens = [await joinToken(box), await joinToken(box)];
    agents.push(...(await Promise.all(nodes.nodes.map((n, i) => nodes.agent(box, n, port, tokens[i])))));
    for (const [p, subnet] of [['proj-a', '10.77.0.8/29'], ['proj-b', '10.77.0.0/24']] as const) {
      await admin.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: p }, spec: {} });
      await admin.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'guest', project: p }, spec: { source: { url: images.url('guest.raw') }, checksum: guest.checksum, format: 'raw' } });
      await admin.create({ apiVersion: 'weft/v1', kind: 'Network', metadata: { name: 'lan', project: p }, spec: { subnet } });
    }
  }, 120_000);

  afterAll(async () => {
    for (const a of agents) {
      await killHard(a.child);
      killReplicas(a.stateDir);
      TwoNodes.killDnsmasq(a.stateDir);
    }
    nodes.remove();
    if (up) await interrupt(up.child);
    await images?.close();
    box?.cleanup();
  }, 30_000);

  it("lets a project's VMs on two nodes find and ping each other, and keeps another project's VM off them", async () => {
    const [n1, n2] = nodes.nodes as [(typeof nodes.nodes)[0], (typeof nodes.nodes)[0]];
    // One VM per node: a1 while only the first node takes work, then a2 and b1 on the second.
    await cordon(n2.name, true);
    await create('proj-a', 'a1', `${pinger(['a2.lan'])}while :; do sleep 3600; done\n`);
    const a1 = await placed('proj-a', 'a1');
    await cordon(n1.name, true);
    await cordon(n2.name, false);
    await create('proj-a', 'a2', `${pinger(['a1.lan'])}while :; do sleep 3600; done\n`);
    const a2 = await placed('proj-a', 'a2');
    const ipsOfA = [a1, a2].map((v) => (v.status!.addresses as { ip: string }[])[0]!.ip);
    expect(ipsOfA).toEqual(['10.77.0.10', '10.77.0.11']);
    await create('proj-b', 'b1', prober(['dns', 'b1.lan'], ipsOfA));

    const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => /^(leased|ping|round) /.test(l));
    const results = async (p: string, name: string, n: number) => until(`${name}'s results on its serial log`, async () => {
      const got = lines(await log(p, name));
      return got.length >= n ? got : undefined;
    }, BOOT_MS, 1000);
    const [r1, r2] = await Promise.all([results('proj-a', 'a1', 2), results('proj-a', 'a2', 2)]);
    expect(r1).toEqual(['leased 10.77.0.10 dns 10.77.0.9', 'ping a2.lan (10.77.0.11): reached']);
    expect(r2).toEqual(['leased 10.77.0.11 dns 10.77.0.9', 'ping a1.lan (10.77.0.10): reached']);
    // A's VMs answer each other now: two more of b1's rounds after this cannot have missed them.
    const seen = (await results('proj-b', 'b1', 3)).filter((l) => l.startsWith('round ')).length;
    const rb = await results('proj-b', 'b1', 3 + seen + 2);
    expect(rb.slice(0, 3)).toEqual(['leased 10.77.0.2 dns 10.77.0.1', 'ping 10.77.0.1 (10.77.0.1): reached', 'ping b1.lan (10.77.0.2): reached']);
    for (const round of rb.slice(3)) expect(round).toMatch(/^round \d+: 10\.77\.0\.10 unreachable 10\.77\.0\.11 unreachable$/);

    // Where each network is: A on both nodes, B only on the second; distinct VNIs.
    const netA = await admin.get('Network', 'lan', { project: 'proj-a' });
    const netB = await admin.get('Network', 'lan', { project: 'proj-b' });
    expect(netA.status).toMatchObject({ nodes: [{ node: n1.name, address: n1.address }, { node: n2.name, address: n2.address }], addresses: [{ vm: 'a1', ip: '10.77.0.10' }, { vm: 'a2', ip: '10.77.0.11' }] });
    expect(netB.status).toMatchObject({ nodes: [{ node: n2.name, address: n2.address }] });
    expect(netA.status!.vni).not.toBe(netB.status!.vni);
    expect((await vm('proj-a', 'a1')).status).toMatchObject({ phase: 'Running', ipAddresses: ['10.77.0.10'] });
  }, 3 * BOOT_MS);

  it('re-adopts bridges and dnsmasq after an agent restart, and removes a network with its last VM on the node', async () => {
    const n2 = nodes.nodes[1]!;
    const vniB = (await admin.get('Network', 'lan', { project: 'proj-b' })).status!.vni as number;
    const pidFile = join(agents[1]!.stateDir, 'networks', String(vniB), 'dnsmasq.pid');
    const pid = readFileSync(pidFile, 'utf8').trim();
    const before = linksIn(n2.ns).filter((l) => l.startsWith('w')).sort();
    await killHard(agents[1]!.child);
    agents[1] = await nodes.agent(box, n2, port);
    await new Promise((r) => setTimeout(r, 3000));
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(pid);
    expect(linksIn(n2.ns).filter((l) => l.startsWith('w')).sort()).toEqual(before);

    await admin.delete('VirtualMachine', 'b1', { project: 'proj-b' });
    await until('B gone from the second node', async () => (linksIn(n2.ns).some((l) => l === `wbr${vniB}` || l === `wvx${vniB}`) ? undefined : true), 60_000, 500);
    const vniA = (await admin.get('Network', 'lan', { project: 'proj-a' })).status!.vni as number;
    expect(linksIn(n2.ns)).toContain(`wbr${vniA}`);
    expect(() => execFileSync('ip', ['netns', 'pids', `weft-${n2.name}-${vniB}`], { stdio: 'pipe' })).toThrow();
    await until('Network B realised nowhere', async () => ((await admin.get('Network', 'lan', { project: 'proj-b' })).status?.nodes as unknown[]).length === 0 ? true : undefined, 20_000, 500);
    await expect(admin.delete('Network', 'lan', { project: 'proj-a' })).rejects.toMatchObject({ status: 409 });
    const gone = (await admin.delete('Network', 'lan', { project: 'proj-b' })) as Resource;
    expect(gone.metadata.name).toBe('lan');
  }, 120_000);
});
