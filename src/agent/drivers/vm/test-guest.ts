// For tests and benchmarks that boot real VMs: a small bootable disk built on this host from
// Debian packages only — the kernel of linux-image-cloud-amd64 (or the newest in /boot that has
// its modules), busybox-static as the whole userland, ISOLINUX to boot it, genisoimage and
// isohybrid to make a raw disk SeaBIOS boots — and a loopback HTTP server that serves it as an
// Image. Built once per host and guest version (a folder in the temporary directory, made under
// a new name and renamed into place), so every test of a run reuses it. Nothing here is used by
// the agent itself.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUEST_INIT, UDHCPC_SCRIPT } from './guest-scripts.js';
import { findQemu } from './qemu-binary.js';

const BUSYBOX = '/bin/busybox';
const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
/** Modules the guest loads, in dependency order (virtio disks and NIC, the seed's iso9660, the power button). */
const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'virtio_blk', 'failover', 'net_failover', 'virtio_net', 'cdrom', 'isofs', 'button', 'evdev'];
/** Kernel output goes to the third serial port, so the first two carry only what the guest prints. */
const KERNEL_CMDLINE = 'console=ttyS2 quiet panic=-1';

export interface TestGuest {
  /** The raw disk image. */
  disk: string;
  checksum: string;
  sizeBytes: number;
  kernel: string;
}

/** Why VM tests cannot run here (a Debian package to install), or undefined when they can. */
export function testGuestMissing(): string | undefined {
  if (!findQemu()) return 'QEMU is not installed (apt-get install qemu-system-x86 qemu-utils)';
  const need: [string, string][] = [
    [BUSYBOX, 'busybox-static'],
    [ISOLINUX, 'isolinux'],
    [LDLINUX, 'syslinux-common'],
    ['/usr/bin/isohybrid', 'syslinux-utils'],
    ['/usr/bin/genisoimage', 'genisoimage'],
    ['/usr/bin/cpio', 'cpio'],
    ['/usr/bin/qemu-img', 'qemu-utils'],
  ];
  const missing = need.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg);
  if (!guestKernel()) missing.push('linux-image-cloud-amd64');
  return missing.length > 0 ? `the test guest needs Debian packages: apt-get install ${missing.join(' ')}` : undefined;
}

/** The newest /boot/vmlinuz-* whose modules are installed. */
function guestKernel(): { version: string; vmlinuz: string; modules: string } | undefined {
  const versions = existsSync('/boot') ? readdirSync('/boot').filter((f) => f.startsWith('vmlinuz-')).map((f) => f.slice('vmlinuz-'.length)) : [];
  const usable = versions.filter((v) => existsSync(join('/lib/modules', v, 'modules.dep'))).sort();
  const cloud = usable.filter((v) => v.endsWith('-cloud-amd64'));
  const version = cloud.at(-1) ?? usable.at(-1);
  return version ? { version, vmlinuz: join('/boot', `vmlinuz-${version}`), modules: join('/lib/modules', version) } : undefined;
}

function findModule(root: string, name: string): string {
  const dep = readFileSync(join(root, 'modules.dep'), 'utf8');
  const line = dep.split('\n').find((l) => l.split(':')[0]!.endsWith(`/${name}.ko`) || l.split(':')[0]!.endsWith(`/${name}.ko.xz`));
  if (!line) throw new Error(`kernel module ${name} not found in ${root}`);
  const rel = line.split(':')[0]!;
  if (rel.endsWith('.xz')) throw new Error(`kernel module ${name} is compressed; the test guest loads plain .ko files`);
  return join(root, rel);
}

/** Builds the test guest's disk once (per kernel and guest version) and returns it. */
export function buildTestGuest(): TestGuest {
  const why = testGuestMissing();
  if (why) throw new Error(why);
  const kernel = guestKernel()!;
  const version = createHash('sha256').update(`${GUEST_INIT}\n${UDHCPC_SCRIPT}\n${KERNEL_CMDLINE}\n${MODULES.join(',')}\n${kernel.version}\n${statSync(BUSYBOX).size}`).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `weft-test-guest-${version}`);
  const disk = join(dir, 'disk.raw');
  if (!existsSync(disk)) {
    const work = mkdtempSync(join(tmpdir(), 'weft-test-guest-build-'));
    try {
      const root = join(work, 'initramfs');
      const iso = join(work, 'iso', 'isolinux');
      for (const d of [join(root, 'bin'), join(root, 'modules'), iso]) mkdirSync(d, { recursive: true });
      copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
      for (const m of MODULES) copyFileSync(findModule(kernel.modules, m), join(root, 'modules', `${m}.ko`));
      writeFileSync(join(root, 'modules.order'), `${MODULES.join('\n')}\n`);
      writeFileSync(join(root, 'init'), GUEST_INIT, { mode: 0o755 });
      writeFileSync(join(root, 'udhcpc.script'), UDHCPC_SCRIPT, { mode: 0o755 });
      const files = execFileSync('find', ['.'], { cwd: root }).toString();
      const cpio = execFileSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: root, input: files, maxBuffer: 256 << 20 });
      writeFileSync(join(iso, 'initrd.gz'), execFileSync('gzip', ['-1'], { input: cpio, maxBuffer: 256 << 20 }));
      copyFileSync(kernel.vmlinuz, join(iso, 'vmlinuz'));
      copyFileSync(ISOLINUX, join(iso, 'isolinux.bin'));
      copyFileSync(LDLINUX, join(iso, 'ldlinux.c32'));
      writeFileSync(join(iso, 'isolinux.cfg'), `DEFAULT weft\nTIMEOUT 0\nLABEL weft\n  KERNEL vmlinuz\n  APPEND initrd=initrd.gz ${KERNEL_CMDLINE}\n`);
      const out = join(work, 'disk.raw');
      execFileSync('genisoimage', ['-quiet', '-o', out, '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-J', '-R', join(work, 'iso')]);
      execFileSync('isohybrid', [out]); // a hard-disk MBR, so it boots as a raw disk, not only as a CD
      mkdirSync(join(work, 'done'));
      renameSync(out, join(work, 'done', 'disk.raw'));
      try {
        renameSync(join(work, 'done'), dir);
      } catch {
        if (!existsSync(disk)) throw new Error(`could not place the test guest at ${dir}`);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const checksum = `sha256:${createHash('sha256').update(readFileSync(disk)).digest('hex')}`;
  return { disk, checksum, sizeBytes: statSync(disk).size, kernel: kernel.version };
}

export interface ImageServer {
  url(name: string): string;
  /** Requests served, by path (what a cache must have spared). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** Serves files on 127.0.0.1 by name (GET /<name>); anything else is a 404. */
export async function serveImages(files: Record<string, string>): Promise<ImageServer> {
  const hits = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    hits.set(name, (hits.get(name) ?? 0) + 1);
    const path = files[name];
    if (req.method !== 'GET' || !path) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(path).size });
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    hits,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
