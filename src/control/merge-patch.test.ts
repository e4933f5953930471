import { describe, expect, it } from 'vitest';
import { mergePatch } from './merge-patch.js';

describe('mergePatch (RFC 7396)', () => {
  it('follows the examples of the RFC', () => {
    const target = { title: 'Goodbye!', author: { givenName: 'John', familyName: 'Doe' }, tags: ['example', 'sample'], content: 'x' };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(mergePatch(target, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'x',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('replaces non-objects whole and never mutates its inputs', () => {
    const target = { a: { b: 1 } };
    expect(mergePatch(target, { a: 'x' })).toEqual({ a: 'x' });
    expect(mergePatch(target, [1])).toEqual([1]);
    expect(mergePatch('s', { a: { b: null, c: 2 } })).toEqual({ a: { c: 2 } });
    expect(target).toEqual({ a: { b: 1 } });
  });

  it('ignores a "__proto__" key instead of changing the prototype', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const out = mergePatch({}, patch) as Record<string, unknown>;
    expect(out).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
