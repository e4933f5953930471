// The control plane of one server process: wait to become leader (several replicas may share a
// PostgreSQL database; the embedded engine has one process), then run the scheduling loop and the
// controllers until leadership is lost or the process stops. Losing leadership stops everything
// it started; the process then queues for leadership again.
import { setMaxListeners } from 'node:events';
import { onAbort } from '../model/abort.js';
import type { Store } from '../store/types.js';
import { systemClock, type Clock } from './clock.js';
import { PolicySource } from './policy-source.js';
import type { QueuePositions } from './queue-positions.js';
import { SchedulingLoop, type CycleStats } from './scheduling-loop.js';
import { jobAdapter } from './workloads/job-adapter.js';
import type { WorkloadAdapter } from './workloads/types.js';

/** Anything that runs while this process leads: a workload controller, a provider, … */
export interface Controller {
  start(signal: AbortSignal): Promise<void>;
}

export interface ControlPlaneOptions {
  store: Store;
  clock?: Clock;
  /** Placement policy (default "weft"). */
  policy?: string;
  /** Longest gap between scheduling cycles (default 1000 ms). */
  cycleIntervalMs?: number;
  /** Workload adapters (default: Jobs). */
  adapters?: readonly WorkloadAdapter[];
  controllers?: readonly Controller[];
  /** Where the scheduling loop leaves each cycle's queue positions for the API to serve. */
  positions?: QueuePositions;
  log?: (msg: string) => void;
  onCycle?: (s: CycleStats) => void;
}

export interface ControlPlane {
  /** Resolves once this process leads (tests wait on it). */
  readonly leading: Promise<void>;
  stop(): Promise<void>;
}

export const LEADER_NAME = 'weft-control-plane';

export function startControlPlane(opts: ControlPlaneOptions): ControlPlane {
  const log = opts.log ?? (() => undefined);
  new PolicySource(opts.policy ?? 'weft'); // an unknown policy fails here, not in every term
  const stopping = new AbortController();
  let becameLeader!: () => void;
  const leading = new Promise<void>((r) => (becameLeader = r));

  async function term(): Promise<void> {
    const leadership = await opts.store.acquireLeadership(LEADER_NAME, stopping.signal);
    log('control plane: leading');
    becameLeader();
    const run = new AbortController();
    // Every controller (and each informer inside one) listens on this signal: one per writer is
    // expected, not a leak.
    setMaxListeners(100, run.signal);
    const stop = (): void => run.abort();
    // A stop that came while leadership was being acquired ends this term at once: the listener
    // of an already aborted signal would never run, and the term would lead on until some part
    // of it failed by itself.
    onAbort(leadership.signal, stop);
    const stopListening = onAbort(stopping.signal, stop);
    const loop = new SchedulingLoop({
      store: opts.store,
      clock: opts.clock ?? systemClock,
      adapters: opts.adapters ?? [jobAdapter],
      policy: opts.policy,
      intervalMs: opts.cycleIntervalMs,
      positions: opts.positions,
      log,
    });
    loop.onCycle = opts.onCycle;
    const tasks = [loop.run(run.signal), ...(opts.controllers ?? []).map((c) => c.start(run.signal))].map((p) =>
      p.catch((e: unknown) => {
        if (!run.signal.aborted) log(`control plane: ${(e as Error).message}`);
        run.abort(); // one part failing ends this term; the next one starts fresh
      }),
    );
    await Promise.all(tasks);
    stopListening();
    await leadership.release();
    if (!stopping.signal.aborted) log('control plane: no longer leading');
  }

  const done = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await term();
      } catch (e) {
        if (stopping.signal.aborted) break;
        log(`control plane: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  })();

  return {
    leading,
    async stop(): Promise<void> {
      stopping.abort();
      await done;
    },
  };
}
