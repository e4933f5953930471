import { describe, expect, it } from 'vitest';
import { ManifestError } from '../client/manifests.js';
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

  it('says what is wrong in the YAML without a dangling colon, and quotes the line', () => {
    const text = 'apiVersion: weft/v1\nkind: Job\nmetadata:\n  name: x\n project: nlp\n';
    expect(() => parseManifests(text, '<stdin>')).toThrow(
      new ManifestError('<stdin>:5:1: not valid YAML or JSON: All mapping items must start at the same column\n    name: x\n   project: nlp\n  ^'),
    );
  });

  it('names a missing kind or name', () => {
    expect(() => parseManifests('metadata: { name: a }', 'f.yaml')).toThrow(new ManifestError('f.yaml: kind: is required'));
    expect(() => parseManifests('kind: Job\nmetadata: {}', 'f.yaml')).toThrow(/metadata\.name: is required/);
    expect(() => parseManifests('kind: Gizmo\nmetadata: { name: a }', 'f.yaml')).toThrow(/unknown kind "Gizmo"; known kinds: Allocation, Budget, (\w+, )*DevEnvironment, Event, (\w+, )*Job,/);
    expect(() => parseManifests('kind: Jb\nmetadata: { name: a }', 'f.yaml')).toThrow(/^f\.yaml: kind: unknown kind "Jb"; did you mean "Job"\?; known kinds: /);
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
