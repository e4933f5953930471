import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { weftCommandFor, weftOnPath } from './invocation.js';

describe('weftOnPath', () => {
  let dir: string;
  let script: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-invocation-'));
    script = join(dir, 'clone', 'bin', 'weft.js');
    mkdirSync(join(dir, 'clone', 'bin'), { recursive: true });
    writeFileSync(script, '#!/usr/bin/env node\n');
    chmodSync(script, 0o755);
    mkdirSync(join(dir, 'global-bin'));
    mkdirSync(join(dir, 'other-bin'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is false in a clone, where nothing named weft is on the PATH', () => {
    expect(weftOnPath(script, ['/nonexistent', join(dir, 'global-bin')].join(delimiter))).toBe(false);
  });

  it('is true when weft on the PATH links to this script (a global install)', () => {
    symlinkSync(script, join(dir, 'global-bin', 'weft'));
    expect(weftOnPath(script, ['', join(dir, 'global-bin')].join(delimiter))).toBe(true);
  });

  it('is false when the weft on the PATH is another installation', () => {
    const other = join(dir, 'other-bin', 'weft');
    writeFileSync(other, '#!/bin/sh\n');
    chmodSync(other, 0o755);
    expect(weftOnPath(script, join(dir, 'other-bin'))).toBe(false);
  });

  it('says npx weft when npx ran it, whose own PATH holds a weft the user\'s shell does not', () => {
    symlinkSync(script, join(dir, 'global-bin', 'weft'));
    expect(weftCommandFor({ PATH: join(dir, 'global-bin') }, script)).toBe('weft');
    expect(weftCommandFor({ PATH: join(dir, 'global-bin'), npm_command: 'exec' }, script)).toBe('npx weft');
    expect(weftCommandFor({ PATH: '' }, script)).toBe('npx weft');
  });
});
