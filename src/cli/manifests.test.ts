import { describe, expect, it } from 'vitest';
import { CliError } from './errors.js';
import { parseManifests, sortForApply } from './manifests.js';
import { parseDurationSeconds } from './duration.js';

describe('manifests', () => {
  it('reads multi-document YAML, skips empty documents and flattens lists', () => {
    const text = `---
kind: Job
metadata: { name: a, project: p }
spec: {}
---
---
kind: List
items:
  - { kind: Project, metadata: { name: p } }
  - { kind: Site, metadata: { name: s } }
`;
    const ms = parseManifests(text, 'x.yaml');
    expect(ms.map((m) => m.resource.kind)).toEqual(['Job', 'Project', 'Site']);
    expect(ms[0]!.resource.apiVersion).toBe('weft/v1');
    expect(sortForApply(ms).map((m) => m.resource.kind)).toEqual(['Site', 'Project', 'Job']);
  });

  it('reports YAML errors with file, line and column', () => {
    expect(() => parseManifests('kind: Job\nmetadata: { name: a\n', 'bad.yaml')).toThrow(/bad\.yaml:\d+:\d+: not valid YAML/);
  });

  it('names a missing kind or name', () => {
    expect(() => parseManifests('metadata: { name: a }', 'f.yaml')).toThrow(new CliError('f.yaml: kind: is required'));
    expect(() => parseManifests('kind: Job\nmetadata: {}', 'f.yaml')).toThrow(/metadata\.name: is required/);
    expect(() => parseManifests('kind: Gizmo\nmetadata: { name: a }', 'f.yaml')).toThrow(/unknown kind "Gizmo"/);
  });
});

describe('durations', () => {
  it('parses human durations', () => {
    expect(parseDurationSeconds('24h')).toBe(86400);
    expect(parseDurationSeconds('1h30m')).toBe(5400);
    expect(() => parseDurationSeconds('soon')).toThrow(/not a duration/);
    expect(() => parseDurationSeconds('5x')).toThrow(/not a duration/);
  });
});
