// Mediated devices (Documentation/driver-api/vfio-mediated-device.rst): a parent device that
// offers them (an NVIDIA GPU under the vGPU host driver, one of its MIG-backed types included)
// lists its types under /sys/class/mdev_bus/<parent>/mdev_supported_types/<type>/ with `name`,
// `available_instances`, `device_api` and `create`. Writing a UUID to `create` makes a device at
// /sys/bus/mdev/devices/<uuid>, which QEMU takes as vfio-pci,sysfsdev=…; writing 1 to its
// `remove` ends it.
import type { Sysfs } from './sysfs.js';

export interface MdevType {
  /** The parent device's address (0000:41:00.0). */
  parent: string;
  /** The type's directory name (nvidia-700). */
  type: string;
  name: string;
  availableInstances: number;
  deviceApi?: string;
  /** The MIG profile a MIG-backed vGPU type stands for ("A100-1-5C" → 1g.5gb). */
  migProfile?: string;
}

/** What a VM's MIG device needs: a type on its GPU that stands for the profile. */
export interface MdevRequest {
  parent: string;
  migProfile: string;
}

/** A created mdev, recorded in the replica's folder so it is removed after the VM, also by a restarted agent. */
export interface MdevInstance {
  parent: string;
  type: string;
  uuid: string;
}

/** NVIDIA names MIG-backed vGPU types <GPU>-<compute slices>-<GB>C: "GRID A100-3-20C" is 3g.20gb. */
export function migProfileOfType(name: string): string | undefined {
  const m = /-(\d)-(\d+)C$/.exec(name.trim());
  return m ? `${m[1]}g.${m[2]}gb` : undefined;
}

export function mdevTypes(sys: Sysfs): MdevType[] {
  const out: MdevType[] = [];
  for (const parent of sys.list('class/mdev_bus')) {
    const base = `class/mdev_bus/${parent}/mdev_supported_types`;
    for (const type of sys.list(base)) {
      const name = sys.read(`${base}/${type}/name`) ?? type;
      const api = sys.read(`${base}/${type}/device_api`);
      const profile = migProfileOfType(name);
      out.push({ parent, type, name, availableInstances: Number(sys.read(`${base}/${type}/available_instances`) ?? 0), ...(api ? { deviceApi: api } : {}), ...(profile ? { migProfile: profile } : {}) });
    }
  }
  return out;
}

/** The type to create for a request, or why there is none. */
export function chooseMdevType(types: MdevType[], req: MdevRequest): MdevType | string {
  const onParent = types.filter((t) => t.parent === req.parent);
  if (onParent.length === 0) return `GPU ${req.parent} offers no mediated devices (no vGPU host driver, or SR-IOV not enabled)`;
  const matching = onParent.filter((t) => t.migProfile === req.migProfile);
  if (matching.length === 0) return `GPU ${req.parent} has no mediated-device type for MIG profile ${req.migProfile} (it offers ${onParent.map((t) => t.name).join(', ')})`;
  return matching.find((t) => t.availableInstances > 0) ?? `GPU ${req.parent} has no free instance of ${matching[0]!.name} (${req.migProfile})`;
}

export const mdevPath = (sys: Sysfs, uuid: string): string => sys.path(`bus/mdev/devices/${uuid}`);

export function createMdev(sys: Sysfs, inst: MdevInstance): void {
  if (sys.exists(`bus/mdev/devices/${inst.uuid}`)) return;
  sys.write(`class/mdev_bus/${inst.parent}/mdev_supported_types/${inst.type}/create`, inst.uuid);
  if (!sys.exists(`bus/mdev/devices/${inst.uuid}`)) throw new Error(`mediated device ${inst.uuid} (${inst.type} on ${inst.parent}) did not appear after create`);
}

export function removeMdev(sys: Sysfs, uuid: string): void {
  if (sys.exists(`bus/mdev/devices/${uuid}`)) sys.write(`bus/mdev/devices/${uuid}/remove`, '1');
}
