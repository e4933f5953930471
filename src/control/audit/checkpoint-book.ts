// Which checkpoint file belongs to the database a server opened. The server key in the audit
// directory is one per directory (it seals Secrets, so it is never made anew while it exists);
// the checkpoints are one file per database, under the database's own id
// (`<audit-dir>/<database id>/audit-checkpoints.jsonl`), so servers on different databases that
// share a directory (a PostgreSQL server and a `weft up` started in one place) never compare
// their chain with another's checkpoints. Earlier versions kept one file straight in the
// directory: the database whose chain holds its checkpoints adopts it at its first start.
import { existsSync, linkSync, mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../store/types.js';
import { CHECKPOINT_FILE, readCheckpoints, type CheckpointBook } from './checkpoints.js';
import type { ServerKey } from './server-key.js';

export interface BookLog {
  info(msg: string): void;
  warn(msg: string): void;
}

/** The book of `store`'s database in `dir`, adopting a checkpoint file of an earlier version that belongs to it. */
export async function checkpointBookFor(store: Store, dir: string, key: ServerKey, log: BookLog): Promise<CheckpointBook> {
  const own = join(dir, await store.databaseId());
  mkdirSync(own, { recursive: true, mode: 0o700 });
  const book = { file: join(own, CHECKPOINT_FILE), key };
  const earlier = { file: join(dir, CHECKPOINT_FILE), key };
  if (existsSync(book.file) || !existsSync(earlier.file)) return book;
  if (await holdsAny(store, earlier)) {
    // A hard link, then the old name removed: the file is never absent, nor copied half-way,
    // and a second server adopting at the same moment finds the new name taken.
    try {
      linkSync(earlier.file, book.file);
      unlinkSync(earlier.file);
      log.info(`audit: ${earlier.file} holds this database's checkpoints; moved to ${book.file}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } else {
    log.warn(`audit: ${earlier.file} (an earlier version's checkpoints) matches no entry of this database's audit chain; left for the database it belongs to`);
  }
  return book;
}

/** Whether any checkpoint of the book names an entry this database's chain holds with the same hash. */
async function holdsAny(store: Store, book: CheckpointBook): Promise<boolean> {
  const { checkpoints } = await readCheckpoints(book);
  for (const c of [...checkpoints].reverse()) {
    const [entry] = await store.audit.list({ after: (BigInt(c.id) - 1n).toString(), limit: 1 });
    if (entry?.id === c.id && entry.hash === c.hash) return true;
  }
  return false;
}
