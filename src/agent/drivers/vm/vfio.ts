// Binding a GPU (and its own functions) to vfio-pci for a VM and back to the driver it had, the
// way the kernel documents it: driver_override names the driver that may take the device, the
// current driver lets go (unbind), and drivers_probe lets vfio-pci claim it. Going back clears
// the override, unbinds from vfio-pci and binds the original driver again by name.
import { VFIO_DRIVER } from './pci.js';
import type { Sysfs } from './sysfs.js';

/** What was bound, kept in the replica's folder before the first write so a restarted agent can undo it. */
export interface VfioBinding {
  address: string;
  /** The driver the device had before; absent when it had none. */
  originalDriver?: string;
}

const dev = (address: string, attr: string): string => `bus/pci/devices/${address}/${attr}`;

export function currentDriver(sys: Sysfs, address: string): string | undefined {
  return sys.linkName(`bus/pci/devices/${address}/driver`);
}

/** The bindings to make for these devices, keeping what an earlier record says they had. */
export function plannedBindings(sys: Sysfs, addresses: string[], earlier: VfioBinding[] = []): VfioBinding[] {
  return addresses.map((address) => {
    const known = earlier.find((b) => b.address === address);
    if (known) return known;
    const driver = currentDriver(sys, address);
    return driver && driver !== VFIO_DRIVER ? { address, originalDriver: driver } : { address };
  });
}

/** Binds one device to vfio-pci; nothing to do when it already is. */
export function bindVfio(sys: Sysfs, address: string): void {
  const driver = currentDriver(sys, address);
  if (driver === VFIO_DRIVER) return;
  sys.write(dev(address, 'driver_override'), VFIO_DRIVER);
  if (driver) sys.write(dev(address, 'driver/unbind'), address);
  sys.write('bus/pci/drivers_probe', address);
  const now = currentDriver(sys, address);
  if (now !== VFIO_DRIVER) throw new Error(`${address} did not bind to ${VFIO_DRIVER} (its driver is ${now ?? 'none'}); is the vfio-pci module loaded?`);
}

/** Gives one device back to its original driver (or to none, as it was). */
export function restoreDriver(sys: Sysfs, binding: VfioBinding): void {
  const { address, originalDriver } = binding;
  if (!sys.exists(`bus/pci/devices/${address}`)) return;
  // An empty line clears the override, so the device may match its own driver again.
  sys.write(dev(address, 'driver_override'), '\n');
  const driver = currentDriver(sys, address);
  if (driver === originalDriver) return;
  if (driver) sys.write(dev(address, 'driver/unbind'), address);
  if (originalDriver) sys.write(`bus/pci/drivers/${originalDriver}/bind`, address);
}
