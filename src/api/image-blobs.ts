// Uploaded Image disks, as files in the server's image directory (--image-dir; beside the data
// directory by default): <dir>/<project>/sha256-<hex>.<format>, named by content so a file is never
// changed once written. A body streams to a temporary file in <dir> while it is hashed, counted and
// its first bytes looked at; only a complete, checked file is renamed into place, so an interrupted
// or refused upload leaves nothing a node could fetch. Never held in memory whole.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync, type ReadStream } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PayloadTooLargeError, ValidationError } from '../model/errors.js';
import { formatMemoryBytes } from '../model/quantity.js';
import type { ImageFormat } from '../model/kinds/image.js';

/** The first bytes of a qcow2 file ("QFI\xfb"); a disk without them is taken as raw. */
const QCOW2_MAGIC = Buffer.from([0x51, 0x46, 0x49, 0xfb]);

export interface ReceivedDisk {
  /** The temporary file, until keep() moves it into place. */
  part: string;
  checksum: string;
  sizeBytes: number;
  format: ImageFormat;
}

export class ImageBlobs {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  pathOf(project: string, checksum: string, format: ImageFormat): string {
    return join(this.dir, project, `${checksum.replace(':', '-')}.${format}`);
  }

  /** Refuses a declared length over the limit before a byte is read. */
  checkLength(declared: number | undefined): void {
    if (declared !== undefined && declared > this.maxBytes) throw this.tooLarge(`the request declares ${declared} bytes`);
  }

  /**
   * Streams `body` to a temporary file, hashing and counting it; refuses it (and removes the file)
   * past the size limit, empty, or when it ends early. The caller keeps or discards the result.
   */
  async receive(body: Readable): Promise<ReceivedDisk> {
    mkdirSync(this.dir, { recursive: true });
    const part = join(this.dir, `.part-${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const count = new Transform({
      transform: (chunk: Buffer, _enc, done) => {
        size += chunk.length;
        if (size > this.maxBytes) return done(this.tooLarge('the body grew past the limit'));
        if (head.length < QCOW2_MAGIC.length) head = Buffer.concat([head, chunk.subarray(0, QCOW2_MAGIC.length - head.length)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(body, count, createWriteStream(part, { mode: 0o600 }));
      if (size === 0) throw ValidationError.field('body', 'is empty: send the disk file as the request body');
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
    return { part, checksum: `sha256:${hash.digest('hex')}`, sizeBytes: size, format: head.equals(QCOW2_MAGIC) ? 'qcow2' : 'raw' };
  }

  /** Moves a received disk into place for `project`; its path. */
  keep(project: string, disk: ReceivedDisk): string {
    const path = this.pathOf(project, disk.checksum, disk.format);
    mkdirSync(join(this.dir, project), { recursive: true });
    renameSync(disk.part, path);
    return path;
  }

  discard(disk: ReceivedDisk): void {
    rmSync(disk.part, { force: true });
  }

  /** The stored disk and its size, if the server has it. */
  open(project: string, checksum: string, format: ImageFormat): { stream: ReadStream; sizeBytes: number } | undefined {
    const path = this.pathOf(project, checksum, format);
    if (!existsSync(path)) return undefined;
    return { stream: createReadStream(path), sizeBytes: statSync(path).size };
  }

  /**
   * Removes what no Image names any more: stored disks not in `keep` (paths as pathOf gives them)
   * and temporary files of uploads that never finished, each only once older than `graceMs`, so a
   * disk renamed into place a moment before its Image is committed is never taken. Empty project
   * folders go too. The removed paths, relative to the image directory.
   */
  sweep(keep: ReadonlySet<string>, graceMs: number, nowMs: number): string[] {
    if (!existsSync(this.dir)) return [];
    const removed: string[] = [];
    const old = (path: string): boolean => nowMs - statSync(path).mtimeMs > graceMs;
    for (const entry of readdirSync(this.dir, { withFileTypes: true })) {
      const path = join(this.dir, entry.name);
      if (entry.isFile() && entry.name.startsWith('.part-') && old(path)) {
        rmSync(path, { force: true });
        removed.push(entry.name);
      }
      if (!entry.isDirectory()) continue;
      const files = readdirSync(path, { withFileTypes: true });
      for (const f of files) {
        const file = join(path, f.name);
        if (!f.isFile() || keep.has(file) || !old(file)) continue;
        rmSync(file, { force: true });
        removed.push(join(entry.name, f.name));
      }
      if (readdirSync(path).length === 0) rmdirSync(path);
    }
    return removed;
  }

  private tooLarge(what: string): PayloadTooLargeError {
    return new PayloadTooLargeError(`image too large: ${what}; this server takes disks of at most ${formatMemoryBytes(this.maxBytes)} (--image-upload-limit)`);
  }
}
