// Fixture sysfs trees for the passthrough tests, written as real files, directories and
// symlinks in the kernel's documented layout (Documentation/ABI/testing/sysfs-bus-pci,
// Documentation/driver-api/vfio.rst, vfio-mediated-device.rst):
//
//   devices/pci0000:00/<bridge>/<device>/{vendor,device,class,numa_node,driver_override}
//   devices/pci0000:00/…/<device>/driver       → bus/pci/drivers/<name>
//   devices/pci0000:00/…/<device>/iommu_group  → kernel/iommu_groups/<n>
//   bus/pci/devices/<device>                    → devices/pci0000:00/…/<device>
//   bus/pci/drivers/<name>/{bind,unbind}, bus/pci/drivers_probe
//   kernel/iommu_groups/<n>/devices/<device>    → the device
//   devices/system/node/node<n>/cpulist
//   class/mdev_bus/<parent>                     → the parent device, with mdev_supported_types/<type>/
//   bus/mdev/devices/<uuid>                     → the created mdev under its parent
//
// Writes go to the files, as on a host; the tree then changes the way the kernel documents it
// (unbind drops the driver link, drivers_probe binds the driver_override, create makes the
// mdev, remove ends it), and every write is logged in order.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Sysfs } from './sysfs.js';

export interface FixtureDevice {
  address: string;
  /** The upstream bridge's address, when the device sits behind one. */
  behind?: string;
  vendor?: string;
  device?: string;
  class: string;
  numaNode?: number;
  driver?: string;
  iommuGroup?: number;
}

export class FixtureSysfs extends Sysfs {
  readonly writes: { file: string; value: string }[] = [];
  private readonly dirs = new Map<string, string>();

  constructor() {
    super(mkdtempSync(join(tmpdir(), 'weft-sysfs-')));
    for (const d of ['bus/pci/devices', 'bus/pci/drivers', 'bus/mdev/devices', 'class/mdev_bus', 'kernel/iommu_groups', 'devices/system/node']) mkdirSync(this.path(d), { recursive: true });
    writeFileSync(this.path('bus/pci/drivers_probe'), '');
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Text of a fixture file, as written. */
  text(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  driverDir(name: string): void {
    mkdirSync(this.path(`bus/pci/drivers/${name}`), { recursive: true });
    for (const f of ['bind', 'unbind']) writeFileSync(this.path(`bus/pci/drivers/${name}/${f}`), '', { flag: 'a' });
  }

  numaNode(n: number, cpulist: string): void {
    mkdirSync(this.path(`devices/system/node/node${n}`), { recursive: true });
    writeFileSync(this.path(`devices/system/node/node${n}/cpulist`), `${cpulist}\n`);
  }

  addDevice(d: FixtureDevice): void {
    const dir = d.behind ? join(this.dirs.get(d.behind)!, d.address) : `devices/pci0000:00/${d.address}`;
    this.dirs.set(d.address, dir);
    mkdirSync(this.path(dir), { recursive: true });
    const attrs = { vendor: d.vendor ?? '0x10de', device: d.device ?? '0x2330', class: d.class, numa_node: String(d.numaNode ?? -1), driver_override: '(null)' };
    for (const [k, v] of Object.entries(attrs)) writeFileSync(this.path(`${dir}/${k}`), `${v}\n`);
    this.link(`bus/pci/devices/${d.address}`, dir);
    if (d.driver) this.bindLink(d.address, d.driver);
    if (d.iommuGroup !== undefined) {
      mkdirSync(this.path(`kernel/iommu_groups/${d.iommuGroup}/devices`), { recursive: true });
      this.link(`${dir}/iommu_group`, `kernel/iommu_groups/${d.iommuGroup}`);
      this.link(`kernel/iommu_groups/${d.iommuGroup}/devices/${d.address}`, dir);
    }
  }

  addMdevType(parent: string, type: string, name: string, available: number): void {
    const dir = this.dirs.get(parent)!;
    const base = `${dir}/mdev_supported_types/${type}`;
    mkdirSync(this.path(`${base}/devices`), { recursive: true });
    writeFileSync(this.path(`${base}/name`), `${name}\n`);
    writeFileSync(this.path(`${base}/available_instances`), `${available}\n`);
    writeFileSync(this.path(`${base}/device_api`), 'vfio-pci\n');
    writeFileSync(this.path(`${base}/create`), '');
    try {
      this.link(`class/mdev_bus/${parent}`, dir);
    } catch {
      // the parent is already listed
    }
  }

  override write(rel: string, value: string): void {
    super.write(rel, value);
    this.writes.push({ file: rel, value });
    let m: RegExpExecArray | null;
    if ((m = /^bus\/pci\/devices\/([^/]+)\/driver\/unbind$/.exec(rel))) unlinkSync(this.path(`bus/pci/devices/${m[1]}/driver`));
    else if (rel === 'bus/pci/drivers_probe') {
      const override = this.read(`bus/pci/devices/${value}/driver_override`);
      if (override && override !== '(null)' && this.exists(`bus/pci/drivers/${override}`)) this.bindLink(value, override);
    } else if ((m = /^bus\/pci\/drivers\/([^/]+)\/bind$/.exec(rel))) this.bindLink(value, m[1]!);
    else if ((m = /^class\/mdev_bus\/([^/]+)\/mdev_supported_types\/([^/]+)\/create$/.exec(rel))) {
      const parentDir = this.dirs.get(m[1]!)!;
      mkdirSync(this.path(`${parentDir}/${value}`));
      writeFileSync(this.path(`${parentDir}/${value}/remove`), '');
      this.link(`bus/mdev/devices/${value}`, `${parentDir}/${value}`);
      const avail = `class/mdev_bus/${m[1]}/mdev_supported_types/${m[2]}/available_instances`;
      writeFileSync(this.path(avail), `${Number(this.read(avail)) - 1}\n`);
    } else if ((m = /^bus\/mdev\/devices\/([^/]+)\/remove$/.exec(rel))) {
      unlinkSync(this.path(`bus/mdev/devices/${m[1]}`));
    }
  }

  private bindLink(address: string, driver: string): void {
    this.driverDir(driver);
    rmSync(this.path(`${this.dirs.get(address)}/driver`), { force: true });
    this.link(`${this.dirs.get(address)}/driver`, `bus/pci/drivers/${driver}`);
  }

  /** A relative symlink, as sysfs makes them. */
  private link(at: string, target: string): void {
    symlinkSync(relative(dirname(this.path(at)), this.path(target)), this.path(at));
  }
}
