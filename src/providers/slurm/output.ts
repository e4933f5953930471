// A replica's output and exit code, as the job Weft submitted left them in the Cluster's output
// directory (storage the server and the nodes share): the output is shipped to the replica's log
// in chunks whose seq is the byte offset they start at, so shipping is idempotent and a
// restarted server resumes where the stored log ends.
import { open, readFile } from 'node:fs/promises';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { MAX_CHUNK_BYTES } from '../../store/logs.js';

const READ_PER_LOOK = 1024 * 1024;

export class OutputShipper {
  /** Allocation uid → bytes of its output already stored. */
  private readonly offsets = new Map<string, number>();

  constructor(private readonly store: Store) {}

  /** Stores what `file` holds beyond what was shipped; `final`: the replica ended, so a last line without "\n" counts too. */
  async ship(alloc: Resource, file: string, final: boolean): Promise<void> {
    const uid = alloc.metadata.uid;
    const project = alloc.metadata.project ?? '';
    let offset = this.offsets.get(uid);
    if (offset === undefined) {
      const last = (await this.store.logs.read(uid, { tail: 1 }))[0];
      offset = last ? last.seq + Buffer.byteLength(last.data, 'utf8') : 0;
    }
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) return; // not written yet (or no output directory shared with this server)
    let buf: Buffer;
    try {
      const chunk = Buffer.alloc(READ_PER_LOOK);
      const { bytesRead } = await fh.read(chunk, 0, READ_PER_LOOK, offset);
      buf = chunk.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
    const end = final && buf.length < READ_PER_LOOK ? buf.length : buf.lastIndexOf(0x0a) + 1;
    if (end <= 0) return;
    const chunks = [];
    for (let at = 0; at < end; ) {
      let cut = Math.min(end, at + MAX_CHUNK_BYTES);
      if (cut < end) {
        const nl = buf.lastIndexOf(0x0a, cut - 1);
        if (nl >= at) cut = nl + 1;
      }
      chunks.push({ seq: offset + at, stream: 'stdout' as const, data: buf.subarray(at, cut).toString('utf8').replaceAll(String.fromCharCode(0), '') });
      at = cut;
    }
    await this.store.logs.append({ uid, project }, chunks);
    this.offsets.set(uid, offset + end);
  }

  forget(uid: string): void {
    this.offsets.delete(uid);
  }
}

/** The exit code a task wrote, or undefined. */
export async function readExitCode(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= 0 && n <= 255 ? n : undefined;
}
