import { describe, expect, it } from 'vitest';
import { containerSpecIssues } from './container.js';
import { ValidationError } from './errors.js';
import { validateResource } from './validate.js';

const job = (spec: Record<string, unknown>) => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: 'vision' }, spec: { replicas: 1, resources: {}, ...spec } });

function fields(doc: unknown): string[] {
  try {
    validateResource(doc);
    return [];
  } catch (e) {
    if (e instanceof ValidationError) return e.issues.map((i) => i.field);
    throw e;
  }
}

describe('container fields of a workload', () => {
  it('accepts the image references registries use', () => {
    for (const image of ['busybox', 'library/busybox:1.36', '127.0.0.1:5000/weft/busybox:test', 'registry.example.com/team/train-llm:v3.1_rc', `train@sha256:${'a'.repeat(64)}`, 'nvcr.io/nvidia/pytorch:24.05-py3']) {
      expect(fields(job({ image, imagePullPolicy: 'Always', workingDir: '/workspace', shmSize: '8Gi', ports: [{ containerPort: 8000 }] })), image).toEqual([]);
    }
  });

  it('names spec.image for a reference no registry accepts', () => {
    for (const image of ['UPPER/case', 'has space', 'trailing/', ':tag-only', 'a//b', `x@sha256:short`]) {
      expect(fields(job({ image })), image).toEqual(['spec.image']);
    }
  });

  it('names each field that only a container has when no image is given', () => {
    expect(containerSpecIssues({ imagePullPolicy: 'Never', workingDir: '/w', shmSize: '1Gi', ports: [{ containerPort: 80 }] }).map((i) => i.field)).toEqual([
      'spec.imagePullPolicy', 'spec.workingDir', 'spec.ports', 'spec.shmSize',
    ]);
    expect(containerSpecIssues({ image: 'x', imagePullPolicy: 'Never', workingDir: '/w' })).toEqual([]);
  });

  it('allows the same port number once per protocol', () => {
    expect(containerSpecIssues({ image: 'x', ports: [{ containerPort: 53 }, { containerPort: 53, protocol: 'UDP' }] })).toEqual([]);
    expect(containerSpecIssues({ image: 'x', ports: [{ containerPort: 53 }, { containerPort: 53 }] })).toEqual([
      { field: 'spec.ports.1.containerPort', message: '53/TCP is already listed at spec.ports.0' },
    ]);
  });
});
