// The node's base-image cache: each Image downloaded once (by checksum) into <state>/images,
// verified while it streams in, and only then renamed into place, so a VM never boots from a
// partial or corrupted file. Downloads of the same image at once share one; a failed one leaves
// nothing behind. Each VM then gets a qcow2 overlay backed by the cached file. An uploaded Image
// comes from the server's API (with the node's credential) instead of its own URL; same checks.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface CachedImage {
  path: string;
  sizeBytes: number;
}

export interface ImageSource {
  /** An http(s) URL, or for an uploaded Image the API path it is read from. */
  url: string;
  upload?: boolean;
  /** sha256:<hex> */
  checksum: string;
  format: 'qcow2' | 'raw';
}

export class ImageCache {
  private readonly inFlight = new Map<string, Promise<CachedImage>>();
  /** Bytes received so far per checksum, for "Downloading image 42%". */
  readonly progress = new Map<string, { received: number; total?: number }>();

  /**
   * @param fetchUpload reads an uploaded Image's disk from the server (an API path, with the
   *   node's credential); absent, such an Image cannot be fetched here.
   */
  constructor(
    readonly dir: string,
    private readonly fetchUpload?: (path: string) => Promise<Response>,
  ) {}

  pathOf(img: ImageSource): string {
    return join(this.dir, `${img.checksum.replace(':', '-')}.${img.format}`);
  }

  /** The cached file, if this node has it. */
  cached(img: ImageSource): CachedImage | undefined {
    const path = this.pathOf(img);
    return existsSync(path) ? { path, sizeBytes: statSync(path).size } : undefined;
  }

  /** The cached file, downloading it first when this node does not have it. */
  get(img: ImageSource): Promise<CachedImage> {
    const have = this.cached(img);
    if (have) return Promise.resolve(have);
    let p = this.inFlight.get(img.checksum);
    if (!p) {
      p = this.download(img).finally(() => {
        this.inFlight.delete(img.checksum);
        this.progress.delete(img.checksum);
      });
      this.inFlight.set(img.checksum, p);
    }
    return p;
  }

  private async download(img: ImageSource): Promise<CachedImage> {
    mkdirSync(this.dir, { recursive: true });
    const part = join(this.dir, `.part-${randomBytes(6).toString('hex')}`);
    try {
      const res = await this.open(img);
      if (!res.ok || !res.body) throw new Error(`downloading ${img.url}: HTTP ${res.status} ${res.statusText}`.trim());
      const total = Number(res.headers.get('content-length')) || undefined;
      const hash = createHash('sha256');
      const prog: { received: number; total?: number } = { received: 0, ...(total ? { total } : {}) };
      this.progress.set(img.checksum, prog);
      const body = Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
      body.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        prog.received += chunk.length;
      });
      await pipeline(body, createWriteStream(part, { mode: 0o600 }));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== img.checksum) throw new Error(`downloading ${img.url}: checksum mismatch: the Image says ${img.checksum}, the bytes are ${got}`);
      const path = this.pathOf(img);
      renameSync(part, path);
      return { path, sizeBytes: statSync(path).size };
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
  }

  private open(img: ImageSource): Promise<Response> {
    if (img.upload !== true) return fetch(img.url, { redirect: 'follow' });
    if (!this.fetchUpload) throw new Error(`${img.url}: this node cannot fetch uploaded Images (no connection to the server)`);
    return this.fetchUpload(img.url);
  }
}
