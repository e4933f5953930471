import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { POWER_ANNOTATION, RESTART_ANNOTATION } from '../../model/kinds/virtual-machine.js';
import { PROJECT, startKit, type Kit } from './testing.js';

let k: Kit;
beforeEach(async () => {
  k = await startKit();
});
afterEach(async () => k.close());

const SUM = `sha256:${'a'.repeat(64)}`;
const vm = () => k.get('VirtualMachine', 'box');
const phase = async () => (await vm()).status?.phase;

async function image(project = PROJECT, extra: Record<string, unknown> = {}): Promise<void> {
  await k.store.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { name: 'deb', project }, spec: { source: { url: 'http://127.0.0.1:1/deb.raw' }, checksum: SUM, format: 'raw', ...extra } });
}

async function boot(alloc: string, report: Record<string, unknown> = {}): Promise<void> {
  expect((await k.bind('VirtualMachine', 'box')).map((a) => a.metadata.name)).toEqual([alloc]);
  await k.settle();
  expect(await phase()).toBe('Scheduled');
  await k.setPhase(alloc, 'Running', { vm: report });
  await k.settle();
  expect(await phase()).toBe('Running');
}

async function annotate(annotations: Record<string, string>): Promise<void> {
  const o = await vm();
  await k.store.update({ ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, ...annotations } } });
}

describe('VirtualMachine controller', () => {
  it('waits for its Image, runs, reports node, addresses and console, and records the node in the Image', async () => {
    await k.create('VirtualMachine', 'box', { resources: { cpu: '2', memory: '2Gi' }, rootDisk: { image: 'deb' } });
    await k.settle();
    expect((await vm()).status?.conditions).toContainEqual(expect.objectContaining({ type: 'ImageReady', status: 'False', reason: 'ImageNotFound' }));
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]);

    await image();
    await k.settle();
    expect((await vm()).status?.image).toMatchObject({ name: 'deb', project: PROJECT, checksum: SUM, format: 'raw' });
    await boot('box-a0-r0', { ipAddresses: ['10.0.2.15'], sshAddress: '127.0.0.1:2222', imageSizeBytes: 4096, accelerator: 'tcg' });
    const st = (await vm()).status!;
    expect(st).toMatchObject({ ipAddresses: ['10.0.2.15'], sshAddress: '127.0.0.1:2222', accelerator: 'tcg', consoleUrl: `/api/v1/projects/${PROJECT}/virtualmachines/box/console` });
    expect(typeof st.node).toBe('string');
    expect(st.bootTime).toBe(k.clock.now().toISOString());
    expect((await k.get('Image', 'deb')).status).toMatchObject({ format: 'raw', sizeBytes: 4096, nodes: [st.node] });
  });

  it('boots from a public Image of weft-system, never from a private one of another project', async () => {
    await k.store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'weft-system' }, spec: {} });
    await image('weft-system');
    await k.create('VirtualMachine', 'box', { resources: {}, rootDisk: { image: 'deb' } });
    await k.settle();
    expect((await vm()).status?.image).toBeUndefined();
    const img = (await k.store.get({ kind: 'Image', project: 'weft-system', name: 'deb' }))!;
    await k.store.update({ ...img, spec: { ...img.spec, public: true } });
    await k.settle();
    expect((await vm()).status?.image).toMatchObject({ project: 'weft-system' });
  });

  it('Always: a guest that powers off starts again; Halted stops it with the grace, Always starts it again', async () => {
    await image();
    await k.create('VirtualMachine', 'box', { resources: {}, rootDisk: { image: 'deb' }, terminationGracePeriodSeconds: 20 });
    await k.settle();
    await boot('box-a0-r0');
    await k.setPhase('box-a0-r0', 'Succeeded');
    await k.settle();
    expect(await phase()).toBe('Pending');
    await boot('box-a1-r0');

    await k.patchSpec('VirtualMachine', 'box', { runStrategy: 'Halted' });
    await k.settle();
    expect(await phase()).toBe('Stopping');
    expect((await k.get('Allocation', 'box-a1-r0')).status?.stopRequested).toMatchObject({ reason: 'Halted', graceSeconds: 20 });
    await k.honourStops();
    await k.settle();
    expect(await phase()).toBe('Stopped');
    expect((await vm()).status?.node).toBeUndefined();
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]);

    await k.patchSpec('VirtualMachine', 'box', { runStrategy: 'Always' });
    await k.settle();
    await boot('box-a2-r0');
  });

  it('RerunOnFailure: restarts after a failure (with backoff), stays stopped when the guest powers off', async () => {
    await image();
    await k.create('VirtualMachine', 'box', { resources: {}, rootDisk: { image: 'deb' }, runStrategy: 'RerunOnFailure' });
    await k.settle();
    await boot('box-a0-r0');
    await k.setPhase('box-a0-r0', 'Failed', { message: 'exited with code 1' });
    await k.settle();
    expect(await phase()).toBe('Pending');
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]); // backing off
    k.clock.advance(60_000);
    await k.settle();
    await boot('box-a1-r0');
    await k.setPhase('box-a1-r0', 'Succeeded');
    await k.settle();
    expect(await phase()).toBe('Stopped');
    k.clock.advance(600_000);
    await k.settle();
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]);
    await annotate({ [RESTART_ANNOTATION]: 'again' }); // weft start vm
    await k.settle();
    await boot('box-a2-r0');
  });

  it('Manual: starts only when powered on, a failure is left for the owner, restart starts it again', async () => {
    await image();
    await k.create('VirtualMachine', 'box', { resources: {}, rootDisk: { image: 'deb' }, runStrategy: 'Manual' });
    await k.settle();
    expect(await phase()).toBe('Stopped');
    await annotate({ [POWER_ANNOTATION]: 'On' });
    await k.settle();
    await boot('box-a0-r0');
    await k.setPhase('box-a0-r0', 'Failed');
    await k.settle();
    expect(await phase()).toBe('Failed');
    k.clock.advance(600_000);
    await k.settle();
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]);
    await annotate({ [RESTART_ANNOTATION]: k.clock.now().toISOString() });
    await k.settle();
    await boot('box-a1-r0');
  });

  it('restart: powers the running VM down, then places it again once it is down', async () => {
    await image();
    await k.create('VirtualMachine', 'box', { resources: {}, rootDisk: { image: 'deb' } });
    await k.settle();
    await boot('box-a0-r0');
    await annotate({ [RESTART_ANNOTATION]: '1' });
    await k.settle();
    expect((await k.get('Allocation', 'box-a0-r0')).status?.stopRequested).toMatchObject({ reason: 'Restart' });
    expect(await k.bind('VirtualMachine', 'box')).toEqual([]); // the old one still runs
    await k.honourStops();
    await k.settle();
    await boot('box-a1-r0');
    await k.settle();
    expect((await k.get('Allocation', 'box-a1-r0')).status?.stopRequested).toBeUndefined();
  });
});
