// Observes how long workloads wait to be placed, for the queue-wait histogram. It follows the
// workload kinds' watch (leader only, so replicas of an HA server do not count one placement
// twice) and reports each new placement: status.admittedTime minus the moment the workload
// became pending (status.pendingSince, else its creation for the first placement).
import { GoneError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';
import type { Controller } from './control-plane.js';
import { WORKLOAD_KINDS } from './workload.js';

export type WaitObserver = (queue: string, seconds: number) => void;

interface WaitStatus {
  admittedTime?: unknown;
  pendingSince?: unknown;
}

/** Seconds `after` waited, given the version seen before (undefined = not a new placement). */
export function placementWait(before: Resource | undefined, after: Resource): number | undefined {
  const st = (after.status ?? {}) as WaitStatus;
  const admitted = typeof st.admittedTime === 'string' ? Date.parse(st.admittedTime) : NaN;
  if (Number.isNaN(admitted)) return undefined;
  const prev = (before?.status ?? {}) as WaitStatus;
  if (prev.admittedTime === st.admittedTime) return undefined;
  const sinceText = typeof st.pendingSince === 'string' ? st.pendingSince : prev.admittedTime === undefined ? after.metadata.creationTimestamp : undefined;
  const since = sinceText ? Date.parse(sinceText) : NaN;
  if (Number.isNaN(since) || since > admitted) return undefined;
  return (admitted - since) / 1000;
}

export function queueWaitController(store: Store, observe: WaitObserver): Controller {
  const kinds = new Set(WORKLOAD_KINDS.map((k) => k.kind));
  return {
    async start(signal: AbortSignal): Promise<void> {
      while (!signal.aborted) {
        const seen = new Map<string, Resource>();
        let from: string | undefined;
        for (const k of kinds) {
          const { items, resourceVersion } = await store.list(k);
          from ??= resourceVersion;
          for (const o of items) seen.set(o.metadata.uid, o);
        }
        try {
          for await (const ev of store.watch({ resourceVersion: from!, signal })) {
            const o = ev.object;
            if (!kinds.has(o.kind)) continue;
            if (ev.type === 'DELETED') {
              seen.delete(o.metadata.uid);
              continue;
            }
            const before = seen.get(o.metadata.uid);
            if (before && BigInt(before.metadata.resourceVersion) >= BigInt(o.metadata.resourceVersion)) continue;
            seen.set(o.metadata.uid, o);
            const wait = placementWait(before, o);
            if (wait !== undefined) observe((o.spec as { queue?: string }).queue ?? '', wait);
          }
        } catch (e) {
          if (!(e instanceof GoneError)) throw e; // compacted past us: relist and go on
        }
      }
    },
  };
}
