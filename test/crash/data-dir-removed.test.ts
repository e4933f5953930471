// A server whose embedded data directory is removed under it (issue 22, item 11) stops with an
// error saying so, instead of serving errors about missing files for ever.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, sandbox, waitForOutput, type Sandbox } from '../cli/helpers.js';

const boxes: Sandbox[] = [];
afterAll(() => {
  for (const b of boxes) b.cleanup();
});

describe('the data directory disappears', () => {
  it('weft server exits 1 within seconds and says which directory went', { timeout: 90_000 }, async () => {
    assertBuilt();
    const box = sandbox();
    boxes.push(box);
    const dataDir = join(box.dir, 'data');
    const child = box.spawn(['server', '--port', '0', '--data-dir', dataDir, '--log-level', 'error']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitForOutput(child, /listening on/, 60_000);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    rmSync(dataDir, { recursive: true, force: true });
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(code).toBe(1);
    expect(stderr).toContain(`weft: data directory ${dataDir} has disappeared (its database files are gone); stopping`);
  });
});
