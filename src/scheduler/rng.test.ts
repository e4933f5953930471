import { describe, expect, it } from 'vitest';
import { permutation, seededRng, shuffleInPlace } from './rng.js';

describe('seeded rng', () => {
  it('repeats a stream for the same seed and differs for another', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    const c = seededRng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('draws integers in range and roughly uniformly', () => {
    const r = seededRng(7);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 1000; i++) {
      const f = r.nextFloat();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });

  it('shuffles and permutes without losing elements', () => {
    const r = seededRng(1);
    expect([...shuffleInPlace([1, 2, 3, 4, 5, 6], r)].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...permutation(100, r)].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
