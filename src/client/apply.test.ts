import { describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { LAST_APPLIED_ANNOTATION, applyIntent, applyPatch, threeWayPatch } from './apply.js';

const manifest = (spec: Record<string, unknown>, labels?: Record<string, string>): ResourceInput => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata: { name: 'train', project: 'vision', ...(labels ? { labels } : {}) },
  spec,
});

/** What the server would hold after applying `applied`, plus server-side defaults. */
function stored(applied: ResourceInput, extraSpec: Record<string, unknown> = {}): Resource {
  const { serialized } = applyIntent(applied);
  return {
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: {
      name: 'train',
      project: 'vision',
      uid: 'u1',
      resourceVersion: '7',
      generation: 1,
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: applied.metadata.labels,
      annotations: { [LAST_APPLIED_ANNOTATION]: serialized },
    },
    spec: { ...applied.spec, ...extraSpec },
  };
}

describe('apply patch', () => {
  it('is empty when the manifest is unchanged, even with server defaults filled in', () => {
    const m = manifest({ replicas: 2, resources: { gpu: { count: 1 } } }, { team: 'vision' });
    const live = stored(m, { isolation: 'dedicated', gang: { minAvailable: 2 } });
    expect(applyPatch(m, live)).toEqual({});
  });

  it('sets changed fields and nulls fields removed from the manifest', () => {
    const before = manifest({ replicas: 2, suspend: true, resources: { cpu: '4' } }, { team: 'vision', tier: 'dev' });
    const after = manifest({ replicas: 3, resources: { cpu: '4' } }, { team: 'vision' });
    const patch = applyPatch(after, stored(before, { isolation: 'dedicated' }));
    expect(patch.spec).toEqual({ replicas: 3, suspend: null });
    expect(patch.metadata).toMatchObject({ labels: { tier: null } });
    // The server-defaulted field was never applied, so it is left alone.
    expect(patch.spec).not.toHaveProperty('isolation');
  });

  it('replaces arrays whole and recurses into objects', () => {
    expect(threeWayPatch({ a: { b: 1, c: 2 } }, { a: { b: 1 }, l: [1, 2] }, { a: { b: 1, c: 2, d: 3 }, l: [1] })).toEqual({
      a: { c: null },
      l: [1, 2],
    });
  });
});
