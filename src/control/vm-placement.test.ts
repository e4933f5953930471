// VirtualMachines on the real scheduling loop and controllers (a stand-in provider runs what is
// bound): placed by vCPUs, memory and whole GPUs at their isolation tier, the Allocation carries
// what the node agent needs to boot it, and the usage ledger meters it as a VirtualMachine with
// GPU-seconds like any workload.
import { describe, expect, it } from 'vitest';
import type { ResourceInput } from '../model/metadata.js';
import { h100Node, livePlanes, until } from './testing/live-plane.js';

const P = 'vmteam';
const startPlane = livePlanes();
const SUM = `sha256:${'b'.repeat(64)}`;

const vm = (name: string, spec: Record<string, unknown>): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'VirtualMachine',
  metadata: { name, project: P },
  spec: { resources: { cpu: '4', memory: '16Gi', gpu: { count: 2 } }, rootDisk: { image: 'deb', size: '20Gi' }, isolation: 'dedicated', ...spec },
});

describe('VirtualMachine placement and metering', () => {
  it('places a VM on GPUs, hands the node its disk and cloud-init, keeps another tenant off an exclusive node, and meters GPU-seconds', async () => {
    const { store, clock } = await startPlane({
      project: P,
      seed: async (s) => {
        await s.create(h100Node('gpu-a'));
        await s.create(h100Node('gpu-b'));
        await s.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'other' }, spec: {} });
        await s.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'deb', project: P }, spec: { source: { url: 'http://127.0.0.1:9/deb.raw' }, checksum: SUM, format: 'raw' } });
      },
    });
    const t0 = clock.now().getTime();
    await store.create(vm('one', { cloudInit: { userData: '#!/bin/sh\necho hi\n' }, sshKeys: ['ssh-ed25519 AAAAC3Nza owner@laptop'], disks: [{ name: 'data', size: '1Gi' }] }));
    await store.create(vm('solo', { isolation: 'exclusive-node', resources: { cpu: '2', memory: '4Gi', gpu: { count: 1 } } }));
    const phase = async (name: string) => (await store.get({ kind: 'VirtualMachine', project: P, name }))?.status?.phase;
    for (const n of ['one', 'solo']) await until(`${n} running`, async () => ((await phase(n)) === 'Running' ? true : undefined));

    const [alloc] = (await store.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=one' })).items;
    expect(alloc!.spec).toMatchObject({
      cpuMilli: 4000,
      memoryBytes: 16 * 2 ** 30,
      isolation: 'dedicated',
      task: {
        vm: {
          image: { name: 'deb', project: P, url: 'http://127.0.0.1:9/deb.raw', checksum: SUM, format: 'raw' },
          rootDiskBytes: 20 * 2 ** 30,
          disks: [{ name: 'data', sizeBytes: 2 ** 30 }],
          userData: '#!/bin/sh\necho hi\n',
          sshKeys: ['ssh-ed25519 AAAAC3Nza owner@laptop'],
          hostname: 'one',
          networks: [{ userMode: true }],
        },
      },
    });
    expect((alloc!.spec as { gpus: unknown[] }).gpus).toHaveLength(2);
    const soloNode = (await store.get({ kind: 'VirtualMachine', project: P, name: 'solo' }))!.status!.node as string;

    // Another tenant's job fits only on the node the exclusive VM does not hold.
    await store.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'j', project: 'other' }, spec: { replicas: 1, isolation: 'dedicated', resources: { cpu: '1', gpu: { count: 1 } } } });
    await until('job running', async () => ((await store.get({ kind: 'Job', project: 'other', name: 'j' }))?.status?.phase === 'Running' ? true : undefined));
    const [jobAlloc] = (await store.list('Allocation', { project: 'other' })).items;
    expect((jobAlloc!.spec as { node: string }).node).not.toBe(soloNode);

    clock.advance(600_000);
    const now = clock.now();
    const usage = await store.usage.intervals({ from: new Date(t0 - 1000), to: now, now, project: P });
    const gpuSeconds = usage
      .filter((iv) => iv.workloadKind === 'VirtualMachine' && iv.workloadName === 'one' && iv.resourceClass.startsWith('gpu:'))
      .reduce((sum, iv) => sum + (iv.quantity / 1000) * ((iv.endMs - iv.startMs) / 1000), 0);
    expect(gpuSeconds).toBe(2 * 600);
  });

  it('places a VM with whole GPUs only where the agent reports GPUs it can pass through, and says why when none can', async () => {
    // What an agent writes: nvidia-smi's PCI addresses in the inventory, and per sysfs address
    // whether the IOMMU group is isolated.
    const reporting = (name: string, passable: (i: number) => boolean): ResourceInput => {
      const n = h100Node(name);
      const bus = (i: number) => `00000000:${(0x18 + i).toString(16).toUpperCase()}:00.0`;
      const gpus = (n.spec as { gpus: { index: number; model: string }[] }).gpus;
      return {
        ...n,
        status: {
          inventory: { gpus: gpus.map((g) => ({ index: g.index, model: g.model, pciBusId: bus(g.index) })) },
          drivers: { vm: { available: true, passthrough: { mdevTypes: [], gpus: gpus.map((g) => ({ address: `0000:${(0x18 + g.index).toString(16)}:00.0`, passthrough: passable(g.index), ...(passable(g.index) ? {} : { reason: 'IOMMU group 30 is not isolated' }) })) } } },
        },
      };
    };
    const { store } = await startPlane({
      project: P,
      seed: async (s) => {
        await s.create(reporting('shared-groups', (i) => i === 0));
        await s.create(reporting('isolated', (i) => i < 4));
        await s.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'deb', project: P }, spec: { source: { url: 'http://127.0.0.1:9/deb.raw' }, checksum: SUM, format: 'raw' } });
      },
    });
    const get = (name: string) => store.get({ kind: 'VirtualMachine', project: P, name });
    await store.create(vm('fits', {}));
    await until('fits running', async () => ((await get('fits'))?.status?.phase === 'Running' ? true : undefined));
    const [alloc] = (await store.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=fits' })).items;
    expect((alloc!.spec as { node: string }).node).toBe('isolated');
    expect((alloc!.spec as { gpus: { index: number }[] }).gpus.map((g) => g.index).every((i) => i < 4)).toBe(true);

    // Five GPUs: no node can pass through that many, though both have eight free.
    await store.create(vm('too-many', { resources: { cpu: '4', memory: '16Gi', gpu: { count: 5 } } }));
    const why = await until('too-many explained', async () => {
      const s = (await get('too-many'))?.status as { phase?: string; scheduling?: { explanation?: string; reasons?: Record<string, number> } } | undefined;
      return s?.scheduling?.explanation ? s : undefined;
    });
    expect(why.phase).toBe('Pending');
    expect(why.scheduling!.reasons).toEqual({ GpuNotPassthrough: 2 });
    expect(why.scheduling!.explanation).toContain('asks 5 GPUs passed through to a VM; the most any node it may use can pass through is 4');
  });
});
