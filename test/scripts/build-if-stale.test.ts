// `npm start` and `npm test` skip the build when nothing it reads changed: checked on a small
// project tree with a build that only writes the outputs and counts how often it ran.
import { mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module without types (it runs before anything is built)
import { buildIfStale, staleReason, BUILD_OUTPUTS } from '../../scripts/build-if-stale.mjs';

describe('build-if-stale', () => {
  let root: string;
  let builds: number;
  const write = (rel: string, text: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const build = (): void => {
    builds++;
    for (const out of BUILD_OUTPUTS as string[]) write(out, 'built');
  };
  const start = (): boolean => buildIfStale(root, build, () => undefined) as boolean;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'weft-build-stamp-'));
    builds = 0;
    write('package.json', '{}');
    write('package-lock.json', '{"lockfileVersion": 3}');
    write('tsconfig.json', '{}');
    write('src/cli/main.ts', 'export {};');
    write('web/src/app.tsx', 'export {};');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('builds the first time, then not again while nothing changed', () => {
    expect(staleReason(root)).toMatch(/missing/);
    expect(start()).toBe(true);
    expect(staleReason(root)).toBeUndefined();
    expect(start()).toBe(false);
    expect(builds).toBe(1);
  });

  it('ignores timestamps: touching a file does not rebuild', () => {
    start();
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src/cli/main.ts'), later, later);
    expect(start()).toBe(false);
  });

  it.each([
    ['a server source', () => write('src/cli/main.ts', 'export const x = 1;')],
    ['a console source', () => write('web/src/app.tsx', 'export const y = 2;')],
    ['the lock file', () => write('package-lock.json', '{"lockfileVersion": 3, "packages": {}}')],
    ['a TypeScript config', () => write('tsconfig.json', '{"compilerOptions": {}}')],
    ['an added file', () => write('src/model/new.ts', 'export {};')],
    ['a removed file', () => rmSync(join(root, 'web/src/app.tsx'))],
    ['a renamed file', () => renameSync(join(root, 'src/cli/main.ts'), join(root, 'src/cli/entry.ts'))],
  ])('rebuilds after a change to %s', (_what, change) => {
    start();
    change();
    expect(staleReason(root)).toBe('sources changed since the last build');
    expect(start()).toBe(true);
    expect(builds).toBe(2);
  });

  it('rebuilds when an output is gone', () => {
    start();
    rmSync(join(root, 'dist/web'), { recursive: true });
    expect(staleReason(root)).toBe('dist/web/index.html is missing');
    expect(start()).toBe(true);
  });

  it('after a failed build nothing is current, even once the change is undone', () => {
    start();
    write('src/cli/main.ts', 'broken(');
    // The compiler writes what it can before failing: the output no longer matches any stamp.
    const failing = (): void => {
      build();
      throw new Error('tsc failed');
    };
    expect(() => buildIfStale(root, failing, () => undefined)).toThrow('tsc failed');
    write('src/cli/main.ts', 'export {};');
    expect(staleReason(root)).toMatch(/no record/);
    expect(start()).toBe(true);
  });
});
