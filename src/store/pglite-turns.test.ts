// The embedded engine answers in this thread without real I/O, so queries one after another
// never leave the event loop a turn by themselves; the driver gives it one every 20 ms.
import { expect, it } from 'vitest';
import { openStore } from './index.js';

it('a long chain of queries lets timers and I/O run', async () => {
  const store = await openStore();
  try {
    let done = 0;
    const chain = (async () => {
      const end = performance.now() + 300;
      while (performance.now() < end) {
        await store.currentResourceVersion();
        done++;
      }
    })();
    // A macrotask queued now runs at the event loop's first turn.
    const doneWhenTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(done), 0));
    await chain;
    expect(doneWhenTimerRan).toBeLessThan(done);
  } finally {
    await store.close();
  }
});
