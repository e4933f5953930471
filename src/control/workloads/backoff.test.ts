import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('retry backoff', () => {
  it('starts at 10 s, doubles, and stops growing at 5 minutes', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelayMs(n) / 1000)).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });
});
