// `weft audit` and `weft audit verify` through the real binary against a real `weft up`, then the
// same verify after the database was changed behind the server's back.
import { readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerKey } from '../../src/control/audit/server-key.js';
import { openStore } from '../../src/store/index.js';
import { driverOf } from '../../src/store/store.js';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

interface Entry {
  id: string;
  principal: string;
  verb: string;
  kind: string;
  name: string;
  status: number;
  requestId: string;
}

describe('weft audit', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box);
    const project = 'apiVersion: weft/v1\nkind: Project\nmetadata:\n  name: team-a\nspec: {}\n';
    expect((await box.weft(['apply', '-f', '-'], { input: project })).code).toBe(0);
    // Refused: the user does not exist.
    expect((await box.weft(['token', 'create', '--user', 'ghost'])).code).toBe(1);
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('lists mutations as JSON and as a table, and filters', async () => {
    const json = await box.weft(['audit', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const items = (JSON.parse(json.stdout) as { items: Entry[] }).items;
    expect(items.find((e) => e.kind === 'Project' && e.name === 'team-a')).toMatchObject({ principal: 'admin', verb: 'create', status: 201 });
    expect(items.find((e) => e.kind === 'Token' && e.status === 404)).toMatchObject({ verb: 'create', principal: 'admin' });
    const table = await box.weft(['audit', '--since', '1h', '--user', 'admin']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^TIME\s+USER\s+VERB\s+KIND\/NAME\s+PROJECT\s+RESULT\s+SOURCE\s+REQUEST-ID$/);
    expect(lines.some((l) => /\badmin\s+create\s+project\/team-a\s+-\s+201\s/.test(l))).toBe(true);
    const none = await box.weft(['audit', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(none.code).toBe(0);
    expect(none.stderr).toMatch(/No audit entries/);
    expect((await box.weft(['audit', '--since', 'whenever'])).code).toBe(2);
  });

  it('publishes signed checkpoints, and verify finds the newest entries removed, which the chain alone cannot', async () => {
    const dir = join(box.dir, '.weft-audit');
    // The key is the directory's; the checkpoints are kept under the database's id.
    const file = (): string => join(dir, readdirSync(dir, { withFileTypes: true }).find((e) => e.isDirectory())!.name, 'audit-checkpoints.jsonl');
    const sites = ['a', 'b', 'c'].map((n) => `apiVersion: weft/v1\nkind: Site\nmetadata: { name: site-${n} }\nspec: {}\n`).join('---\n');
    expect((await box.weft(['apply', '-f', '-'], { input: sites })).code).toBe(0);
    // A graceful stop takes a last checkpoint, covering every request answered.
    await interrupt(up!.child);
    up = undefined;
    const lines = readFileSync(file(), 'utf8').trim().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as { count: number; id: string; hash: string; keyId: string; signature: string };
    const key = ServerKey.fromPublicPem(readFileSync(join(dir, 'server-key.pub.pem'), 'utf8'));
    expect(key.checkRecord(last)).toBe('valid');
    expect(key.checkRecord({ ...last, count: last.count - 1 })).toBe('bad-signature');
    expect(statSync(join(dir, 'server-key.pem')).mode & 0o777).toBe(0o600);

    // Remove the two newest entries: what is left is a valid, shorter chain.
    const store = await openStore({ dataDir: join(box.dir, '.weft') });
    const [newest, second] = await driverOf(store)!.read.query<{ id: string }>('SELECT id::text AS id FROM audit_log ORDER BY id DESC LIMIT 2');
    expect(newest!.id).toBe(last.id);
    await driverOf(store)!.writeTx(async (sql) => {
      await sql.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await sql.query('DELETE FROM audit_log WHERE id >= $1::bigint', [second!.id]);
      await sql.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
      return { value: undefined };
    });
    expect((await store.audit.verify()).ok).toBe(true);
    await store.close();

    up = await weftUp(box, '.weft', [], { WEFT_LOG_LEVEL: 'info' });
    // The server says it in its log, and publishes no checkpoint that would hide it.
    expect(up.output).toMatch(/entry \d+ of the last checkpoint .* is no longer in the audit chain as it was/);
    const bad = await box.weft(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`audit log tampered with: the chain ends at entry`);
    expect(bad.stderr).toMatch(new RegExp(`recorded ${last.count} entries up to entry ${last.id}: at least 2 of the newest entries were removed`));
    expect(readFileSync(file(), 'utf8').trim().split('\n')).toHaveLength(lines.length);

    // An operator who has looked moves the file aside; checkpoints start again from the chain as it is.
    renameSync(file(), `${file()}.investigated`);
    await interrupt(up.child);
    up = await weftUp(box, '.weft', [], { WEFT_LOG_LEVEL: 'info' });
    expect(up.output).toMatch(/"msg":"audit checkpoint"/);
    const ok = await box.weft(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/checkpoints: 1 signed checkpoint in .* match the chain; the newest, of \S+, covers \d+ entries/);
  });

  it('verify exits 0 when intact and non-zero naming the first bad entry after tampering', async () => {
    const ok = await box.weft(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact\nhash chain: \d+ entries/);
    const items = (JSON.parse((await box.weft(['audit', '-o', 'json'])).stdout) as { items: Entry[] }).items;
    const victim = items.find((e) => e.kind === 'Project')!;
    // The embedded database belongs to one process: stop the server, rewrite history, restart.
    await interrupt(up!.child);
    up = undefined;
    const store = await openStore({ dataDir: join(box.dir, '.weft') });
    await driverOf(store)!.writeTx(async (sql) => {
      await sql.exec('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await sql.query("UPDATE audit_log SET principal = 'nobody' WHERE id = $1::bigint", [victim.id]);
      await sql.exec('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
      return { value: undefined };
    });
    await store.close();
    up = await weftUp(box);
    const bad = await box.weft(['audit', 'verify']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`first bad entry: ${victim.id}`);
  });
});
