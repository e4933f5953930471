// Where Debian's QEMU and qemu-img are, and the QEMU version (for the Node's status).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const QEMU = ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'];
const QEMU_IMG = ['/usr/bin/qemu-img', '/usr/local/bin/qemu-img'];

export function findQemu(): string | undefined {
  return QEMU.find((p) => existsSync(p));
}

export function findQemuImg(): string | undefined {
  return QEMU_IMG.find((p) => existsSync(p));
}

/** "7.2.22" from "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)". */
export function qemuVersion(qemu: string): string | undefined {
  try {
    return /version ([0-9][^\s]*)/.exec(execFileSync(qemu, ['--version'], { timeout: 10_000 }).toString())?.[1];
  } catch {
    return undefined;
  }
}
