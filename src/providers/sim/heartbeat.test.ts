// A still simulated fleet heartbeating for many periods: its nodes stay live (their heartbeats
// advance) yet no Node is rewritten and nothing is appended to the change log, on both engines.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../control/clock.js';
import { storeEngines, type Engine } from '../../store/testing/engines.js';
import type { Store } from '../../store/types.js';
import { registerDemoFleet } from './demo-fleet.js';
import { startSimProvider, type SimProvider } from './provider.js';

for (const [engineName, make] of storeEngines('weft_simbeat')) {
  describe.skipIf(!make)(`sim heartbeats (${engineName})`, () => {
    let store: Store | undefined;
    let engine: Engine | undefined;
    let sim: SimProvider | undefined;
    afterEach(async () => {
      await sim?.stop();
      await store?.close();
      await engine?.destroy();
      sim = store = engine = undefined;
    });

    it('renew a still fleet in place: no Node write, no change-log entry, over many periods', async () => {
      engine = await make!();
      store = await engine.open();
      const clock = new ManualClock();
      await registerDemoFleet(store, { h100Nodes: 6, a100MigNodes: 2 });
      sim = await startSimProvider({ store, clock, heartbeatMs: 20 });
      const names = (await store.list('Node')).items.map((n) => n.metadata.name);
      expect(names).toHaveLength(8);
      // The first beat makes every node Ready; from then on the fleet is still.
      await expect.poll(async () => (await store!.list('Node')).items.every((n) => n.status?.state === 'Ready')).toBe(true);
      const rv = await store.currentResourceVersion();
      const versions = (await store.list('Node')).items.map((n) => n.metadata.resourceVersion);
      for (let k = 1; k <= 5; k++) {
        clock.advance(10_000);
        const at = clock.now().toISOString();
        await expect.poll(async () => [...(await store!.heartbeats.list()).values()].filter((t) => t === at).length).toBe(names.length);
      }
      expect(await store.currentResourceVersion()).toBe(rv);
      expect((await store.list('Node')).items.map((n) => n.metadata.resourceVersion)).toEqual(versions);
    });
  });
}
