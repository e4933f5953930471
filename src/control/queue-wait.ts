// Observes how long workloads wait to be placed, for the queue-wait histogram. It follows the
// workload kinds' watch (leader only, so replicas of an HA server do not count one placement
// twice) and reports each new placement: status.admittedTime minus the moment the workload
// became pending (status.pendingSince, else its creation for the first placement).
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';
import type { Controller } from './control-plane.js';
import { Informer } from './informer.js';
import { WORKLOAD_KIND_DEFS } from './workload.js';

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
  return {
    async start(signal: AbortSignal): Promise<void> {
      const informer = new Informer({
        store,
        sources: WORKLOAD_KIND_DEFS.map((k) => ({ kind: k.kind })),
        onEvent: (ev) => {
          if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED') return;
          if (ev.initial) return; // placed before this process led: counted by whoever led then
          const wait = placementWait(ev.previous, ev.object);
          if (wait !== undefined) observe((ev.object.spec as { queue?: string }).queue ?? '', wait);
        },
      });
      await informer.run(signal);
    },
  };
}
