// The sim provider: runs in the server process and plays the part a node agent plays on a real
// host, for every node whose spec.provider is 'sim'. It keeps a cache of those nodes and of the
// allocations bound to them (fed by the store's watch), moves each allocation along
// lifecycle.ts, and heartbeats the nodes so they count as live. All timing comes from the
// injected clock and from what is stored, so a restart picks up exactly where it left off.
import type { Resource } from '../../model/metadata.js';
import { ConflictError, GoneError, NotFoundError } from '../../model/errors.js';
import type { Store, WatchEvent } from '../../store/types.js';
import { systemClock, type Clock } from '../../control/clock.js';
import { declaredDuration, type SimDuration } from './duration.js';
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

  const simNodes = new Map<string, Resource>();
  const allocs = new Map<string, Resource>(); // key: project/name
  // Per allocation uid: how long it runs (looked up once from its workload).
  const durations = new Map<string, SimDuration>();

  const keyOf = (r: Resource): string => `${r.metadata.project ?? ''}/${r.metadata.name}`;
  const ours = (a: Resource): boolean => {
    const provider = (a.spec as { provider?: string }).provider;
    if (provider !== undefined) return provider === 'sim';
    return simNodes.has((a.spec as { node?: string }).node ?? '');
  };

  const onNode = (ev: WatchEvent): void => {
    const n = ev.object;
    if (ev.type !== 'DELETED' && isSimNode(n)) {
      const fresh = !simNodes.has(n.metadata.name);
      simNodes.set(n.metadata.name, n);
      if (fresh) void beat([n]);
    } else simNodes.delete(n.metadata.name);
  };
  const onAlloc = (ev: WatchEvent): void => {
    const a = ev.object;
    const cached = allocs.get(keyOf(a));
    // A replayed older version (the watch starts at the older of two list versions) is stale.
    if (cached && BigInt(cached.metadata.resourceVersion) > BigInt(a.metadata.resourceVersion)) return;
    if (ev.type === 'DELETED' || !isActive(a)) {
      allocs.delete(keyOf(a));
      durations.delete(a.metadata.uid);
    } else allocs.set(keyOf(a), a);
  };

  async function durationOf(a: Resource): Promise<SimDuration> {
    const known = durations.get(a.metadata.uid);
    if (known !== undefined) return known;
    const w = (a.spec as { workload: { kind: string; name: string } }).workload;
    const workload = await store.get({ kind: w.kind, project: a.metadata.project, name: w.name });
    const d = declaredDuration(workload, w.kind, defaultMs);
    durations.set(a.metadata.uid, d);
    return d;
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
    for (const a of [...allocs.values()]) {
      if (!ours(a)) continue;
      const duration = await durationOf(a);
      const step = nextStep(a, {
        now: clock.now().getTime(),
        durationMs: duration.ms,
        stopDelayMs,
        fails: () => failureRate > 0 && rng() < failureRate,
      });
      if ('wakeAt' in step) {
        if (step.wakeAt !== null && (wake === null || step.wakeAt < wake)) wake = step.wakeAt;
        continue;
      }
      try {
        const updated = await store.update({ ...a, status: step.write }, { resourceVersion: a.metadata.resourceVersion });
        onAlloc({ type: 'MODIFIED', object: updated });
        await writeLog(updated, step.write, duration);
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
        let wake: number | null = null;
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
  function arm(wakeAt: number | null): void {
    if (timer) clearTimeout(timer);
    if (abort.signal.aborted) return;
    const delay = wakeAt === null ? maxSleep : Math.min(maxSleep, Math.max(0, wakeAt - clock.now().getTime()));
    timer = setTimeout(() => void reconcile(), delay);
    timer.unref?.();
  }

  async function beat(nodes: Resource[]): Promise<void> {
    try {
      await heartbeatNodes(store, nodes, clock.now());
    } catch (err) {
      if (!abort.signal.aborted) log(`sim provider heartbeat: ${(err as Error).message}`);
    }
  }

  // One watch over every kind (filtered here) so `seen` says how far the cache has caught up.
  let seen = 0n;
  const dispatch = (ev: WatchEvent): void => {
    seen = maxRv(seen, ev.object.metadata.resourceVersion);
    if (ev.object.kind === 'Node') onNode(ev);
    else if (ev.object.kind === 'Allocation') {
      onAlloc(ev);
      void reconcile();
    }
  };
  const nodeList = await store.list('Node');
  for (const n of nodeList.items) onNode({ type: 'ADDED', object: n });
  const allocList = await store.list('Allocation');
  for (const a of allocList.items) onAlloc({ type: 'ADDED', object: a });
  const from = BigInt(nodeList.resourceVersion) < BigInt(allocList.resourceVersion) ? nodeList.resourceVersion : allocList.resourceVersion;
  seen = BigInt(from);
  const watching = follow(store, from, dispatch, abort.signal, log);
  await beat([...simNodes.values()]);
  const heartbeat = setInterval(() => void beat([...simNodes.values()]), opts.heartbeatMs ?? 10_000);
  heartbeat.unref?.();
  await reconcile();

  /** Waits until the cache has seen every change committed before the call (bounded). */
  async function caughtUp(): Promise<void> {
    const target = BigInt(await store.currentResourceVersion());
    for (let i = 0; i < 200 && seen < target && !abort.signal.aborted; i++) await new Promise((r) => setTimeout(r, 5));
  }

  return {
    reconcile: async () => {
      await caughtUp();
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

/** Applies every change after `rv`; relists (as MODIFIED events) if the log was compacted. */
async function follow(store: Store, rv: string, onEvent: (ev: WatchEvent) => void, signal: AbortSignal, log: (m: string) => void): Promise<void> {
  let from = rv;
  while (!signal.aborted) {
    try {
      for await (const ev of store.watch({ resourceVersion: from, signal })) {
        from = ev.object.metadata.resourceVersion;
        onEvent(ev);
      }
      return;
    } catch (err) {
      if (signal.aborted) return;
      if (!(err instanceof GoneError)) {
        log(`sim provider watch: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      from = await store.currentResourceVersion();
      for (const kind of ['Node', 'Allocation']) for (const obj of (await store.list(kind)).items) onEvent({ type: 'MODIFIED', object: obj });
    }
  }
}

function maxRv(a: bigint, rv: string): bigint {
  const b = BigInt(rv);
  return b > a ? b : a;
}
