import { describe, expect, it } from 'vitest';
import { MAX_NODE_IMAGES } from '../../../model/node-images.js';
import { nodeImagesOf } from './node-images.js';

describe('the images a node reports', () => {
  it('names each by its tags and digests, the largest first, leaving out untagged ones', () => {
    expect(nodeImagesOf([
      { RepoTags: ['localhost/small:1'], RepoDigests: [], Size: 10 },
      { RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], Size: 999 },
      { RepoTags: ['nvcr.io/nvidia/pytorch:24.05-py3'], RepoDigests: ['nvcr.io/nvidia/pytorch@sha256:' + 'b'.repeat(64)], Size: 20e9 },
    ])).toEqual([
      { names: ['nvcr.io/nvidia/pytorch:24.05-py3', 'nvcr.io/nvidia/pytorch@sha256:' + 'b'.repeat(64)], sizeBytes: 20e9 },
      { names: ['localhost/small:1'], sizeBytes: 10 },
    ]);
  });

  it(`keeps at most ${MAX_NODE_IMAGES}: the largest`, () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ RepoTags: [`localhost/x:${i}`], RepoDigests: [], Size: i }));
    const kept = nodeImagesOf(many);
    expect(kept).toHaveLength(MAX_NODE_IMAGES);
    expect(kept[0]!.sizeBytes).toBe(149);
    expect(kept.at(-1)!.sizeBytes).toBe(50);
  });
});
