// Reading and writing the kernel's sysfs under a configurable root: `/sys` on a host, a fixture
// tree written from the kernel's documented layout in tests (there is no GPU host to test on).
// Paths given to it are relative to the root ("bus/pci/devices/0000:3b:00.0/vendor").
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export const SYSFS_ROOT = '/sys';

export class Sysfs {
  constructor(readonly root: string = SYSFS_ROOT) {}

  path(rel: string): string {
    return join(this.root, rel);
  }

  exists(rel: string): boolean {
    return existsSync(this.path(rel));
  }

  /** An attribute's value without its trailing newline; undefined when it cannot be read. */
  read(rel: string): string | undefined {
    try {
      return readFileSync(this.path(rel), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  /** The last component of a symlink's target (a device's `driver`, `iommu_group`). */
  linkName(rel: string): string | undefined {
    try {
      return basename(readlinkSync(this.path(rel)));
    } catch {
      return undefined;
    }
  }

  list(rel: string): string[] {
    try {
      return readdirSync(this.path(rel)).sort();
    } catch {
      return [];
    }
  }

  /** One write to an attribute, as `echo value > file` does; the kernel's refusal names the file. */
  write(rel: string, value: string): void {
    try {
      writeFileSync(this.path(rel), value);
    } catch (err) {
      throw new Error(`writing "${value.trim()}" to ${this.path(rel)} failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
