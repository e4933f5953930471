import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../client/index.js';
import type { Resource } from '../model/metadata.js';
import { forAgent } from './objects.js';

const meta = (annotations: Record<string, string>): Resource['metadata'] =>
  ({ name: 'x', project: 'p', uid: 'u', resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z', annotations }) as Resource['metadata'];

describe('what an agent sees of an object', () => {
  it('never includes the last-applied copy of the manifest', () => {
    const r = { apiVersion: 'weft/v1', kind: 'Job', metadata: meta({ [LAST_APPLIED_ANNOTATION]: '{"spec":{}}', team: 'a' }), spec: {} } as Resource;
    expect(forAgent(r).metadata.annotations).toEqual({ team: 'a' });
    expect(forAgent({ ...r, metadata: meta({ [LAST_APPLIED_ANNOTATION]: '{}' }) }).metadata.annotations).toBeUndefined();
  });

  it("shows a Secret's keys, never its values", () => {
    const r = { apiVersion: 'weft/v1', kind: 'Secret', metadata: meta({}), spec: { data: { password: 'hunter2', user: 'me' }, type: 'Opaque' } } as unknown as Resource;
    const seen = forAgent(r);
    expect(seen.spec).toEqual({ data: { password: '(write-only)', user: '(write-only)' }, type: 'Opaque' });
    expect(JSON.stringify(seen)).not.toContain('hunter2');
  });
});
