import { describe, expect, it } from 'vitest';
import type { Resource } from '../model/metadata.js';
import { NodeImageIndex } from './node-images.js';

const nodeWith = (name: string, images: unknown): Resource => ({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name, resourceVersion: '1' }, spec: {}, status: { images } }) as unknown as Resource;

describe('which nodes hold which images', () => {
  it('finds an image by any spelling of its name, on every node that lists it', () => {
    const idx = new NodeImageIndex();
    idx.apply('ADDED', nodeWith('n2', [{ names: ['docker.io/library/busybox:latest'], sizeBytes: 2_000_000 }]));
    idx.apply('ADDED', nodeWith('n1', [{ names: ['docker.io/library/busybox:latest', 'docker.io/library/busybox@sha256:' + 'a'.repeat(64)], sizeBytes: 2_000_000 }, { names: ['nvcr.io/nvidia/pytorch:24.05-py3'], sizeBytes: 20e9 }]));
    expect(idx.nodesWith('busybox')).toEqual(['n1', 'n2']);
    expect(idx.nodesWith('nvcr.io/nvidia/pytorch:24.05-py3')).toEqual(['n1']);
    expect(idx.nodesWith('nvcr.io/nvidia/pytorch:24.06-py3')).toEqual([]);
  });

  it('forgets what a node no longer lists, and a deleted node; a heartbeat with the same list changes nothing', () => {
    const idx = new NodeImageIndex();
    const listed = [{ names: ['localhost/x:1'], sizeBytes: 1 }];
    expect(idx.apply('ADDED', nodeWith('n1', listed))).toBe(true);
    expect(idx.apply('MODIFIED', nodeWith('n1', listed))).toBe(false);
    expect(idx.apply('MODIFIED', nodeWith('n1', [{ names: ['localhost/y:1'], sizeBytes: 1 }]))).toBe(true);
    expect(idx.nodesWith('localhost/x:1')).toEqual([]);
    expect(idx.nodesWith('localhost/y:1')).toEqual(['n1']);
    idx.apply('DELETED', nodeWith('n1', []));
    expect(idx.nodesWith('localhost/y:1')).toEqual([]);
    // Whatever is not a list of images is none.
    expect(idx.apply('ADDED', nodeWith('n3', 'not a list'))).toBe(false);
  });
});
