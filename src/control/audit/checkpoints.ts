// Signed checkpoints of the audit chain's head, published where the database cannot rewrite
// them: a JSON Lines file outside the store and the server log. Each says "the chain had `count`
// entries, the newest being `id` with `hash`", signed with the server key. The hash chain alone
// cannot show that the newest entries were removed (what is left is a valid, shorter chain);
// verify() compares the chain with every checkpoint and names what is missing.
import { open, readFile } from 'node:fs/promises';
import type { AuditAnchor, AuditVerifyResult } from '../../model/audit.js';
import type { Store } from '../../store/types.js';
import type { ServerKey, Signed } from './server-key.js';

export const CHECKPOINT_FILE = 'audit-checkpoints.jsonl';
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

export interface Checkpoint {
  /** Format version of the record. */
  v: 1;
  time: string;
  /** Entries in the chain, up to and including `id`. */
  count: number;
  id: string;
  hash: string;
}

/** Where a server's checkpoints live, and the key that signs (and checks) them. */
export interface CheckpointBook {
  file: string;
  key: ServerKey;
}

interface ReadBack {
  checkpoints: Signed<Checkpoint>[];
  problems: string[];
  otherKeys: number;
}

function isCheckpoint(v: unknown): v is Signed<Checkpoint> {
  const c = v as Partial<Signed<Checkpoint>> | null;
  return !!c && c.v === 1 && typeof c.time === 'string' && Number.isSafeInteger(c.count) && typeof c.id === 'string' && /^[0-9]{1,19}$/.test(c.id) && typeof c.hash === 'string';
}

/** The file's checkpoints with this key's valid signature, and what is wrong with the other lines. */
export async function readCheckpoints(book: CheckpointBook): Promise<ReadBack> {
  let text: string;
  try {
    text = await readFile(book.file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: [], problems: [], otherKeys: 0 };
    throw e;
  }
  const out: ReadBack = { checkpoints: [], problems: [], otherKeys: 0 };
  const lines = text.split('\n');
  const lastLine = lines.map((l) => l.trim() !== '').lastIndexOf(true);
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      // A line cut short by a crash while it was written can only be the last one.
      if (i !== lastLine) out.problems.push(`${book.file} line ${i + 1} is not a checkpoint: the file was edited`);
      return;
    }
    const check = typeof rec === 'object' && rec !== null ? book.key.checkRecord(rec) : 'bad-signature';
    if (check === 'other-key') out.otherKeys++;
    else if (check === 'bad-signature' || !isCheckpoint(rec)) out.problems.push(`${book.file} line ${i + 1}: the signature does not match: the checkpoint was altered`);
    else out.checkpoints.push(rec);
  });
  return out;
}

/** The chain verified, and compared with every checkpoint in the book. */
export async function verifyAudit(store: Store, book: CheckpointBook | undefined): Promise<AuditVerifyResult> {
  if (!book) return store.audit.verify();
  const read = await readCheckpoints(book);
  const anchors: AuditAnchor[] = read.checkpoints.map((c) => ({ id: c.id, hash: c.hash, count: c.count, time: c.time }));
  const result = await store.audit.verify(anchors);
  const latest = read.checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.count >= a.count ? c : a), undefined);
  const problems = [...(result.checkpoints?.problems ?? []), ...read.problems];
  const checkpoints = {
    matched: result.checkpoints?.matched ?? 0,
    problems,
    ...(latest ? { latest: { time: latest.time, count: latest.count, id: latest.id, hash: latest.hash } } : {}),
    ...(read.otherKeys > 0 ? { otherKeys: read.otherKeys } : {}),
    file: book.file,
  };
  const ok = result.ok && problems.length === 0;
  return { ...result, ok, ...(ok ? {} : { reason: result.reason ?? problems[0] }), checkpoints };
}

export interface PublisherOptions {
  store: Store;
  book: CheckpointBook;
  /** Where each checkpoint is logged (the server log), and where a refusal to publish is said. */
  log: { checkpoint(c: Signed<Checkpoint>): void; error(msg: string): void };
  intervalMs?: number;
  now?: () => Date;
}

/**
 * Publishes a checkpoint at start, then every interval when the chain grew, and once more at
 * stop. Counts incrementally from the last checkpoint in the file; if that checkpoint's entry is
 * no longer in the chain, unchanged, it publishes nothing (the file keeps the evidence) and says
 * so in the log until an operator has looked (and moved the file aside).
 */
export class CheckpointPublisher {
  private last: Checkpoint | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private refused = false;

  constructor(private readonly opts: PublisherOptions) {}

  async start(): Promise<void> {
    const read = await readCheckpoints(this.opts.book);
    this.last = read.checkpoints.reduce<Checkpoint | undefined>((a, c) => (!a || c.count >= a.count ? c : a), undefined);
    await this.publish();
    this.timer = setInterval(() => void this.publish(), this.opts.intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.publish();
  }

  /** One checkpoint of the current head, if the chain grew since the last one. */
  publish(): Promise<void> {
    this.running ??= this.publishOnce()
      .catch((err: unknown) => this.opts.log.error(`audit checkpoint: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async publishOnce(): Promise<void> {
    const { store, book } = this.opts;
    const last = this.last;
    if (last && !(await this.stillThere(last))) {
      if (!this.refused) {
        this.opts.log.error(
          `audit checkpoint: entry ${last.id} of the last checkpoint (${last.time}, ${last.count} entries) is no longer in the audit chain as it was: entries were removed or changed behind the API. No new checkpoint is published; run \`weft audit verify\`, and move ${book.file} aside once the cause is known.`,
        );
      }
      this.refused = true;
      return;
    }
    const head = await store.audit.head(last?.id);
    if (!head) return;
    const next: Checkpoint = { v: 1, time: (this.opts.now ?? (() => new Date()))().toISOString(), count: (last?.count ?? 0) + head.count, id: head.id, hash: head.hash };
    const signed = book.key.signRecord(next);
    const fh = await open(book.file, 'a', 0o600);
    try {
      await fh.appendFile(`${JSON.stringify(signed)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.last = next;
    this.opts.log.checkpoint(signed);
  }

  private async stillThere(c: Checkpoint): Promise<boolean> {
    const [e] = await this.opts.store.audit.list({ after: (BigInt(c.id) - 1n).toString(), limit: 1 });
    return e !== undefined && e.id === c.id && e.hash === c.hash;
  }
}
