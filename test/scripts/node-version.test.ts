// The Node version a newcomer is told to install is one every installed package accepts: the
// README, package.json's engines and package-lock.json agree, and `npm ci` has nothing to warn about.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
const oldest = semver.minVersion(pkg.engines.node)!.version;

describe('the supported Node version', () => {
  it('is the one the README names', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const [major, minor] = oldest.split('.');
    expect(readme).toContain(`Node.js ${major}.${minor} or later`);
  });

  it('is recorded in the lock file as in package.json', () => {
    expect(lock.packages['']!.engines).toEqual(pkg.engines);
  });

  it('is accepted by every locked package', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .map(([path, p]) => [path, !p.engines || Array.isArray(p.engines) ? undefined : p.engines.node] as const)
      .filter(([, range]) => range !== undefined && !semver.satisfies(oldest, range, { includePrerelease: true }))
      .map(([path, range]) => `${path} wants node ${range}`);
    expect(refusing).toEqual([]);
  });
});
