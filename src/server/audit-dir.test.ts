// Where a server keeps its key and audit checkpoints by default, and that servers on different
// databases sharing that directory keep their checkpoints apart: a `weft server` on PostgreSQL
// and a `weft up` started in one working directory both default to `.weft-audit`, and neither
// may take the other's checkpoints for its own (that would say its audit entries were removed).
// An earlier version's layout (one checkpoint file straight in the directory) is adopted by the
// database it belongs to, and the key that sealed its Secrets is kept.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AuditVerifyResult } from '../model/audit.js';
import { CHECKPOINT_FILE } from '../control/audit/checkpoints.js';
import { ServerKey } from '../control/audit/server-key.js';
import { SecretBox, type SealedValues } from '../control/secrets/secret-box.js';
import { openStore } from '../store/index.js';
import { driverOf } from '../store/store.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from '../store/testing/pg-database.js';
import { loadServerConfig } from './config.js';
import { startWeftServer, type RunningWeft } from './start.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'weft-audit-dir-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const running: RunningWeft[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(cwd: string, flags: Record<string, string> = {}): Promise<RunningWeft> {
  const s = await startWeftServer(loadServerConfig({ command: 'server', env: {}, cwd, flags: { port: '0', logLevel: 'silent', ...flags } }));
  running.push(s);
  return s;
}

async function stop(s: RunningWeft): Promise<void> {
  running.splice(running.indexOf(s), 1);
  await s.stop();
}

async function call(s: RunningWeft, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** A few audited writes, so that the server's chain has entries and its checkpoints cover them. */
async function writeSome(s: RunningWeft, token: string, project: string): Promise<void> {
  expect((await call(s, token, 'POST', '/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: project }, spec: {} })).status).toBe(201);
  for (const site of ['a', 'b']) expect((await call(s, token, 'POST', '/sites', { apiVersion: 'weft/v1', kind: 'Site', metadata: { name: `${project}-${site}` }, spec: {} })).status).toBe(201);
}

async function verify(s: RunningWeft, token: string): Promise<AuditVerifyResult> {
  const r = await call(s, token, 'GET', '/audit/verify');
  expect(r.status).toBe(200);
  return r.body as AuditVerifyResult;
}

/** Two servers on different databases, one after the other and back, in one working directory. */
async function sharedDirectory(cwd: string, first: Record<string, string>, second: Record<string, string>): Promise<void> {
  const a = await start(cwd, first);
  const tokenA = a.bootstrapToken!;
  await writeSome(a, tokenA, 'first');
  await stop(a);
  const b = await start(cwd, second);
  const tokenB = b.bootstrapToken!;
  await writeSome(b, tokenB, 'second');
  const onB = await verify(b, tokenB);
  expect(onB.ok, onB.reason).toBe(true);
  await stop(b);
  const again = await start(cwd, first);
  const onA = await verify(again, tokenA);
  expect(onA.ok, onA.reason).toBe(true);
  // Its own checkpoints, from its first run: the one taken at stop covers every entry it wrote.
  expect(onA.checkpoints!.matched).toBeGreaterThan(0);
  expect(onA.checkpoints!.latest!.count).toBeGreaterThanOrEqual(3);
  expect(onA.checkpoints!.file).not.toBe(onB.checkpoints!.file);
  // One key for the directory, kept.
  expect(readFileSync(join(cwd, '.weft-audit', 'server-key.pem'), 'utf8')).toContain('PRIVATE KEY');
}

describe('the audit directory', () => {
  it('keeps the checkpoints of two embedded databases sharing one --audit-dir apart', { timeout: 180_000 }, async () => {
    const cwd = scratch();
    const audit = join(cwd, '.weft-audit');
    await sharedDirectory(cwd, { dataDir: 'one', auditDir: audit }, { dataDir: 'two', auditDir: audit });
  });

  it('an earlier version\'s checkpoint file is adopted by its own database, and the key that sealed its Secrets kept', { timeout: 180_000 }, async () => {
    const cwd = scratch();
    const audit = join(cwd, '.weft-audit');
    const s = await start(cwd);
    const token = s.bootstrapToken!;
    await writeSome(s, token, 'team');
    const secret = { apiVersion: 'weft/v1', kind: 'Secret', metadata: { name: 'db', project: 'team' }, spec: { data: { password: 'hunter2' } } };
    expect((await call(s, token, 'POST', '/projects/team/secrets', secret)).status).toBe(201);
    const file = (await verify(s, token)).checkpoints!.file!;
    await stop(s);
    const keyId = ServerKey.loadOrCreate(audit).keyId;

    // The layout and schema of the version before: the file straight in the directory, and no
    // database identity yet.
    renameSync(file, join(audit, CHECKPOINT_FILE));
    rmdirSync(join(file, '..'));
    const store = await openStore({ dataDir: join(cwd, '.weft') });
    await driverOf(store)!.writeTx(async (sql) => {
      await sql.exec('DROP TABLE database_identity');
      await sql.exec("DELETE FROM schema_migrations WHERE name = 'database-identity'");
      return { value: undefined };
    });
    await store.close();

    const upgraded = await start(cwd);
    const result = await verify(upgraded, token);
    expect(result.ok, result.reason).toBe(true);
    expect(result.checkpoints!.matched).toBeGreaterThan(0);
    expect(result.checkpoints!.file).not.toBe(file);
    expect(existsSync(join(audit, CHECKPOINT_FILE))).toBe(false);
    expect(ServerKey.loadOrCreate(audit).keyId).toBe(keyId);
    await stop(upgraded);
    const reopened = await openStore({ dataDir: join(cwd, '.weft') });
    try {
      const sealed = (await reopened.secrets.get('team', 'db')) as SealedValues;
      expect(new SecretBox(ServerKey.loadOrCreate(audit)).open('team', 'db', sealed)).toEqual({ password: 'hunter2' });
    } finally {
      await reopened.close();
    }
  });

  it('gives a PostgreSQL server with --data-dir memory:// a key directory in the working directory', () => {
    const cwd = scratch();
    const config = loadServerConfig({ command: 'server', env: {}, cwd, flags: { dataDir: 'memory://', databaseUrl: 'postgres://weft@127.0.0.1/weft' } });
    expect(config.auditDir).toBe(join(cwd, '.weft-audit'));
    expect(loadServerConfig({ command: 'server', env: {}, cwd, flags: { dataDir: 'memory://' } }).auditDir).toBeUndefined();
    // Where an earlier version put its key, it stays.
    ServerKey.loadOrCreate(join(cwd, 'memory:', '-audit'));
    expect(loadServerConfig({ command: 'server', env: {}, cwd, flags: { dataDir: 'memory://', databaseUrl: 'postgres://weft@127.0.0.1/weft' } }).auditDir).toBe(join(cwd, 'memory:', '-audit'));
  });
});

describe.skipIf(!TEST_DATABASE_URL)('the audit directory (PostgreSQL)', () => {
  let db: TestDatabase | undefined;
  afterAll(async () => db?.drop());

  it('a PostgreSQL server and an embedded one started in one directory do not take each other\'s checkpoints', { timeout: 180_000 }, async () => {
    db = await createTestDatabase('weft_auditdir');
    const cwd = scratch();
    await sharedDirectory(cwd, { databaseUrl: db.url }, {});
  });
});
