// Addresses handed out by the real scheduling loop: a VM placed on a Network gets its NIC's MAC
// and IP in its status and in its Allocation's task (what the node agent builds the network
// from); VMs placed in one cycle never share an address; with the subnet full, a VM waits and
// says why, and gets the address of a VM deleted later.
import { describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { kindDef } from '../../model/registry.js';
import { h100Node, livePlanes, until } from '../testing/live-plane.js';
import { createResource, deleteResource } from '../resources.js';

const P = 'nets';
const startPlane = livePlanes();
const SUM = `sha256:${'d'.repeat(64)}`;

const vm = (name: string): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'VirtualMachine',
  metadata: { name, project: P },
  spec: { resources: { cpu: '1', memory: '1Gi' }, rootDisk: { image: 'deb' }, networks: [{ network: 'lan' }, { userMode: true }] },
});

describe('addresses at placement', () => {
  it('gives each placed VM its own address on the Network, in its status and its task; a full subnet keeps a VM waiting until one is freed', async () => {
    const { store } = await startPlane({
      project: P,
      seed: async (s) => {
        await s.create(h100Node('host-a'));
        await s.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'deb', project: P }, spec: { source: { url: 'http://127.0.0.1:9/deb.raw' }, checksum: SUM, format: 'raw' } });
        await createResource(s, kindDef('Network')!, { metadata: { name: 'lan' }, spec: { subnet: '10.20.0.0/29' } }, { project: P });
      },
    });
    const vni = (await store.get({ kind: 'Network', project: P, name: 'lan' }))!.status!.vni;
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(names.map((n) => store.create(vm(n))));
    const get = async (n: string): Promise<Resource> => (await store.get({ kind: 'VirtualMachine', project: P, name: n }))!;
    const waiting = await until('five VMs placed and one refused an address', async () => {
      const all = await Promise.all(names.map(get));
      const placed = all.filter((v) => v.status?.addresses);
      const refused = all.filter((v) => String((v.status?.scheduling as { message?: string } | undefined)?.message).includes('no free address'));
      return placed.length === 5 && refused.length === 1 ? refused[0]! : undefined;
    });
    expect((waiting.status!.scheduling as { message: string }).message).toBe('Network "lan" of project "nets" has no free address: all 5 VM addresses of 10.20.0.0/29 are in use');
    expect(waiting.status?.phase).toBe('Pending');

    const placed = (await Promise.all(names.map(get))).filter((v) => v.status?.addresses);
    const ips = placed.map((v) => (v.status!.addresses as { ip: string }[])[0]!.ip).sort();
    expect(ips).toEqual(['10.20.0.2', '10.20.0.3', '10.20.0.4', '10.20.0.5', '10.20.0.6']);
    const one = placed[0]!;
    const [addr] = one.status!.addresses as { network: string; mac: string; ip: string }[];
    expect(addr).toEqual({ network: 'lan', mac: expect.stringMatching(/^52:54:00(:[0-9a-f]{2}){3}$/), ip: expect.any(String) });
    const [alloc] = (await store.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${one.metadata.name}` })).items;
    expect((alloc!.spec as { task: { vm: { networks: unknown[] } } }).task.vm.networks).toEqual([{ network: 'lan', mac: addr!.mac, ip: addr!.ip, subnet: '10.20.0.0/29', vni }, { userMode: true }]);

    await deleteResource(store, kindDef('VirtualMachine')!, { project: P, name: one.metadata.name });
    const got = await until('the waiting VM placed with the freed address', async () => {
      const w = await get(waiting.metadata.name);
      return w.status?.addresses ? (w.status.addresses as { ip: string }[])[0]!.ip : undefined;
    });
    expect(got).toBe(addr!.ip);
  });
});
