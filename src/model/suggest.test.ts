import { describe, expect, it } from 'vitest';
import { closestName, didYouMean } from './suggest.js';

describe('did you mean', () => {
  const fields = ['resources', 'replicas', 'priorityClass', 'queue', 'gang'];

  it('suggests the name a typo came from', () => {
    expect(closestName('resourcs', fields)).toBe('resources');
    expect(closestName('replica', fields)).toBe('replicas');
    expect(closestName('priorityclass', fields)).toBe('priorityClass');
    expect(didYouMean('qeueu', fields)).toBe('; did you mean "queue"?');
    expect(closestName('mem', ['cpu', 'memory', 'gpu'])).toBe('memory');
    expect(closestName('Jb', ['Job', 'Budget', 'Node'])).toBe('Job');
  });

  it('suggests nothing for a different word', () => {
    expect(closestName('colour', fields)).toBeUndefined();
    expect(closestName('gp', ['gpu', 'cpu'])).toBe('gpu');
    expect(closestName('xy', ['gpu', 'cpu'])).toBeUndefined();
    expect(didYouMean('zzz', fields)).toBe('');
  });
});
