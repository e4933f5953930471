// Stopping the control plane while it is still becoming leader. On PostgreSQL the lock query can
// return after the stop was asked for; the term that then starts must end at once rather than
// lead on (a server's graceful stop once waited a minute for it).
import { describe, expect, it } from 'vitest';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { startControlPlane } from './control-plane.js';

describe('control plane stop', () => {
  it('a stop asked for while leadership is being acquired ends the term that follows at once', async () => {
    const store = await openStore();
    let grant!: () => void;
    const granted = new Promise<void>((r) => (grant = r));
    let acquired = false;
    // Like a lock query already in flight: the grant arrives whatever the signal says meanwhile.
    const slowLeader: Store = Object.create(store, {
      acquireLeadership: {
        value: async (name: string) => {
          const l = await store.acquireLeadership(name, new AbortController().signal);
          await granted;
          acquired = true;
          return l;
        },
      },
    });
    const cp = startControlPlane({ store: slowLeader, cycleIntervalMs: 50 });
    const stopped = cp.stop();
    grant();
    const outcome = await Promise.race([stopped.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still leading after 10 s'), 10_000))]);
    expect(acquired).toBe(true);
    expect(outcome).toBe('stopped');
    await store.close();
  });
});
