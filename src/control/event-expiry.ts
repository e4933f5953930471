// Events are for humans reading what happened lately; kept forever they were most of a busy
// store (hundreds of thousands of them). An Event whose last occurrence is older than the TTL
// (default 1 h, `--event-ttl`) is deleted by the store-maintenance pass (store-maintenance.ts).
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';

export const DEFAULT_EVENT_TTL_MS = 60 * 60_000;
/** Events deleted per transaction: a large backlog goes in short steps, not one long lock. */
const BATCH = 500;

/** When the Event last happened: lastTimestamp, else firstTimestamp, else when it was created. */
function lastSeen(e: Resource): number {
  const spec = e.spec as { lastTimestamp?: unknown; firstTimestamp?: unknown };
  for (const t of [spec.lastTimestamp, spec.firstTimestamp, e.metadata.creationTimestamp]) {
    const ms = typeof t === 'string' ? Date.parse(t) : NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return Infinity; // no time at all: never judged old
}

/** Deletes every Event last seen more than ttlMs before `now`; returns how many went. */
export async function expireEvents(store: Store, now: Date, ttlMs: number): Promise<number> {
  const cutoff = now.getTime() - ttlMs;
  const old: Resource[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list('Event', { limit: 1000, ...(cont ? { continue: cont } : {}) });
    for (const e of page.items) if (lastSeen(e) < cutoff) old.push(e);
    cont = page.continue;
  } while (cont);
  let deleted = 0;
  for (let i = 0; i < old.length; i += BATCH) {
    const batch = old.slice(i, i + BATCH);
    deleted += await store.transaction(async (tx) => {
      let n = 0;
      for (const e of batch) {
        // Re-read: an Event bumped since the list is not old any more.
        const cur = await tx.get({ kind: 'Event', project: e.metadata.project, name: e.metadata.name });
        if (!cur || lastSeen(cur) >= cutoff) continue;
        await tx.delete({ kind: 'Event', project: e.metadata.project, name: e.metadata.name }, { resourceVersion: cur.metadata.resourceVersion });
        n++;
      }
      return n;
    });
  }
  return deleted;
}
