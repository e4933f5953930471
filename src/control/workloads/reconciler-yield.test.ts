// A controller starting on a store full of workloads reconciles them one by one; that run must
// not keep the rest of the process (the API on the same event loop) waiting until it is done.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { ManualClock } from '../clock.js';
import { WorkloadController, type ReconcileFn } from './reconciler.js';

const JOBS = 200;
let store: Store;

beforeEach(async () => {
  store = await openStore();
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'alpha' }, spec: {} });
  await store.transaction(async (tx) => {
    for (let i = 0; i < JOBS; i++) {
      await tx.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { project: 'alpha', name: `job-${i}` }, spec: { replicas: 1 } });
    }
  });
});
afterEach(async () => {
  await store.close();
});

let passes = 0;
// Each pass holds the thread for a while, as a pass on a large embedded store does.
const step: ReconcileFn = async () => {
  const until = performance.now() + 1;
  while (performance.now() < until);
  passes++;
  return { changed: false };
};

it('lets timers and I/O run while it works through the initial backlog', async () => {
  passes = 0;
  const ctl = new WorkloadController('Job', store, new ManualClock(), step, { tickMs: 60_000 });
  const term = new AbortController();
  const running = ctl.start(term.signal);
  // A macrotask queued now: it runs at the first turn the event loop gets.
  const passesWhenTimerRan = await new Promise<number>((resolve) => setTimeout(() => resolve(passes), 0));
  const deadline = Date.now() + 20_000;
  while (passes < JOBS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  term.abort();
  await running;
  expect(passes).toBe(JOBS);
  expect(passesWhenTimerRan).toBeLessThan(JOBS);
}, 30_000);

it('stops after the workload at hand when its term ends, not after the whole backlog', async () => {
  passes = 0;
  const ctl = new WorkloadController('Job', store, new ManualClock(), step, { tickMs: 60_000 });
  const term = new AbortController();
  const running = ctl.start(term.signal);
  while (passes < 5) await new Promise((r) => setTimeout(r, 0));
  term.abort();
  await running;
  const atStop = passes;
  expect(atStop).toBeLessThan(JOBS);
  // Nothing goes on working after the term ended.
  await new Promise((r) => setTimeout(r, 100));
  expect(passes).toBe(atStop);
}, 30_000);
