// The embedded engine has no checkpointer process; its driver checkpoints once enough write-ahead
// log has piled up, so that a kill -9 leaves little to replay and a close little to write back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openPGlite, walSinceCheckpoint } from './pglite-driver.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('embedded engine checkpoints', () => {
  it('checkpoints once the WAL since the last checkpoint passes the limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-checkpoint-'));
    dirs.push(dir);
    const driver = await openPGlite(dir, { checkpointAfterWalBytes: 1 << 20, checkpointCheckMs: 50 });
    try {
      await driver.read.exec("CREATE TABLE filler AS SELECT g AS id, repeat('x', 1000) AS body FROM generate_series(1, 8000) g");
      expect(await walSinceCheckpoint(driver.read)).toBeGreaterThan(4 << 20);
      const deadline = Date.now() + 20_000;
      while ((await walSinceCheckpoint(driver.read)) > 1 << 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await walSinceCheckpoint(driver.read)).toBeLessThan(1 << 20);
    } finally {
      await driver.close();
    }
  });
});
