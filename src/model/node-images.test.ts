import { describe, expect, it } from 'vitest';
import { normalizeImageReference } from './node-images.js';

describe('image references spelled in full', () => {
  it('fills in the registry, library/ and :latest as the engine lists them', () => {
    expect(normalizeImageReference('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeImageReference('pytorch/pytorch:2.3')).toBe('docker.io/pytorch/pytorch:2.3');
    expect(normalizeImageReference('nvcr.io/nvidia/pytorch:24.05-py3')).toBe('nvcr.io/nvidia/pytorch:24.05-py3');
    expect(normalizeImageReference('localhost/weft-test/busybox:1')).toBe('localhost/weft-test/busybox:1');
    expect(normalizeImageReference('127.0.0.1:5000/team/x')).toBe('127.0.0.1:5000/team/x:latest');
    expect(normalizeImageReference('registry:5000/team/x:3')).toBe('registry:5000/team/x:3');
  });

  it('names an image by digest when one is given, tag or not', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(normalizeImageReference(`ghcr.io/x/y@${d}`)).toBe(`ghcr.io/x/y@${d}`);
    expect(normalizeImageReference(`ghcr.io/x/y:1@${d}`)).toBe(`ghcr.io/x/y@${d}`);
    expect(normalizeImageReference(`ubuntu@${d}`)).toBe(`docker.io/library/ubuntu@${d}`);
  });
});
