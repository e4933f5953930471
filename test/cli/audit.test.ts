// `weft audit` and `weft audit verify` through the real binary against a real `weft up`, then the
// same verify after the database was changed behind the server's back.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('verify exits 0 when intact and non-zero naming the first bad entry after tampering', async () => {
    const ok = await box.weft(['audit', 'verify']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/intact: \d+ entries/);
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
