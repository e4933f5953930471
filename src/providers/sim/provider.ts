// The sim provider: runs in the server process and plays the part a node agent plays on a real
// host, for every node whose spec.provider is 'sim'. It keeps a cache of those nodes and of the
// active allocations (an informer), moves each allocation bound to them along
// lifecycle.ts, and heartbeats the nodes so they count as live. All timing comes from the
// injected clock and from what is stored, so a restart picks up exactly where it left off.
import type { Resource } from '../../model/metadata.js';
import { ConflictError, NotFoundError } from '../../model/errors.js';
import type { Store } from '../../store/types.js';
import { systemClock, type Clock } from '../../control/clock.js';
import { Informer } from '../../control/informer.js';
import { declaredDuration, declaredExitCode, type SimDuration } from './duration.js';
import { isActive, nextStep } from './lifecycle.js';
import { heartbeatNodes, isSimNode } from './heartbeat.js';
import { simLogLine } from './logs.js';

export interface SimProviderOptions {
  store: Store;
  clock?: Clock;
  /** Probability in [0, 1] that a replica which finishes on its own fails (exit code 1). */
  failureRate?: number;
  /** How long a Job replica runs when it declares nothing (default 60 s). */
  defaultDurationMs?: number;
  /** Uniform [0, 1); injected so tests decide who fails. */
  rng?: () => number;
  /** Longest a stop takes, whatever grace was asked for (default 2 s). */
  stopDelayMs?: number;
  /** Real-time interval between node heartbeats (default 10 s). */
  heartbeatMs?: number;
  /** Longest real-time sleep between passes, so a moved clock is noticed (default 1 s). */
  maxSleepMs?: number;
  log?: (msg: string) => void;
}

interface Plan {
  /** How long a replica runs (null = until stopped), and why. */
  duration: SimDuration;
  /** Declared by the workload; undefined = drawn against the failure rate. */
  exitCode: number | undefined;
}

export interface SimProvider {
  /** Runs one full pass over the cached allocations; resolves when a pass that began after the call is done. */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSimProvider(opts: SimProviderOptions): Promise<SimProvider> {
  const { store } = opts;
  const clock = opts.clock ?? systemClock;
  const rng = opts.rng ?? Math.random;
  const failureRate = opts.failureRate ?? 0;
  const defaultMs = opts.defaultDurationMs ?? 60_000;
  const stopDelayMs = opts.stopDelayMs ?? 2_000;
  const maxSleep = opts.maxSleepMs ?? 1_000;
  const log = opts.log ?? (() => undefined);
  const abort = new AbortController();

  // Per allocation uid: how long it runs and how it ends (looked up once from its workload).
  const plans = new Map<string, Plan>();
  let resyncing = false;
  // Its nodes and the active allocations; an allocation on a node that is not (or no longer) one
  // of its nodes is left alone.
  const cache = new Informer({
    store,
    sources: [{ kind: 'Node' }, { kind: 'Allocation' }],
    transform: (o) => (o.kind === 'Node' ? (isSimNode(o) ? o : undefined) : isActive(o) ? o : undefined),
    // Every maxSleep, one pass over everything: a clock moved by hand is noticed.
    resyncMs: maxSleep,
    log: (m) => log(`sim provider: ${m}`),
    onEvent: (ev) => {
      const o = ev.object;
      if (ev.type === 'SYNC') {
        if (!resyncing) {
          resyncing = true;
          queueMicrotask(() => {
            resyncing = false;
            void reconcile();
          });
        }
        return;
      }
      if (o.kind === 'Node') {
        if (ev.type === 'ADDED' && !ev.initial) void beat([o]); // the listed ones are beaten together below
        return;
      }
      if (ev.type === 'DELETED') plans.delete(o.metadata.uid);
      void reconcile();
    },
  });
  const ours = (a: Resource): boolean => {
    const provider = (a.spec as { provider?: string }).provider;
    if (provider !== undefined) return provider === 'sim';
    return cache.get('Node', undefined, (a.spec as { node?: string }).node ?? '') !== undefined;
  };

  async function planOf(a: Resource): Promise<Plan> {
    const known = plans.get(a.metadata.uid);
    if (known !== undefined) return known;
    const w = (a.spec as { workload: { kind: string; name: string } }).workload;
    const workload = await store.get({ kind: w.kind, project: a.metadata.project, name: w.name });
    const plan = { duration: declaredDuration(workload, w.kind, defaultMs), exitCode: declaredExitCode(workload) };
    plans.set(a.metadata.uid, plan);
    return plan;
  }

  /** The replica's log line for the step just taken; a lost line never holds up the lifecycle. */
  async function writeLog(a: Resource, written: Resource['status'], duration: SimDuration): Promise<void> {
    const line = simLogLine(a, written ?? {}, duration, clock.now());
    if (!line || !a.metadata.project) return;
    try {
      await store.logs.append({ uid: a.metadata.uid, project: a.metadata.project }, [line]);
    } catch (err) {
      if (!abort.signal.aborted) log(`sim provider logs: ${(err as Error).message}`);
    }
  }

  async function pass(): Promise<number | null> {
    let wake: number | null = null;
    for (const a of [...cache.values('Allocation')]) {
      if (!ours(a)) continue;
      const plan = await planOf(a);
      const step = nextStep(a, {
        now: clock.now().getTime(),
        durationMs: plan.duration.ms,
        stopDelayMs,
        exitCode: () => plan.exitCode ?? (failureRate > 0 && rng() < failureRate ? 1 : 0),
      });
      if ('wakeAt' in step) {
        if (step.wakeAt !== null && (wake === null || step.wakeAt < wake)) wake = step.wakeAt;
        continue;
      }
      try {
        const updated = await store.update({ ...a, status: step.write }, { resourceVersion: a.metadata.resourceVersion });
        cache.wrote(updated);
        await writeLog(updated, step.write, plan.duration);
        wake = clock.now().getTime(); // it may have another step right away (Stopping → Stopped)
      } catch (err) {
        // Someone else wrote it first (or deleted it): the watch brings the new version.
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    }
    return wake;
  }

  // One pass at a time; calls during a pass are folded into one more pass after it.
  let running: Promise<void> | null = null;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  function reconcile(): Promise<void> {
    if (running) {
      again = true;
      return running.then(() => (running ? running : reconcile()));
    }
    running = (async () => {
      do {
        again = false;
        let wake: number | null;
        try {
          wake = await pass();
        } catch (err) {
          if (!abort.signal.aborted) log(`sim provider: ${(err as Error).message}`);
          wake = clock.now().getTime() + maxSleep;
        }
        arm(wake);
      } while (again && !abort.signal.aborted);
    })().finally(() => {
      running = null;
    });
    return running;
  }
  /** A timer for the next step due, looking again at least every maxSleep; with nothing due, the resync looks. */
  function arm(wakeAt: number | null): void {
    if (timer) clearTimeout(timer);
    if (abort.signal.aborted || wakeAt === null) return;
    timer = setTimeout(() => void reconcile(), Math.min(maxSleep, Math.max(0, wakeAt - clock.now().getTime())));
    timer.unref?.();
  }

  async function beat(nodes: Resource[]): Promise<void> {
    try {
      await heartbeatNodes(store, nodes, clock.now());
    } catch (err) {
      if (!abort.signal.aborted) log(`sim provider heartbeat: ${(err as Error).message}`);
    }
  }

  const watching = cache.run(abort.signal);
  await cache.synced;
  await beat([...cache.values('Node')]);
  const heartbeat = setInterval(() => void beat([...cache.values('Node')]), opts.heartbeatMs ?? 10_000);
  heartbeat.unref?.();
  // Started, not awaited: a pass repeats while allocations keep changing, so under a steady stream
  // of placements (or another server's writes) it may not settle for as long as the stream lasts,
  // and the server would not become ready meanwhile.
  void reconcile();

  return {
    reconcile: async () => {
      await cache.caughtUp();
      await reconcile();
    },
    stop: async () => {
      abort.abort();
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      await watching.catch(() => undefined);
    },
  };
}
