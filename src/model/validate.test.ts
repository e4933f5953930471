import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { Type } from '@sinclair/typebox';
import { rangeOf, validateResource } from './validate.js';

const job = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'train', project: 'vision' }) => ({
  apiVersion: 'weft/v1',
  kind: 'Job',
  metadata,
  spec,
});

function issues(doc: unknown, opts = {}): string[] {
  try {
    validateResource(doc, opts);
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => `${i.field}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('validateResource', () => {
  it('accepts a well-formed job and fills the project from the URL', () => {
    const { def, resource } = validateResource(
      job({ replicas: 2, resources: { cpu: '8', memory: '64Gi', gpu: { count: 8, models: ['H100-80GB'] } } }, { name: 'train' }),
      { project: 'vision' },
    );
    expect(def.plural).toBe('jobs');
    expect(resource.metadata.project).toBe('vision');
  });

  it('names an unknown field', () => {
    expect(issues(job({ replicas: 1, resources: {}, replicaz: 3 }))).toContain('spec.replicaz: unknown field; did you mean "replicas"?');
  });

  it('names a field of the wrong type', () => {
    const found = issues(job({ replicas: 'two', resources: {} }));
    expect(found.some((i) => i.startsWith('spec.replicas:'))).toBe(true);
  });

  it('rejects bad names, including injection-looking ones', () => {
    for (const name of ["x'; drop table resources; --", 'UPPER', '../etc', 'a'.repeat(64), 'ünï', '']) {
      expect(issues(job({ replicas: 1, resources: {} }, { name, project: 'vision' })).some((i) => i.startsWith('metadata.name')), name).toBe(true);
    }
  });

  it('rejects unknown kinds and a missing project for project-scoped kinds', () => {
    expect(() => validateResource({ apiVersion: 'weft/v1', kind: 'Pod', metadata: { name: 'x' }, spec: {} })).toThrow(/unknown kind/);
    expect(issues(job({ replicas: 1, resources: {} }, { name: 'x' }))).toEqual(['metadata.project: is required: Job is project-scoped']);
  });

  it('rejects a project on cluster-scoped kinds and a mismatch with the URL', () => {
    expect(issues({ apiVersion: 'weft/v1', kind: 'Site', metadata: { name: 's', project: 'p' }, spec: {} })[0]).toMatch(/cluster-scoped/);
    expect(issues(job({ replicas: 1, resources: {} }), { project: 'nlp' })[0]).toMatch(/does not match/);
  });

  it('rejects a GPU request that mixes count and share', () => {
    expect(issues(job({ replicas: 1, resources: { gpu: { count: 1, share: 0.5 } } })).some((i) => i.startsWith('spec.resources.gpu'))).toBe(true);
  });

  it('rejects non-objects', () => {
    expect(() => validateResource([1, 2])).toThrow(/JSON object/);
    expect(() => validateResource(null)).toThrow(/JSON object/);
  });
});

describe('unknown fields', () => {
  it('names an unknown key whose value is an object by the key itself', () => {
    expect(issues(job({ replicas: 1, resources: { gpus: { count: 1 } } }))).toEqual(['spec.resources.gpus: unknown field; did you mean "gpu"?']);
  });

  it('suggests the field a typo came from, at any depth, from the schema', () => {
    expect(issues(job({ replicas: 1, resourcs: {} }))).toContain('spec.resourcs: unknown field; did you mean "resources"?');
    expect(issues(job({ replicas: 1, resources: { mem: '16Gi' } }))).toEqual(['spec.resources.mem: unknown field; did you mean "memory"?']);
    expect(issues({ apiVersion: 'weft/v1', kind: 'Job', metdata: { name: 'x' }, spec: {} })).toContain('metdata: unknown field; did you mean "metadata"?');
    // Inside a GPU request (a union), the alternative the request names is checked.
    expect(issues(job({ replicas: 1, resources: { gpu: { count: 8, model: ['H100-80GB'] } } }))).toEqual(['spec.resources.gpu.model: unknown field; did you mean "models"?']);
    expect(issues(job({ replicas: 1, resources: { gpu: { cnt: 8 } } }))[0]).toMatch(/^spec\.resources\.gpu: must be \{count: N\}.*; "cnt": did you mean "count"\?$/);
    expect(issues(job({ replicas: 1, resources: {}, colour: 'red' }))).toContain('spec.colour: unknown field');
  });
});

describe('numbers out of range', () => {
  it('gives the allowed range of a GPU count instead of the request\'s shape', () => {
    expect(issues(job({ replicas: 1, resources: { gpu: { count: -1 } } }))).toEqual(['spec.resources.gpu.count: must be an integer from 0 to 64 (got -1)']);
    expect(issues(job({ replicas: 1, resources: { gpu: { count: 100000 } } }))).toEqual(['spec.resources.gpu.count: must be an integer from 0 to 64 (got 100000)']);
    expect(issues(job({ replicas: 1, resources: { gpu: { count: 1.5 } } }))).toEqual(['spec.resources.gpu.count: must be an integer from 0 to 64 (got 1.5)']);
    expect(issues(job({ replicas: 1, resources: { gpu: { share: 2 } } }))).toEqual(['spec.resources.gpu.share: must be a number greater than 0 and at most 1 (got 2)']);
  });

  it('says what a lower bound alone allows', () => {
    // Every quantity of a stored kind now has an upper bound too; the wording for one without is kept.
    expect(rangeOf(Type.Integer({ minimum: 1 }))).toBe('an integer of at least 1');
    expect(rangeOf(Type.Number({ exclusiveMinimum: 0 }))).toBe('a number greater than 0');
    expect(issues(job({ replicas: 1, resources: {}, gang: { minAvailable: 0 } }))).toEqual(['spec.gang.minAvailable: must be an integer from 1 to 10000 (got 0)']);
  });
});
