import { describe, expect, it } from 'vitest';
import { ValidationError } from './errors.js';
import { validateResource } from './validate.js';

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
    expect(issues(job({ replicas: 1, resources: {}, replicaz: 3 }))).toContain('spec.replicaz: unknown field');
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
    expect(issues(job({ replicas: 1, resources: { gpus: { count: 1 } } }))).toEqual(['spec.resources.gpus: unknown field']);
  });
});
