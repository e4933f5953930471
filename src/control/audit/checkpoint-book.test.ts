// The checkpoint file of a database in a shared audit directory: its own, under its id; an
// earlier version's file straight in the directory is adopted only by the database whose chain
// holds its checkpoints (src/server/audit-dir.test.ts runs whole servers through the same).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { checkpointBookFor } from './checkpoint-book.js';
import { CHECKPOINT_FILE, CheckpointPublisher, type CheckpointBook } from './checkpoints.js';
import { ServerKey } from './server-key.js';

let dir: string;
let stores: Store[];
const said: string[] = [];
const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m) };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-book-'));
  stores = [await openStore({}), await openStore({})];
  said.length = 0;
});
afterEach(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function checkpointed(store: Store, book: CheckpointBook): Promise<void> {
  await store.audit.append([{ requestId: 'r', principal: 'alice', principalKind: 'user', verb: 'create', kind: 'Site', project: '', name: 'a', method: 'POST', path: '/api/v1/sites', status: 201, source: '127.0.0.1' }]);
  const p = new CheckpointPublisher({ store, book, intervalMs: 3_600_000, log: { checkpoint: () => undefined, error: (m) => said.push(m) } });
  await p.start();
  await p.stop();
}

it('gives each database its own file, and an earlier file only to the database it belongs to', async () => {
  const key = ServerKey.loadOrCreate(dir);
  const [mine, other] = stores as [Store, Store];
  expect(await mine.databaseId()).not.toBe(await other.databaseId());
  const earlier = { file: join(dir, CHECKPOINT_FILE), key };
  await checkpointed(mine, earlier);

  const otherBook = await checkpointBookFor(other, dir, key, log);
  expect(otherBook.file).toBe(join(dir, await other.databaseId(), CHECKPOINT_FILE));
  expect(existsSync(earlier.file)).toBe(true);
  expect(said.join('\n')).toMatch(/matches no entry of this database's audit chain; left for the database it belongs to/);

  const myBook = await checkpointBookFor(mine, dir, key, log);
  expect(myBook.file).toBe(join(dir, await mine.databaseId(), CHECKPOINT_FILE));
  expect(existsSync(earlier.file)).toBe(false);
  expect(existsSync(myBook.file)).toBe(true);
});
