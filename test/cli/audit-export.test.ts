// `weft audit export` and `weft audit verify --file` through the real binary: an export of a
// period verifies offline; changing, removing or cutting off any line is caught, naming where.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, interrupt, sandbox, weftUp, type Sandbox, type UpServer } from './helpers.js';

describe('weft audit export', () => {
  let box: Sandbox;
  let up: UpServer | undefined;
  let lines: string[];
  beforeAll(async () => {
    assertBuilt();
    box = sandbox();
    up = await weftUp(box);
    for (const name of ['alpha', 'beta', 'gamma']) {
      const r = await box.weft(['apply', '-f', '-'], { input: `apiVersion: weft/v1\nkind: Project\nmetadata: { name: ${name} }\nspec: {}\n` });
      expect(r.code, r.stderr).toBe(0);
    }
    const out = await box.weft(['audit', 'export', '--from', '1h', '-f', 'export.jsonl']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(/^wrote \d+ entries to export.jsonl \(ids \d+–\d+, last hash [0-9a-f]{64}\)/);
    lines = readFileSync(join(box.dir, 'export.jsonl'), 'utf8').trim().split('\n');
  });
  afterAll(async () => {
    if (up) await interrupt(up.child);
    box?.cleanup();
  });

  it('writes a header, the entries and a checkpoint, and verifies offline', async () => {
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'header', format: 'weft-audit-export/1' });
    const entries = lines.slice(1, -1).map((l) => JSON.parse(l));
    expect(entries.filter((e) => e.kind === 'Project' && e.verb === 'create').map((e) => e.name)).toEqual(['alpha', 'beta', 'gamma']);
    const checkpoint = JSON.parse(lines[lines.length - 1]!);
    expect(checkpoint).toMatchObject({ type: 'checkpoint', count: entries.length, lastHash: entries[entries.length - 1].hash });
    const v = await box.weft(['audit', 'verify', '--file', 'export.jsonl']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`^export intact: ${entries.length} entries, ids `));
    // The same to stdout.
    const stdout = await box.weft(['audit', 'export', '--from', '1h']);
    expect(stdout.stdout.split('\n')[1]).toBe(lines[1]);
  });

  const tampered = async (edit: (ls: string[]) => string[]) => {
    writeFileSync(join(box.dir, 'bad.jsonl'), edit([...lines]).join('\n') + '\n');
    return box.weft(['audit', 'verify', '--file', 'bad.jsonl']);
  };

  it('catches a changed, a removed and a missing line', async () => {
    const changed = await tampered((ls) => {
      const e = JSON.parse(ls[2]!);
      ls[2] = JSON.stringify({ ...e, principal: 'someone-else' });
      return ls;
    });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`entry ${JSON.parse(lines[2]!).id} does not match its hash (it was modified)`);
    const removed = await tampered((ls) => [...ls.slice(0, 2), ...ls.slice(3)]);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toContain(`entry ${JSON.parse(lines[3]!).id} does not link to the entry before it`);
    const cut = await tampered((ls) => ls.slice(0, -1));
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('ends without its checkpoint');
  });
});
