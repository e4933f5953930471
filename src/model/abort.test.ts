import { describe, expect, it } from 'vitest';
import { onAbort, sleep } from './abort.js';

describe('waiting on an AbortSignal', () => {
  it('runs the handler at once for a signal that has already aborted', () => {
    const ac = new AbortController();
    ac.abort();
    let ran = 0;
    onAbort(ac.signal, () => ran++);
    expect(ran).toBe(1);
  });

  it('runs the handler once on abort, and not at all once stopped', () => {
    const ac = new AbortController();
    let ran = 0;
    onAbort(ac.signal, () => ran++);
    const off = onAbort(ac.signal, () => (ran += 10));
    off();
    ac.abort();
    expect(ran).toBe(1);
  });

  it('a sleep on an aborted signal ends at once; an abort ends a running one', async () => {
    const ac = new AbortController();
    ac.abort();
    const t0 = performance.now();
    expect(await sleep(10_000, ac.signal)).toBe(false);
    const live = new AbortController();
    const pending = sleep(10_000, live.signal);
    live.abort();
    expect(await pending).toBe(false);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await sleep(5, new AbortController().signal)).toBe(true);
  });
});
