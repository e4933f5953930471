// Checkpoints of the audit chain against a real (embedded) store and a real file: published only
// when the chain grew, signed so that an edited line is found, and compared with the chain so
// that removed entries are named.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntryInput } from '../../model/audit.js';
import { openStore } from '../../store/index.js';
import { driverOf } from '../../store/store.js';
import type { Store } from '../../store/types.js';
import { CHECKPOINT_FILE, CheckpointPublisher, verifyAudit, type CheckpointBook } from './checkpoints.js';
import { canonicalJson, ServerKey } from './server-key.js';

const entry = (name: string): AuditEntryInput => ({
  requestId: name,
  principal: 'alice',
  principalKind: 'user',
  verb: 'create',
  kind: 'Site',
  project: '',
  name,
  method: 'POST',
  path: '/api/v1/sites',
  status: 201,
  source: '127.0.0.1',
});

let dir: string;
let store: Store;
let book: CheckpointBook;
const logged: string[] = [];
const publisher = (): CheckpointPublisher =>
  new CheckpointPublisher({ store, book, intervalMs: 3_600_000, log: { checkpoint: (c) => logged.push(`checkpoint ${c.count}`), error: (m) => logged.push(m) } });
const lines = (): string[] => readFileSync(book.file, 'utf8').trim().split('\n');

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'weft-checkpoints-'));
  store = await openStore({});
  book = { file: join(dir, CHECKPOINT_FILE), key: ServerKey.loadOrCreate(dir) };
  logged.length = 0;
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('server key', () => {
  it('is made once and kept: a second load signs with the same key', () => {
    const again = ServerKey.loadOrCreate(dir);
    expect(again.keyId).toBe(book.key.keyId);
    const rec = again.signRecord({ b: 1, a: [2, { d: 'x', c: null }] });
    expect(book.key.checkRecord(rec)).toBe('valid');
    expect(ServerKey.fromPublicPem(book.key.publicPem()).checkRecord(rec)).toBe('valid');
    expect(book.key.checkRecord({ ...rec, b: 2 })).toBe('bad-signature');
    expect(ServerKey.loadOrCreate(mkdtempSync(join(tmpdir(), 'weft-other-key-'))).checkRecord(rec)).toBe('other-key');
    expect(canonicalJson({ b: 1, a: [2, { d: 'x', c: null }] })).toBe('{"a":[2,{"c":null,"d":"x"}],"b":1}');
  });
});

describe('checkpoint publisher', () => {
  it('publishes when the chain grew, counting on from the last checkpoint across restarts', async () => {
    await store.audit.append([entry('a'), entry('b')]);
    const p = publisher();
    await p.start();
    await p.publish(); // nothing new: no second line
    expect(lines()).toHaveLength(1);
    await store.audit.append([entry('c')]);
    await p.stop();
    const again = publisher();
    await store.audit.append([entry('d')]);
    await again.start();
    const counts = lines().map((l) => (JSON.parse(l) as { count: number }).count);
    expect(counts).toEqual([2, 3, 4]);
    expect(logged).toEqual(['checkpoint 2', 'checkpoint 3', 'checkpoint 4']);
    expect(await verifyAudit(store, book)).toMatchObject({ ok: true, checked: 4, checkpoints: { matched: 3, problems: [], latest: { count: 4 } } });
  });

  it('names an edited line, ignores a line cut short at the end, and counts other keys', async () => {
    await store.audit.append([entry('a')]);
    const p = publisher();
    await p.start();
    await store.audit.append([entry('b')]);
    await p.stop();
    const [first, second] = lines();
    const edited = JSON.stringify({ ...JSON.parse(first!), count: 7 });
    const foreign = JSON.stringify(ServerKey.loadOrCreate(mkdtempSync(join(tmpdir(), 'weft-other-key-'))).signRecord({ v: 1, time: 't', count: 1, id: '1', hash: 'x' }));
    writeFileSync(book.file, `${edited}\n${second}\n${foreign}\n{"v":1,"ti`);
    const v = await verifyAudit(store, book);
    expect(v.ok).toBe(false);
    expect(v.checkpoints).toMatchObject({ matched: 1, otherKeys: 1 });
    expect(v.checkpoints!.problems).toEqual([expect.stringMatching(/line 1: the signature does not match: the checkpoint was altered/)]);
  });

  it('publishes nothing once its last checkpoint is no longer in the chain, and says so', async () => {
    await store.audit.append([entry('a'), entry('b'), entry('c')]);
    const p = publisher();
    await p.start();
    await driverOf(store)!.writeTx(async (sql) => {
      await sql.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await sql.query("DELETE FROM audit_log WHERE name = 'c'");
      await sql.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
      return { value: undefined };
    });
    await store.audit.append([entry('d')]);
    await p.publish();
    await p.stop();
    expect(lines()).toHaveLength(1);
    expect(logged.filter((m) => /is no longer in the audit chain as it was/.test(m))).toHaveLength(1);
    const v = await verifyAudit(store, book);
    expect(v).toMatchObject({ ok: false, checked: 3 });
    // The chain itself is valid (d links to b), only the checkpoint knows entry 3 existed.
    expect(v.reason).toMatch(/^entry 3, recorded by the checkpoint of \S+, is not in the chain: it was removed$/);
  });
});
