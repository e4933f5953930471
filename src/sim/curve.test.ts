import { describe, expect, it } from 'vitest';
import { CurveBuilder, roundHalfEven } from './curve.js';

describe('allocation curve', () => {
  it('rounds half to even like the analysis scripts', () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3]);
  });

  it('averages events per arrival column and falls back to neighbours', () => {
    const c = new CurveBuilder(10); // 10 GPUs: 100 milli arrived = 1%
    c.record(100, 100);
    c.record(100, 50); // CPU-only event: same arrival, still a sample
    c.record(300, 300);
    const cols = c.columns();
    expect(cols[1]).toBe(0.75);
    expect(cols[2]).toBe(1.5); // no sample at 2%: mean of the samples at 1% and 3%
    expect(cols[3]).toBe(3);
    expect(Number.isNaN(cols[10]!)).toBe(true);
  });
});
