import { mkdirSync, mkdtempSync, existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ImageBlobs } from '../api/image-blobs.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { ImageDiskCollector } from './image-disk-collector.js';

const HOUR = 3_600_000;
const sha = (c: string): string => `sha256:${c.repeat(64)}`;

let store: Store;
let dir: string;
let blobs: ImageBlobs;
const now = Date.now();

// One store for the file (each test uses checksums of its own); a fresh image directory per test.
beforeAll(async () => {
  store = await openStore();
});
afterAll(async () => {
  await store.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-image-sweep-'));
  blobs = new ImageBlobs(dir, 1 << 30);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A disk file as an upload leaves it, last written `ageMs` ago. */
function disk(project: string, checksum: string, ageMs: number): string {
  const path = blobs.pathOf(project, checksum, 'qcow2');
  mkdirSync(join(dir, project), { recursive: true });
  writeFileSync(path, 'QFI\xfbdisk');
  age(path, ageMs);
  return path;
}
function age(path: string, ageMs: number): void {
  const t = (now - ageMs) / 1000;
  utimesSync(path, t, t);
}
async function image(project: string, name: string, checksum: string, source: Record<string, unknown> = { upload: true }): Promise<void> {
  await store.create({ apiVersion: 'weft/v1', kind: 'Image', metadata: { project, name }, spec: { source, checksum, format: 'qcow2' } });
}
const sweep = (graceMs = HOUR): Promise<string[]> => new ImageDiskCollector({ store, blobs, graceMs, nowMs: () => now }).runOnce();

describe('ImageDiskCollector', () => {
  it('removes the disk of a deleted Image and keeps those Images still name', async () => {
    const kept = disk('alpha', sha('a'), 2 * HOUR);
    const orphan = disk('alpha', sha('b'), 2 * HOUR);
    await image('alpha', 'debian', sha('a'));
    await image('alpha', 'gone', sha('b'));
    await store.delete({ kind: 'Image', project: 'alpha', name: 'gone' });
    expect(await sweep()).toEqual([join('alpha', `sha256-${'b'.repeat(64)}.qcow2`)]);
    expect(existsSync(kept)).toBe(true);
    expect(existsSync(orphan)).toBe(false);
  });

  it('keeps a disk two Images of one project share until both are gone, and keys disks by project', async () => {
    const shared = disk('alpha', sha('c'), 2 * HOUR);
    const otherProject = disk('beta', sha('c'), 2 * HOUR);
    await image('alpha', 'one', sha('c'));
    await image('alpha', 'two', sha('c'));
    await store.delete({ kind: 'Image', project: 'alpha', name: 'one' });
    expect(await sweep()).toEqual([join('beta', `sha256-${'c'.repeat(64)}.qcow2`)]);
    expect(existsSync(shared)).toBe(true);
    expect(existsSync(otherProject)).toBe(false);
    expect(existsSync(join(dir, 'beta'))).toBe(false);
    await store.delete({ kind: 'Image', project: 'alpha', name: 'two' });
    await sweep();
    expect(existsSync(shared)).toBe(false);
  });

  it('leaves young files alone: an Image may be committing right after its disk was kept', async () => {
    const young = disk('alpha', sha('d'), 10 * 60_000);
    const partYoung = join(dir, '.part-0123');
    const partOld = join(dir, '.part-4567');
    writeFileSync(partYoung, 'x');
    writeFileSync(partOld, 'x');
    age(partOld, 2 * HOUR);
    expect(await sweep()).toEqual(['.part-4567']);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(partYoung)).toBe(true);
    age(young, 2 * HOUR);
    expect(await sweep()).toEqual([join('alpha', `sha256-${'d'.repeat(64)}.qcow2`)]);
  });

  it('does not count an Image registered from a URL as naming a disk', async () => {
    const path = disk('alpha', sha('e'), 2 * HOUR);
    await image('alpha', 'remote', sha('e'), { url: 'https://images.example/debian.qcow2' });
    await sweep();
    expect(existsSync(path)).toBe(false);
  });
});
