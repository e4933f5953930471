// Fixtures for end-to-end tests of the control plane: the real scheduling loop (and, by default,
// the workload controllers) on an in-memory store and a manual clock, plus a stand-in provider
// that runs what is bound and ends what is asked to stop — Preempted when the stop reason says
// so, as the simulated provider does (docs/lifecycle.md). Test-only: left out of the build.
import { afterEach } from 'vitest';
import type { ResourceInput } from '../../model/metadata.js';
import { openStore } from '../../store/index.js';
import type { Store } from '../../store/types.js';
import { ManualClock } from '../clock.js';
import { startControlPlane, type ControlPlane } from '../control-plane.js';
import { isActive, stopRequested } from '../workloads/allocations.js';
import { createWorkloadControllers } from '../workloads/index.js';

export { until } from './until.js';

export interface LivePlaneOptions {
  /** Created first; the tests' workloads live in it. */
  project: string;
  /** Creates what must exist before the loop starts (priority classes, queues, nodes). */
  seed?: (store: Store) => Promise<void>;
  /** Run the workload controllers and the stand-in provider (default true); false: the scheduling loop alone. */
  workloads?: boolean;
  /** Allocations the provider fails once (exit code 1) instead of starting them. */
  failOnce?: Set<string>;
}

export interface LivePlane {
  store: Store;
  clock: ManualClock;
  cp: ControlPlane;
  /** Stops the provider, the control plane and the store, in that order. */
  close(): Promise<void>;
}

export async function startLivePlane(opts: LivePlaneOptions): Promise<LivePlane> {
  const clock = new ManualClock();
  const store = await openStore({ now: () => clock.now() });
  await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: opts.project }, spec: {} });
  await opts.seed?.(store);
  const withWorkloads = opts.workloads !== false;
  const wc = withWorkloads ? createWorkloadControllers({ store, clock, tickMs: 20 }) : {};
  const cp = startControlPlane({ store, clock, cycleIntervalMs: 50, ...wc });
  await cp.leading;
  const provider = new AbortController();
  if (withWorkloads) runStandInProvider(store, clock, provider.signal, opts.failOnce ?? new Set());
  return {
    store,
    clock,
    cp,
    async close() {
      provider.abort();
      await cp.stop();
      await store.close();
    },
  };
}

/** For a test file: starts a plane per test and closes it after each (register once, at the top level). */
export function livePlanes(): (opts: LivePlaneOptions) => Promise<LivePlane> {
  let open: LivePlane | undefined;
  afterEach(async () => {
    const p = open;
    open = undefined;
    await p?.close();
  });
  return async (opts) => (open = await startLivePlane(opts));
}

/** Starts every bound allocation and ends every one asked to stop, until `signal` aborts. */
export function runStandInProvider(store: Store, clock: ManualClock, signal: AbortSignal, failOnce: Set<string>): void {
  void (async () => {
    while (!signal.aborted) {
      // The plane may close its store under a list in flight: that ends the loop, nothing else does.
      const listed = await store.list('Allocation').catch((e: unknown) => {
        if (signal.aborted) return undefined;
        throw e;
      });
      if (!listed) return;
      for (const a of listed.items) {
        if (!isActive(a)) continue;
        const at = clock.now().toISOString();
        const stop = stopRequested(a);
        const next: Record<string, unknown> | undefined = stop
          ? { phase: /preempt/i.test(stop.reason) ? 'Preempted' : 'Stopped', finishedAt: at }
          : failOnce.delete(a.metadata.name)
            ? { phase: 'Failed', exitCode: 1, finishedAt: at }
            : !a.status?.phase
              ? { phase: 'Running', startedAt: at }
              : undefined;
        if (next) await store.update({ ...a, status: { ...a.status, ...next } }, { resourceVersion: a.metadata.resourceVersion }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
}

/** A node with 64 cores, 512 GiB and eight H100-80GB GPUs. */
export function h100Node(name: string): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Node',
    metadata: { name },
    spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) },
  };
}
