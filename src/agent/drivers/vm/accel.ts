// Which accelerator QEMU gets on this host. /dev/kvm being there is not enough: under nested
// virtualisation a KVM guest can hang at boot. So the probe boots a test guest (a 512-byte boot
// sector that prints a marker on the serial port) with KVM and waits a bounded time for the
// marker; without it, VMs run on TCG (emulation) and the Node says why. The answer is kept per
// host boot in the temporary directory, so only the first agent after a reboot pays for it.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Accelerator } from './qemu-args.js';

export const MARKER = 'WEFT-ACCEL-OK';
export const PROBE_TIMEOUT_MS = 8000;

export interface AccelResult {
  accelerator: Accelerator;
  /** Why not KVM, when it is not (for the Node's status). */
  note?: string;
}

/**
 * A boot sector that does what a kernel does first and a broken nested KVM trips on: enter 32-bit
 * protected mode (a flat GDT), return through IRET, then print MARKER on COM1 (0x3f8) and halt.
 * Hand-assembled; the offsets are in the comments.
 */
export function bootSector(): Buffer {
  const at = (off: number): number[] => [(0x7c00 + off) & 0xff, (0x7c00 + off) >> 8];
  const code = [
    0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x7c, // 0: xor ax,ax; mov ds,ax; mov ss,ax; mov sp,0x7c00
    0xfa, 0x0f, 0x01, 0x16, ...at(101), // 9: cli; lgdt [gdtr]
    0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0, // 15: mov eax,cr0; or al,1; mov cr0,eax
    0x66, 0xea, ...at(31), 0x00, 0x00, 0x08, 0x00, // 23: jmp dword 0x08:pm
    0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8, 0x8e, 0xd0, 0x8e, 0xc0, // 31 pm: mov ax,0x10; mov ds/ss/es,ax
    0xbc, 0x00, 0x7c, 0x00, 0x00, // 41: mov esp,0x7c00
    0x9c, 0x6a, 0x08, 0x68, ...at(55), 0x00, 0x00, 0xcf, // 46: pushfd; push 8; push after; iret
    0xba, 0xf8, 0x03, 0x00, 0x00, 0xbe, ...at(107), 0x00, 0x00, // 55 after: mov edx,0x3f8; mov esi,msg
    0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, // 65: lodsb; test al,al; jz done; out dx,al; jmp 65
    0xfa, 0xf4, 0xeb, 0xfd, // 73 done: cli; hlt; jmp hlt
    ...[0, 0, 0, 0, 0, 0, 0, 0], // 77: gdt: null
    ...[0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0], // 85: flat 32-bit code
    ...[0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0], // 93: flat data
    0x17, 0x00, ...at(77), 0x00, 0x00, // 101: gdtr: limit 23, base gdt
  ];
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  Buffer.from(`${MARKER}\r\n\0`, 'latin1').copy(sector, code.length); // 107: msg
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** Boots the boot sector under `accel`; true when the marker came out within timeoutMs. */
export async function bootsWith(qemu: string, accel: Accelerator, timeoutMs: number): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-accel-'));
  const disk = join(dir, 'boot.img');
  writeFileSync(disk, bootSector());
  try {
    return await new Promise<boolean>((resolve) => {
      const child = spawn(qemu, ['-machine', `pc,accel=${accel}`, '-nodefaults', '-no-user-config', '-display', 'none', '-m', '32', '-serial', 'stdio', '-drive', `file=${disk},format=raw,if=ide,index=0`], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      let done = false;
      const finish = (ok: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        child.kill('SIGKILL'); // a hung KVM guest ignores nothing else reliably
        resolve(ok);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString('latin1');
        if (out.includes(MARKER)) finish(true);
      });
      child.on('error', () => finish(false));
      child.on('exit', () => finish(out.includes(MARKER)));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function kvmUsable(): string | undefined {
  if (!existsSync('/dev/kvm')) return 'no /dev/kvm (no hardware virtualisation here, or the kvm module is not loaded)';
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return undefined;
  } catch {
    return '/dev/kvm is not accessible to the agent';
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** KVM if a test guest boots with it within the bound, else TCG with the reason. */
export async function probeAccelerator(qemu: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<AccelResult> {
  const cacheFile = join(tmpdir(), `weft-accel-${bootId()}-${timeoutMs}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as AccelResult;
  } catch {
    /* not probed since this boot */
  }
  const why = kvmUsable();
  let result: AccelResult;
  if (why) result = { accelerator: 'tcg', note: `${why}; using TCG` };
  else if (await bootsWith(qemu, 'kvm', timeoutMs)) result = { accelerator: 'kvm' };
  else result = { accelerator: 'tcg', note: `KVM present but a test guest did not boot within ${Math.round(timeoutMs / 1000)} s; using TCG` };
  if (result.accelerator === 'tcg' && !(await bootsWith(qemu, 'tcg', Math.max(timeoutMs, 15_000)))) {
    throw new Error('QEMU could not boot a test guest even with TCG');
  }
  try {
    writeFileSync(cacheFile, JSON.stringify(result));
  } catch {
    /* read-only temporary directory: probe again next time */
  }
  return result;
}
