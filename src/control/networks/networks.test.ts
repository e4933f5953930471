// Tenant Networks in the control plane, on both store engines: VNIs unique in the cluster and
// subnets defaulted from the pool under concurrent creates, a VM may name only its own
// project's Networks, a Network in use cannot be deleted, and address management — no address
// handed out twice under concurrent placement, kept across placements, free again once the VM
// is deleted, and a clear error when the subnet is full.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceInput } from '../../model/metadata.js';
import { kindDef } from '../../model/registry.js';
import { storeEngines, type Engine } from '../../store/testing/engines.js';
import type { Store } from '../../store/types.js';
import { createResource, deleteResource, replaceResource } from '../resources.js';
import { AddressBook, NetworkFullError, statusAddresses } from './ipam.js';
import { until } from '../testing/until.js';
import { NetworkController, reconcileProject, type TenantNetworkView } from './controller.js';

const engines = storeEngines('weft_networks', 4);

const SUM = `sha256:${'c'.repeat(64)}`;
const NETWORK = kindDef('Network')!;
const VM = kindDef('VirtualMachine')!;
const network = (name: string, subnet?: string) => ({ metadata: { name }, spec: subnet ? { subnet } : {} });
const vm = (name: string, networks: string[]) => ({ metadata: { name }, spec: { resources: { cpu: '1', memory: '256Mi' }, rootDisk: { image: 'img' }, networks: networks.map((network) => ({ network })) } });
const project = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name }, spec: {} });
const image = (p: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'img', project: p }, spec: { source: { url: 'http://127.0.0.1:9/i.raw' }, checksum: SUM, format: 'raw' } });

for (const [engine, make] of engines) {
  describe.skipIf(!make)(`tenant Networks in the control plane (${engine}${make ? '' : ': set WEFT_TEST_DATABASE_URL'})`, () => {
    let e: Engine;
    let store: Store;
    beforeAll(async () => {
      e = await make!();
      store = await e.open();
      for (const p of ['a', 'b']) {
        await store.create(project(p));
        await store.create(image(p));
      }
    });
    afterAll(async () => {
      await store?.close();
      await e?.destroy();
    });

    it('gives every Network a VNI unique in the cluster and a subnet of the pool, also when created at once', async () => {
      const made = await Promise.all(Array.from({ length: 12 }, (_, i) => createResource(store, NETWORK, network(`n${i}`), { project: i % 2 === 0 ? 'a' : 'b' })));
      const vnis = made.map((n) => n.status?.vni as number);
      expect(new Set(vnis).size).toBe(12);
      for (const v of vnis) expect(v).toBeGreaterThanOrEqual(4096);
      // Within a project, defaulted subnets never overlap: /24s of 10.128.0.0/16.
      const subnetsA = made.filter((n) => n.metadata.project === 'a').map((n) => (n.spec as { subnet: string }).subnet);
      expect(new Set(subnetsA).size).toBe(6);
      for (const s of subnetsA) expect(s).toMatch(/^10\.128\.\d+\.0\/24$/);
      // A freed VNI goes to the next Network; none is reused while its Network exists.
      await deleteResource(store, NETWORK, { project: 'b', name: 'n1' });
      const next = await createResource(store, NETWORK, network('again'), { project: 'a' });
      expect(next.status?.vni).toBe(made[1]!.status?.vni);
      expect(vnis.filter((v) => v !== made[1]!.status?.vni)).not.toContain(next.status?.vni);
    });

    it('refuses a bad or changed subnet, naming the field', async () => {
      await expect(createResource(store, NETWORK, network('bad', '10.0.0.5/24'), { project: 'a' })).rejects.toMatchObject({ status: 422, issues: [{ field: 'spec.subnet', message: expect.stringContaining('host bits') }] });
      await expect(createResource(store, NETWORK, network('big', '10.0.0.0/8'), { project: 'a' })).rejects.toMatchObject({ status: 422, issues: [{ field: 'spec.subnet' }] });
      await expect(createResource(store, NETWORK, network('v6', 'fd00::/64'), { project: 'a' })).rejects.toMatchObject({ status: 422, issues: [{ field: 'spec.subnet', message: expect.stringContaining('IPv4') }] });
      await createResource(store, NETWORK, network('fixed', '192.168.7.0/29'), { project: 'a' });
      await expect(replaceResource(store, NETWORK, network('fixed', '192.168.8.0/29'), { project: 'a', name: 'fixed' })).rejects.toMatchObject({ status: 422, issues: [{ field: 'spec.subnet' }] });
      // Leaving it out keeps it, and the VNI stays.
      const before = await store.get({ kind: 'Network', project: 'a', name: 'fixed' });
      const after = await replaceResource(store, NETWORK, { metadata: { name: 'fixed' }, spec: { description: 'five VMs' } }, { project: 'a', name: 'fixed' });
      expect(after.spec).toMatchObject({ subnet: '192.168.7.0/29' });
      expect(after.status?.vni).toBe(before!.status?.vni);
    });

    it("lets a VM name only its own project's Networks, another project's being simply not found", async () => {
      await createResource(store, NETWORK, network('private'), { project: 'b' });
      await expect(createResource(store, VM, vm('peek', ['private']), { project: 'a' })).rejects.toMatchObject({
        status: 422,
        issues: [{ field: 'spec.networks.0.network', message: 'Network "private" does not exist in project "a"' }],
      });
      await expect(createResource(store, VM, vm('nope', ['missing']), { project: 'a' })).rejects.toMatchObject({ issues: [{ message: 'Network "missing" does not exist in project "a"' }] });
      await createResource(store, VM, vm('ok', ['private']), { project: 'b' });
      await expect(deleteResource(store, NETWORK, { project: 'b', name: 'private' })).rejects.toMatchObject({ status: 409, message: expect.stringContaining('used by VirtualMachines "ok"') });
      await deleteResource(store, VM, { project: 'b', name: 'ok' });
      await deleteResource(store, NETWORK, { project: 'b', name: 'private' });
    });

    it('never hands out one address twice under concurrent placement, keeps it for the VM, frees it on delete, and says when the subnet is full', async () => {
      // A /29 holds 5 VMs: .1 is every node's DHCP and DNS server, .0 and .7 are not hosts.
      await createResource(store, NETWORK, network('small', '10.9.0.0/29'), { project: 'a' });
      for (let i = 0; i < 6; i++) await createResource(store, VM, vm(`v${i}`, ['small']), { project: 'a' });
      const place = (name: string) =>
        store.transaction(async (tx) => {
          const cur = (await tx.get({ kind: 'VirtualMachine', project: 'a', name }))!;
          const nics = await new AddressBook(tx).assign(cur);
          await tx.update({ ...cur, status: { ...(cur.status ?? {}), addresses: statusAddresses(nics) } }, { resourceVersion: cur.metadata.resourceVersion });
          return nics;
        });
      const results = await Promise.allSettled(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'].map(place));
      const placed = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(placed.map((n) => n.ip).sort()).toEqual(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
      expect(new Set(placed.map((n) => n.mac)).size).toBe(5);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toBeInstanceOf(NetworkFullError);
      expect((failed[0] as Error).message).toBe('Network "small" of project "a" has no free address: all 5 VM addresses of 10.9.0.0/29 are in use');

      // Placed again (a restart), a VM keeps its address; deleted, its address goes to the next VM.
      const v0 = placed.find((n) => n.ip === '10.9.0.2')!;
      const holder = (await store.list('VirtualMachine', { project: 'a' })).items.find((x) => (x.status?.addresses as { ip: string }[] | undefined)?.[0]?.ip === '10.9.0.2')!;
      expect((await place(holder.metadata.name))[0]).toMatchObject({ ip: '10.9.0.2', mac: v0.mac });
      const waiting = (await store.list('VirtualMachine', { project: 'a' })).items.find((x) => /^v\d$/.test(x.metadata.name) && !x.status?.addresses)!;
      await deleteResource(store, VM, { project: 'a', name: holder.metadata.name });
      expect((await place(waiting.metadata.name))[0]).toMatchObject({ network: 'small', ip: '10.9.0.2', subnet: '10.9.0.0/29', vni: expect.any(Number) });
    });

    it('tells each node hosting a VM of the network its peers and the names of the whole network, following the store', async () => {
      // Driven by changes alone: no resync during the test.
      const stopController = new AbortController();
      const controller = new NetworkController({ store, resyncMs: 3_600_000 });
      const running = controller.start(stopController.signal);
      await createResource(store, NETWORK, network('mesh', '10.10.0.0/24'), { project: 'b' });
      const vni = (await store.get({ kind: 'Network', project: 'b', name: 'mesh' }))!.status!.vni as number;
      for (const [node, address] of [['n1', '192.0.2.1'], ['n2', '192.0.2.2']]) await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: node! }, spec: { cpu: '8', memory: '16Gi' }, status: { address } });
      const hosts = [['x', 'n1', '10.10.0.2'], ['y', 'n2', '10.10.0.3'], ['z', 'n2', '10.10.0.4']] as const;
      for (const [name, node, ip] of hosts) {
        const created = await createResource(store, VM, vm(name, ['mesh']), { project: 'b' });
        await store.update({ ...created, status: { addresses: [{ network: 'mesh', mac: '52:54:00:00:00:01', ip }] } });
        await store.create({
          apiVersion: 'weft/v1',
          kind: 'Allocation',
          metadata: { name: `${name}-a0-r0`, project: 'b', labels: { 'weft.dev/workload-kind': 'VirtualMachine', 'weft.dev/workload': name, 'weft.dev/node': node } },
          spec: { workload: { kind: 'VirtualMachine', name, uid: created.metadata.uid }, replica: 0, attempt: 0, node, gpus: [], cpuMilli: 1000, memoryBytes: 2 ** 28, isolation: 'dedicated', task: { vm: { image: { name: 'img', project: 'b', url: 'http://127.0.0.1:9/i.raw', checksum: SUM, format: 'raw' }, hostname: name, networks: [{ network: 'mesh', mac: '52:54:00:00:00:01', ip, subnet: '10.10.0.0/24', vni }] } } },
          status: { phase: 'Running' },
        });
      }
      const view = async (alloc: string) => ((await store.get({ kind: 'Allocation', project: 'b', name: alloc }))!.status?.tenantNetworks as TenantNetworkView[] | undefined)?.[0];
      const names = hosts.map(([name, , ip]) => ({ name, ip }));
      const nodesOf = async () => (await store.get({ kind: 'Network', project: 'b', name: 'mesh' }))!.status?.nodes as unknown[] | undefined;
      await until('the network\'s nodes', async () => ((await nodesOf())?.length === 2 && (await view('z-a0-r0'))?.hosts.length === 3) || undefined);
      const net = await store.get({ kind: 'Network', project: 'b', name: 'mesh' });
      expect(net!.status).toMatchObject({ vni, nodes: [{ node: 'n1', address: '192.0.2.1' }, { node: 'n2', address: '192.0.2.2' }], addresses: hosts.map(([name, , ip]) => ({ vm: name, network: 'mesh', ip })) });
      expect(await view('x-a0-r0')).toEqual({ network: 'mesh', vni, peers: ['192.0.2.2'], hosts: names });
      expect(await view('y-a0-r0')).toEqual({ network: 'mesh', vni, peers: ['192.0.2.1'], hosts: names });
      // A node's new address reaches its peers.
      const n1 = (await store.get({ kind: 'Node', name: 'n1' }))!;
      await store.update({ ...n1, status: { ...n1.status, address: '192.0.2.11' } });
      await until('n1\'s new address at its peers', async () => ((await view('y-a0-r0'))?.peers[0] === '192.0.2.11') || undefined);
      // The only VM on n1 ends: n2 has no peer left, and nothing is rewritten on a pass that changes nothing.
      const x = (await store.get({ kind: 'Allocation', project: 'b', name: 'x-a0-r0' }))!;
      await store.update({ ...x, status: { ...x.status, phase: 'Stopped' } });
      await until('n2 without peers', async () => ((await view('z-a0-r0'))?.peers.length === 0) || undefined);
      stopController.abort();
      await running;
      const rv = await store.currentResourceVersion();
      await store.transaction((tx) => reconcileProject(tx, 'b'));
      expect(await store.currentResourceVersion()).toBe(rv);
    });
  });
}
