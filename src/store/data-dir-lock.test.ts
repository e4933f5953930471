import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'weft-lock-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('embedded data directory lock', () => {
  it('refuses a second store on a directory in use, and frees it on close', async () => {
    const dir = await tempDir();
    const first = await openStore({ dataDir: dir });
    await expect(openStore({ dataDir: dir })).rejects.toThrow(/in use by another Weft process \(pid \d+\)/);
    await first.close();
    const again = await openStore({ dataDir: dir });
    await again.close();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    // A pid that existed and is gone: a child process that has already exited.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(dir, 'weft.pid'), String(dead));
    const store = await openStore({ dataDir: dir });
    await store.close();
  });

  it('reports once, with the reason, when the directory disappears under the running store', async () => {
    const dir = await tempDir();
    const lost: Error[] = [];
    const store = await openStore({ dataDir: dir, onFatal: (e) => lost.push(e) });
    try {
      await rm(dir, { recursive: true, force: true });
      const deadline = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1500)); // and only once
      expect(lost.map((e) => e.message)).toEqual([`data directory ${dir} has disappeared (its database files are gone)`]);
    } finally {
      await store.close().catch(() => undefined);
    }
  });

  it('reports a lock file taken over by another process', async () => {
    const dir = await tempDir();
    const lost: Error[] = [];
    const store = await openStore({ dataDir: dir, onFatal: (e) => lost.push(e) });
    try {
      await writeFile(join(dir, 'weft.pid'), '1');
      const deadline = Date.now() + 10_000;
      while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(lost[0]?.message).toBe(`data directory ${dir} is now locked by another process (pid 1)`);
    } finally {
      await store.close();
    }
  });
});
