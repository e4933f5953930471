// VFIO and mediated devices against fixture /sys trees written from the kernel's documented
// layout (no GPU host here), and the exact QEMU command line they lead to.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { qemuCommand, type QemuPlan } from './qemu-args.js';
import { bindVfio, createMdev, mdevTypes, normalizePciAddress, passthroughFor, releaseVfio } from './vfio.js';

interface Fn {
  address: string;
  classCode: string;
  group?: string;
  driver?: string;
  numa?: number;
  mdev?: Record<string, { name: string; available: number }>;
}

let sys: string;
beforeEach(() => {
  sys = mkdtempSync(join(tmpdir(), 'weft-sysfs-'));
  mkdirSync(join(sys, 'bus/pci/devices'), { recursive: true });
  writeFileSync(join(sys, 'bus/pci/drivers_probe'), '');
});
afterEach(() => rmSync(sys, { recursive: true, force: true }));

/** /sys/bus/pci/devices/<addr>/{class,vendor,numa_node,iommu_group→,driver→,mdev_supported_types/}, /sys/kernel/iommu_groups/<g>/devices/<addr>→ */
function fixture(fns: Fn[]): void {
  for (const f of fns) {
    const dir = join(sys, 'bus/pci/devices', f.address);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'class'), `${f.classCode}\n`);
    writeFileSync(join(dir, 'vendor'), '0x10de\n');
    writeFileSync(join(dir, 'numa_node'), `${f.numa ?? -1}\n`);
    writeFileSync(join(dir, 'driver_override'), '(null)\n');
    if (f.driver) {
      const drv = join(sys, 'bus/pci/drivers', f.driver);
      mkdirSync(drv, { recursive: true });
      writeFileSync(join(drv, 'unbind'), '');
      symlinkSync(`../../../../bus/pci/drivers/${f.driver}`, join(dir, 'driver'));
    }
    if (f.group) {
      const g = join(sys, 'kernel/iommu_groups', f.group, 'devices');
      mkdirSync(g, { recursive: true });
      symlinkSync(`../../../../kernel/iommu_groups/${f.group}`, join(dir, 'iommu_group'));
      symlinkSync(`../../../../bus/pci/devices/${f.address}`, join(g, f.address));
    }
    for (const [id, t] of Object.entries(f.mdev ?? {})) {
      const td = join(dir, 'mdev_supported_types', id);
      mkdirSync(td, { recursive: true });
      writeFileSync(join(td, 'name'), `${t.name}\n`);
      writeFileSync(join(td, 'available_instances'), `${t.available}\n`);
      writeFileSync(join(td, 'device_api'), 'vfio-pci\n');
      writeFileSync(join(td, 'create'), '');
    }
  }
}

const H100 = { address: '0000:3b:00.0', classCode: '0x030200', group: '42', driver: 'nvidia', numa: 1 };

describe('GPU passthrough from sysfs', () => {
  it('takes an isolated GPU with its own functions, behind a bridge, on its NUMA node', () => {
    fixture([H100, { address: '0000:3b:00.1', classCode: '0x040300', group: '42', driver: 'snd_hda_intel' }, { address: '0000:3a:00.0', classCode: '0x060400', group: '42', driver: 'pcieport' }]);
    expect(passthroughFor(sys, '00000000:3B:00.0')).toEqual({ functions: ['0000:3b:00.0', '0000:3b:00.1'], numaNode: 1 });
  });

  it('refuses a GPU whose IOMMU group holds another device, naming it', () => {
    fixture([H100, { address: '0000:3c:00.0', classCode: '0x020000', group: '42', driver: 'mlx5_core' }]);
    expect(() => passthroughFor(sys, '0000:3b:00.0')).toThrow('GPU 0000:3b:00.0 is not isolated: its IOMMU group 42 also holds 0000:3c:00.0 (class 0x020000, driver mlx5_core)');
  });

  it('refuses a GPU without an IOMMU group, saying how to get one', () => {
    fixture([{ ...H100, group: undefined }]);
    expect(() => passthroughFor(sys, '0000:3b:00.0')).toThrow(/has no IOMMU group: enable the IOMMU \(intel_iommu=on or amd_iommu=on\)/);
    expect(() => passthroughFor(sys, '0000:99:00.0')).toThrow('PCI device 0000:99:00.0 not found on this host');
    expect(() => normalizePciAddress('GPU-1234')).toThrow(/not a PCI address/);
  });

  it('binds to vfio-pci through driver_override and gives the device back', () => {
    fixture([H100]);
    const dir = join(sys, 'bus/pci/devices', H100.address);
    expect(bindVfio(sys, H100.address)).toBe('nvidia');
    expect(readFileSync(join(dir, 'driver_override'), 'utf8')).toBe('vfio-pci');
    expect(readFileSync(join(sys, 'bus/pci/drivers/nvidia/unbind'), 'utf8')).toBe(H100.address);
    expect(readFileSync(join(sys, 'bus/pci/drivers_probe'), 'utf8')).toBe(H100.address);
    // As the kernel would after the probe: vfio-pci holds it.
    rmSync(join(dir, 'driver'));
    mkdirSync(join(sys, 'bus/pci/drivers/vfio-pci'), { recursive: true });
    writeFileSync(join(sys, 'bus/pci/drivers/vfio-pci/unbind'), '');
    symlinkSync('../../../../bus/pci/drivers/vfio-pci', join(dir, 'driver'));
    releaseVfio(sys, H100.address);
    expect(readFileSync(join(dir, 'driver_override'), 'utf8')).toBe('\n');
    expect(readFileSync(join(sys, 'bus/pci/drivers/vfio-pci/unbind'), 'utf8')).toBe(H100.address);
  });

  it('lists mediated device types and creates one by name, refusing a type that is used up', () => {
    fixture([{ ...H100, mdev: { 'nvidia-700': { name: 'GRID H100-1-10C', available: 7 }, 'nvidia-701': { name: 'GRID H100-7-80C', available: 0 } } }]);
    expect(mdevTypes(sys, H100.address)).toEqual([
      { id: 'nvidia-700', name: 'GRID H100-1-10C', available: 7 },
      { id: 'nvidia-701', name: 'GRID H100-7-80C', available: 0 },
    ]);
    const uuid = '9f4d5c0e-0b3a-4e55-9d8c-2f1e6a7b8c9d';
    expect(createMdev(sys, H100.address, 'GRID H100-1-10C', uuid)).toBe(join(sys, 'bus/mdev/devices', uuid));
    expect(readFileSync(join(sys, 'bus/pci/devices', H100.address, 'mdev_supported_types/nvidia-700/create'), 'utf8')).toBe(uuid);
    expect(() => createMdev(sys, H100.address, 'nvidia-701', uuid)).toThrow('GPU 0000:3b:00.0 has no free "GRID H100-7-80C" instance left');
    expect(() => createMdev(sys, H100.address, 'GRID A100', uuid)).toThrow(/offers no mediated device type "GRID A100"/);
  });

  it('produces exactly this QEMU command line for two passed-through functions and a vGPU, pinned to NUMA node 1', () => {
    fixture([H100, { address: '0000:3b:00.1', classCode: '0x040300', group: '42', driver: 'snd_hda_intel' }]);
    const pass = passthroughFor(sys, H100.address);
    const plan: QemuPlan = {
      name: 'train',
      accelerator: 'kvm',
      vcpus: 16,
      memoryMiB: 65536,
      disks: [
        { id: 'root', path: '/var/lib/weft/r/root.qcow2', format: 'qcow2' },
        { id: 'seed', path: '/var/lib/weft/r/seed.iso', format: 'raw', readOnly: true },
      ],
      nics: [{ userMode: { sshPort: 40022 }, mac: '52:54:00:aa:bb:cc' }],
      vfio: pass.functions,
      mdevs: ['/sys/bus/mdev/devices/9f4d5c0e-0b3a-4e55-9d8c-2f1e6a7b8c9d'],
      numaNode: pass.numaNode!,
      consoleSocket: '/var/lib/weft/r/console.sock',
      consoleLog: '/var/lib/weft/r/console.fifo',
      errorLog: '/var/lib/weft/r/errors.fifo',
      qmpSocket: '/var/lib/weft/r/qmp.sock',
      statusFile: '/var/lib/weft/r/guest-status.log',
    };
    expect(qemuCommand('/usr/bin/qemu-system-x86_64', plan, '/usr/bin/numactl')).toEqual([
      '/usr/bin/numactl', '--cpunodebind=1', '--membind=1',
      '/usr/bin/qemu-system-x86_64',
      '-name', 'guest=train,debug-threads=on',
      '-machine', 'q35,accel=kvm',
      '-cpu', 'host',
      '-smp', '16',
      '-m', '65536M',
      '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
      '-chardev', 'socket,id=console,path=/var/lib/weft/r/console.sock,server=on,wait=off,logfile=/var/lib/weft/r/console.fifo,logappend=on',
      '-serial', 'chardev:console',
      '-chardev', 'file,id=errors,path=/var/lib/weft/r/errors.fifo,append=on',
      '-serial', 'chardev:errors',
      '-chardev', 'file,id=status,path=/var/lib/weft/r/guest-status.log,append=on',
      '-serial', 'chardev:status',
      '-qmp', 'unix:/var/lib/weft/r/qmp.sock,server=on,wait=off',
      '-object', 'memory-backend-ram,id=ram0,size=65536M,host-nodes=1,policy=bind',
      '-numa', 'node,nodeid=0,memdev=ram0',
      '-drive', 'file=/var/lib/weft/r/root.qcow2,if=none,id=root,format=qcow2',
      '-device', 'virtio-blk-pci,drive=root,bootindex=0',
      '-drive', 'file=/var/lib/weft/r/seed.iso,if=none,id=seed,format=raw,readonly=on',
      '-device', 'virtio-blk-pci,drive=seed',
      '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22',
      '-device', 'virtio-net-pci,netdev=net0,mac=52:54:00:aa:bb:cc,romfile=',
      '-device', 'vfio-pci,host=0000:3b:00.0,id=gpu0',
      '-device', 'vfio-pci,host=0000:3b:00.1,id=gpu1',
      '-device', 'vfio-pci,sysfsdev=/sys/bus/mdev/devices/9f4d5c0e-0b3a-4e55-9d8c-2f1e6a7b8c9d,id=mdev0',
    ]);
  });
});
