// GPU passthrough against fixture sysfs trees (test-sysfs.ts): discovery of PCI addresses, IOMMU
// groups and NUMA nodes, the refusal of a group that is not isolated, binding to vfio-pci and
// back (the writes asserted on the tree), mediated devices, and the exact QEMU command line
// each case produces.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachGpus, GPU_RECORD, gpuRequestOf, releaseGpus, type GpuAttachment } from './gpu-attach.js';
import { sysfsAddress } from './pci.js';
import { qemuCommand, type QemuPlan } from './qemu-args.js';
import { FixtureSysfs } from './test-sysfs.js';
import { StateDir } from '../../state.js';
import { VmDriver } from './vm-driver.js';
import { withVfioHeldGpus } from './held-gpus.js';

const A = '0000:3b:00.0'; // L40S on NUMA node 0, with its audio function and its upstream bridge in group 20
const A_AUDIO = '0000:3b:00.1';
const A_BRIDGE = '0000:3a:00.0';
const B = '0000:af:00.0'; // H100 on node 1, alone in group 40
const C = '0000:5e:00.0'; // H100 on node 0 sharing group 30 with a NIC (no ACS on its switch)
const NIC = '0000:5f:00.0';
const M = '0000:41:00.0'; // A100 on node 1 under the vGPU host driver: MIG-backed mdev types
const UUID = '9f2b6c1e-4d3a-4c8b-9e7f-1a2b3c4d5e6f';

function host(): FixtureSysfs {
  const sys = new FixtureSysfs();
  sys.driverDir('vfio-pci');
  sys.numaNode(0, '0-7,16-23');
  sys.numaNode(1, '8-15,24-31');
  sys.addDevice({ address: A_BRIDGE, class: '0x060400', vendor: '0x8086', device: '0x347a', driver: 'pcieport', numaNode: 0, iommuGroup: 20 });
  sys.addDevice({ address: A, behind: A_BRIDGE, class: '0x030200', device: '0x26b9', driver: 'nvidia', numaNode: 0, iommuGroup: 20 });
  sys.addDevice({ address: A_AUDIO, behind: A_BRIDGE, class: '0x040300', device: '0x22ba', driver: 'snd_hda_intel', numaNode: 0, iommuGroup: 20 });
  sys.addDevice({ address: B, class: '0x030200', driver: 'nvidia', numaNode: 1, iommuGroup: 40 });
  sys.addDevice({ address: C, class: '0x030200', driver: 'nvidia', numaNode: 0, iommuGroup: 30 });
  sys.addDevice({ address: NIC, class: '0x020000', vendor: '0x8086', device: '0x1572', driver: 'i40e', numaNode: 0, iommuGroup: 30 });
  sys.addDevice({ address: M, class: '0x030200', device: '0x20b5', driver: 'nvidia', numaNode: 1, iommuGroup: 50 });
  sys.addDevice({ address: '0000:03:00.0', class: '0x030000', vendor: '0x1a03', device: '0x2000', driver: 'ast', iommuGroup: 3 }); // the BMC's VGA: no GPU
  sys.addMdevType(M, 'nvidia-699', 'GRID A100-7-80C', 1);
  sys.addMdevType(M, 'nvidia-700', 'GRID A100-1-10C', 7);
  sys.addMdevType(M, 'nvidia-701', 'GRID A100-3-40C', 0);
  return sys;
}

const base = (dir: string, vcpus: number, memoryMiB: number, gpus: GpuAttachment): QemuPlan => ({
  name: 'box',
  accelerator: 'kvm',
  vcpus,
  memoryMiB,
  disks: [{ id: 'root', path: `${dir}/root.qcow2`, format: 'qcow2' }],
  nics: [],
  consoleSocket: `${dir}/console.sock`,
  consoleLog: `${dir}/console.fifo`,
  errorLog: `${dir}/errors.fifo`,
  qmpSocket: `${dir}/qmp.sock`,
  statusFile: `${dir}/guest-status.log`,
  vfio: gpus.vfio,
  mdevs: gpus.mdevs,
  ...(gpus.numa ? { numa: gpus.numa } : {}),
  ...(gpus.cpuList ? { cpuList: gpus.cpuList } : {}),
  ...(gpus.deviceNuma ? { deviceNuma: gpus.deviceNuma } : {}),
});

/** The command line every VM shares, up to the disks; the cases differ before and after it. */
const head = (dir: string, vcpus: number, memoryMiB: number): string[] => [
  '/usr/bin/qemu-system-x86_64',
  '-name', 'guest=box,debug-threads=on',
  '-machine', 'q35,accel=kvm',
  '-cpu', 'host',
  '-smp', String(vcpus),
  '-m', `${memoryMiB}M`,
  '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
  '-chardev', `socket,id=console,path=${dir}/console.sock,server=on,wait=off,logfile=${dir}/console.fifo,logappend=on`,
  '-serial', 'chardev:console',
  '-chardev', `file,id=errors,path=${dir}/errors.fifo,append=on`,
  '-serial', 'chardev:errors',
  '-chardev', `file,id=status,path=${dir}/guest-status.log,append=on`,
  '-serial', 'chardev:status',
  '-qmp', `unix:${dir}/qmp.sock,server=on,wait=off`,
];
const rootDisk = (dir: string): string[] => ['-drive', `file=${dir}/root.qcow2,if=none,id=root,format=qcow2`, '-device', 'virtio-blk-pci,drive=root,bootindex=0'];

describe('GPU passthrough (fixture sysfs)', () => {
  let sys: FixtureSysfs;
  let dir: string;
  beforeEach(() => {
    sys = host();
    dir = mkdtempSync(join(tmpdir(), 'weft-vm-gpu-'));
  });
  afterEach(() => {
    sys.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes one GPU with its audio function through, pinned to its NUMA node, and gives both back', () => {
    const gpus = attachGpus(sys, dir, { whole: [A], mdevs: [] }, 4, 16384);
    expect(qemuCommand('/usr/bin/qemu-system-x86_64', base(dir, 4, 16384, gpus), '/usr/bin/taskset')).toEqual([
      '/usr/bin/taskset', '--cpu-list', '0-7,16-23',
      ...head(dir, 4, 16384),
      '-object', 'memory-backend-ram,id=ram0,size=16384M,host-nodes=0,policy=bind',
      '-numa', 'node,nodeid=0,cpus=0-3,memdev=ram0',
      ...rootDisk(dir),
      '-device', 'pcie-root-port,id=gpuport0,chassis=1',
      '-device', `vfio-pci,host=${A},id=hostdev0,bus=gpuport0,addr=0.0,multifunction=on`,
      '-device', `vfio-pci,host=${A_AUDIO},id=hostdev1,bus=gpuport0,addr=0.1`,
    ]);
    // Bound the documented way: override, unbind from the old driver, probe. The bridge stays.
    expect(sys.writes).toEqual([
      { file: `bus/pci/devices/${A}/driver_override`, value: 'vfio-pci' },
      { file: `bus/pci/devices/${A}/driver/unbind`, value: A },
      { file: 'bus/pci/drivers_probe', value: A },
      { file: `bus/pci/devices/${A_AUDIO}/driver_override`, value: 'vfio-pci' },
      { file: `bus/pci/devices/${A_AUDIO}/driver/unbind`, value: A_AUDIO },
      { file: 'bus/pci/drivers_probe', value: A_AUDIO },
    ]);
    expect(sys.text(`bus/pci/devices/${A}/driver_override`)).toBe('vfio-pci');
    expect(sys.text('bus/pci/drivers/nvidia/unbind')).toBe(A);
    expect(sys.text('bus/pci/drivers/snd_hda_intel/unbind')).toBe(A_AUDIO);
    expect(sys.linkName(`bus/pci/devices/${A}/driver`)).toBe('vfio-pci');
    expect(sys.linkName(`bus/pci/devices/${A_BRIDGE}/driver`)).toBe('pcieport');

    sys.writes.length = 0;
    releaseGpus(sys, dir);
    expect(sys.writes).toEqual([
      { file: `bus/pci/devices/${A_AUDIO}/driver_override`, value: '\n' },
      { file: `bus/pci/devices/${A_AUDIO}/driver/unbind`, value: A_AUDIO },
      { file: 'bus/pci/drivers/snd_hda_intel/bind', value: A_AUDIO },
      { file: `bus/pci/devices/${A}/driver_override`, value: '\n' },
      { file: `bus/pci/devices/${A}/driver/unbind`, value: A },
      { file: 'bus/pci/drivers/nvidia/bind', value: A },
    ]);
    expect(sys.text(`bus/pci/devices/${A}/driver_override`)).toBe('\n');
    expect(sys.text('bus/pci/drivers/vfio-pci/unbind')).toBe(A);
    expect(sys.text('bus/pci/drivers/nvidia/bind')).toBe(A);
    expect(sys.linkName(`bus/pci/devices/${A}/driver`)).toBe('nvidia');
    expect(sys.linkName(`bus/pci/devices/${A_AUDIO}/driver`)).toBe('snd_hda_intel');
    expect(existsSync(join(dir, GPU_RECORD))).toBe(false);
  });

  it('gives a guest with GPUs on two host NUMA nodes one guest node per host node, each bound to its own, the second GPU on an expander of node 1', () => {
    const gpus = attachGpus(sys, dir, { whole: [A, B], mdevs: [] }, 8, 32768);
    expect(qemuCommand('/usr/bin/qemu-system-x86_64', base(dir, 8, 32768, gpus), '/usr/bin/taskset')).toEqual([
      '/usr/bin/taskset', '--cpu-list', '0-7,16-23,8-15,24-31',
      ...head(dir, 8, 32768),
      '-object', 'memory-backend-ram,id=ram0,size=16384M,host-nodes=0,policy=bind',
      '-numa', 'node,nodeid=0,cpus=0-3,memdev=ram0',
      '-object', 'memory-backend-ram,id=ram1,size=16384M,host-nodes=1,policy=bind',
      '-numa', 'node,nodeid=1,cpus=4-7,memdev=ram1',
      ...rootDisk(dir),
      '-device', 'pcie-root-port,id=gpuport0,chassis=1',
      '-device', `vfio-pci,host=${A},id=hostdev0,bus=gpuport0,addr=0.0,multifunction=on`,
      '-device', `vfio-pci,host=${A_AUDIO},id=hostdev1,bus=gpuport0,addr=0.1`,
      '-device', 'pxb-pcie,id=numa1,bus_nr=144,numa_node=1,bus=pcie.0',
      '-device', 'pcie-root-port,id=gpuport1,chassis=2,bus=numa1',
      '-device', `vfio-pci,host=${B},id=hostdev2,bus=gpuport1,addr=0.0`,
    ]);
    expect([A, A_AUDIO, B].map((a) => sys.linkName(`bus/pci/devices/${a}/driver`))).toEqual(['vfio-pci', 'vfio-pci', 'vfio-pci']);
    expect(gpus.nodeCpus).toEqual(['0-7,16-23', '8-15,24-31']); // each guest node's vCPU threads go there once QEMU runs (vcpu-pin.ts)
  });

  it('creates a MIG-backed mediated device for a MIG profile, pinned to its GPU\'s node, and removes it after', () => {
    const gpus = attachGpus(sys, dir, { whole: [], mdevs: [{ parent: M, migProfile: '1g.10gb' }] }, 2, 8192, () => UUID);
    expect(qemuCommand('/usr/bin/qemu-system-x86_64', base(dir, 2, 8192, gpus), '/usr/bin/taskset')).toEqual([
      '/usr/bin/taskset', '--cpu-list', '8-15,24-31',
      ...head(dir, 2, 8192),
      '-object', 'memory-backend-ram,id=ram0,size=8192M,host-nodes=1,policy=bind',
      '-numa', 'node,nodeid=0,cpus=0-1,memdev=ram0',
      ...rootDisk(dir),
      '-device', 'pcie-root-port,id=mdevport0,chassis=1',
      '-device', `vfio-pci,sysfsdev=${sys.root}/bus/mdev/devices/${UUID},id=mdev0,bus=mdevport0,addr=0.0`,
    ]);
    expect(sys.writes).toEqual([{ file: `class/mdev_bus/${M}/mdev_supported_types/nvidia-700/create`, value: UUID }]);
    expect(sys.text(`class/mdev_bus/${M}/mdev_supported_types/nvidia-700/create`)).toBe(UUID);
    expect(sys.linkName(`bus/pci/devices/${M}/driver`)).toBe('nvidia'); // the parent stays with its host driver
    releaseGpus(sys, dir);
    expect(sys.writes.at(-1)).toEqual({ file: `bus/mdev/devices/${UUID}/remove`, value: '1' });
    expect(sys.exists(`bus/mdev/devices/${UUID}`)).toBe(false);
  });

  it('says why no mediated device can be made', () => {
    expect(() => attachGpus(sys, dir, { whole: [], mdevs: [{ parent: M, migProfile: '3g.40gb' }] }, 2, 8192)).toThrow(`GPU ${M} has no free instance of GRID A100-3-40C (3g.40gb)`);
    expect(() => attachGpus(sys, dir, { whole: [], mdevs: [{ parent: M, migProfile: '2g.20gb' }] }, 2, 8192)).toThrow(
      `GPU ${M} has no mediated-device type for MIG profile 2g.20gb (it offers GRID A100-7-80C, GRID A100-1-10C, GRID A100-3-40C)`,
    );
    expect(() => attachGpus(sys, dir, { whole: [], mdevs: [{ parent: B, migProfile: '1g.10gb' }] }, 2, 8192)).toThrow(`GPU ${B} offers no mediated devices`);
    expect(sys.writes).toEqual([]);
  });

  it('refuses a GPU whose IOMMU group holds a device of the host, and writes nothing', () => {
    expect(() => attachGpus(sys, dir, { whole: [B, C], mdevs: [] }, 4, 4096)).toThrow(
      `GPU ${C} cannot be passed through: IOMMU group 30 is not isolated: it also holds ${NIC} (class 0x020000, driver i40e), which would go to the guest with the GPU`,
    );
    expect(sys.writes).toEqual([]);
    expect(existsSync(join(dir, GPU_RECORD))).toBe(false);
    expect(sys.linkName(`bus/pci/devices/${B}/driver`)).toBe('nvidia');
  });

  it('refuses a GPU without an IOMMU group, or one the host does not have, saying what to do', () => {
    sys.addDevice({ address: '0000:d8:00.0', class: '0x030200', driver: 'nvidia', numaNode: 1 });
    expect(() => attachGpus(sys, dir, { whole: ['0000:d8:00.0'], mdevs: [] }, 1, 1024)).toThrow(
      'GPU 0000:d8:00.0 cannot be passed through: no IOMMU group: the IOMMU is off (boot the host with intel_iommu=on or amd_iommu=on and iommu=pt)',
    );
    expect(() => attachGpus(sys, dir, { whole: ['0000:99:00.0'], mdevs: [] }, 1, 1024)).toThrow('GPU 0000:99:00.0 cannot be passed through: no PCI device 0000:99:00.0 on this host');
    rmSync(sys.path('bus/pci/drivers/vfio-pci'), { recursive: true });
    expect(() => attachGpus(sys, dir, { whole: [B], mdevs: [] }, 1, 1024)).toThrow(`GPU ${B} cannot be passed through: the vfio-pci driver is not loaded (modprobe vfio-pci)`);
    expect(sys.writes).toEqual([]);
  });

  it('puts whole GPUs after the disks and NICs and mediated devices last, in one exact command line', () => {
    const gpus = attachGpus(sys, dir, { whole: [B], mdevs: [{ parent: M, migProfile: '1g.10gb' }] }, 16, 65536, () => UUID);
    const plan: QemuPlan = {
      ...base(dir, 16, 65536, gpus),
      disks: [
        { id: 'root', path: `${dir}/root.qcow2`, format: 'qcow2' },
        { id: 'seed', path: `${dir}/seed.iso`, format: 'raw', readOnly: true },
      ],
      nics: [{ userMode: { sshPort: 40022 }, mac: '52:54:00:aa:bb:cc' }],
    };
    expect(qemuCommand('/usr/bin/qemu-system-x86_64', plan, '/usr/bin/taskset')).toEqual([
      '/usr/bin/taskset', '--cpu-list', '8-15,24-31',
      ...head(dir, 16, 65536),
      '-object', 'memory-backend-ram,id=ram0,size=65536M,host-nodes=1,policy=bind',
      '-numa', 'node,nodeid=0,cpus=0-15,memdev=ram0',
      ...rootDisk(dir),
      '-drive', `file=${dir}/seed.iso,if=none,id=seed,format=raw,readonly=on`,
      '-device', 'virtio-blk-pci,drive=seed',
      '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22',
      '-device', 'virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:cc,romfile=',
      '-device', 'pcie-root-port,id=gpuport0,chassis=1',
      '-device', `vfio-pci,host=${B},id=hostdev0,bus=gpuport0,addr=0.0`,
      '-device', 'pcie-root-port,id=mdevport0,chassis=2',
      '-device', `vfio-pci,sysfsdev=${sys.root}/bus/mdev/devices/${UUID},id=mdev0,bus=mdevport0,addr=0.0`,
    ]);
  });

  it('restores what a record says after an agent restart, and binding again keeps the original driver', () => {
    attachGpus(sys, dir, { whole: [B], mdevs: [] }, 1, 1024);
    // A second attach (the agent died after binding and prepares the VM again) must not take vfio-pci for the original.
    attachGpus(sys, dir, { whole: [B], mdevs: [] }, 1, 1024);
    releaseGpus(sys, dir);
    expect(sys.linkName(`bus/pci/devices/${B}/driver`)).toBe('nvidia');
  });

  it('maps the inventory\'s GPU and MIG UUIDs to PCI addresses; simulated GPUs (no bus id) pass nothing through', () => {
    const inventory = [
      { index: 0, uuid: 'GPU-a', model: 'L40S', memoryBytes: 1, migEnabled: false, pciBusId: '00000000:3B:00.0' },
      { index: 1, uuid: 'GPU-m', model: 'A100-80GB', memoryBytes: 1, migEnabled: true, pciBusId: '00000000:41:00.0', migInstances: [{ profile: '1g.10gb', uuid: 'MIG-1', start: 0, size: 1 }] },
      { index: 2, uuid: 'GPU-fake', model: 'H100-80GB', memoryBytes: 1, migEnabled: false },
    ];
    expect(sysfsAddress('00000000:AF:00.0')).toBe('0000:af:00.0');
    expect(gpuRequestOf(['GPU-a', 'MIG-1', 'GPU-fake'], inventory)).toEqual({ whole: [A], mdevs: [{ parent: M, migProfile: '1g.10gb' }] });
    // Without UUIDs in the inventory, devices are indices.
    expect(gpuRequestOf(['1'], [{ index: 1, uuid: '', model: 'L40S', memoryBytes: 1, migEnabled: false, pciBusId: '00000000:3B:00.0' }])).toEqual({ whole: [A], mdevs: [] });
  });
});

describe('vm driver with GPUs (fixture sysfs)', () => {
  let sys: FixtureSysfs;
  let root: string;
  beforeEach(() => {
    sys = host();
    root = mkdtempSync(join(tmpdir(), 'weft-vm-gpu-state-'));
  });
  afterEach(() => {
    sys.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  const inventory = [
    { index: 0, uuid: 'GPU-b', model: 'H100-80GB', memoryBytes: 1, migEnabled: false, pciBusId: '00000000:AF:00.0' },
    { index: 1, uuid: 'GPU-c', model: 'H100-80GB', memoryBytes: 1, migEnabled: false, pciBusId: '00000000:5E:00.0' },
  ];
  const claim = (state: StateDir, uid: string): void =>
    void state.claim({ uid, project: 'p', allocation: uid, workload: { kind: 'VirtualMachine', name: 'v', uid: 'v' }, replica: 0, attempt: 0, createdAt: new Date().toISOString() });

  it('reports per GPU whether it can be passed through and why not, and the mediated-device types', async () => {
    const cap = await new VmDriver(new StateDir(root), { stateRoot: root, sysfs: sys }).probe();
    expect(cap.passthrough?.gpus.map((g) => [g.address, g.passthrough, g.reason ?? ''])).toEqual([
      [A, true, ''],
      [M, true, ''],
      [C, false, `IOMMU group 30 is not isolated: it also holds ${NIC} (class 0x020000, driver i40e), which would go to the guest with the GPU`],
      [B, true, ''],
    ]);
    expect(cap.passthrough?.gpus[0]).toEqual({ address: A, vendor: '0x10de', device: '0x26b9', class: '0x030200', iommuGroup: 20, numaNode: 0, driver: 'nvidia', functions: [A_AUDIO], passthrough: true });
    expect(cap.passthrough?.mdevTypes.map((t) => `${t.type} ${t.migProfile} ${t.availableInstances}`)).toEqual(['nvidia-699 7g.80gb 1', 'nvidia-700 1g.10gb 7', 'nvidia-701 3g.40gb 0']);
  });

  it('fails a VM whose GPU sits in a group that is not isolated, saying why, before fetching its image', async () => {
    const state = new StateDir(root);
    const driver = new VmDriver(state, { stateRoot: root, sysfs: sys, gpus: inventory });
    claim(state, 'vm1');
    const image = { name: 'guest', project: 'p', url: 'http://127.0.0.1:9/none', checksum: `sha256:${'0'.repeat(64)}`, format: 'raw' as const };
    await driver.start({ uid: 'vm1', command: [], vm: { image, hostname: 'box', networks: [] }, env: {}, devices: ['GPU-c'], limits: { cpuMilli: 1000, memoryBytes: 1 << 30 }, maxLogBytes: 4096 });
    let st = await driver.inspect('vm1');
    for (let i = 0; i < 100 && st.state !== 'exited'; i++) st = await new Promise((r) => setTimeout(r, 20)).then(() => driver.inspect('vm1'));
    expect(st).toMatchObject({ state: 'exited', exit: { error: `GPU ${C} cannot be passed through: IOMMU group 30 is not isolated: it also holds ${NIC} (class 0x020000, driver i40e), which would go to the guest with the GPU` } });
    expect(sys.writes).toEqual([]);
  });

  it('gives a VM\'s GPU back to its driver once QEMU has ended, also when another agent process finds it ended', async () => {
    const state = new StateDir(root);
    claim(state, 'vm2');
    const replica = state.replicaDir('vm2');
    attachGpus(sys, replica, { whole: [B], mdevs: [] }, 1, 1024); // what the first agent's driver did at boot
    mkdirSync(join(replica, 'qemu'), { recursive: true });
    writeFileSync(join(replica, 'qemu', 'exit.json'), JSON.stringify({ code: 0, signal: null, finishedAt: new Date().toISOString() }));
    expect(sys.linkName(`bus/pci/devices/${B}/driver`)).toBe('vfio-pci');
    const restarted = new VmDriver(new StateDir(root), { stateRoot: root, sysfs: sys, gpus: inventory });
    expect(await restarted.inspect('vm2')).toMatchObject({ state: 'exited', exit: { code: 0 } });
    expect(sys.linkName(`bus/pci/devices/${B}/driver`)).toBe('nvidia');
    expect(sys.text(`bus/pci/devices/${B}/driver_override`)).toBe('\n');
  });

  it('keeps in the inventory a GPU nvidia-smi no longer lists because a VM holds it on vfio-pci', () => {
    const [b, c] = inventory;
    expect(withVfioHeldGpus([b!, c!], root, sys)).toEqual([b, c]); // first start: both seen, both saved
    mkdirSync(join(root, 'r'));
    attachGpus(sys, join(root, 'r'), { whole: [B], mdevs: [] }, 1, 1024);
    expect(withVfioHeldGpus([c!], root, sys)).toEqual([b, c]); // restarted while the VM holds B
    releaseGpus(sys, join(root, 'r'));
    expect(withVfioHeldGpus([c!], root, sys)).toEqual([c]); // B is back with nvidia yet not listed: gone
  });
});
