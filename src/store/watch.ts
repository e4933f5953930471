// One watch: catch up from the change log in the database, then follow the shared live feed.
// The cursor (last resourceVersion delivered or skipped) only moves forward, which is what makes
// delivery exactly-once across the switch from table to feed and back (after an overflow).
import { onAbort } from '../model/abort.js';
import type { Sql } from './driver.js';
import { changesQuery, goneError, toFeedEvent, type ChangeFeed, type EventFilter, type ChangeRow, type FeedEvent } from './feed.js';
import { matchesSelector, parseSelector } from './selector.js';
import type { WatchEvent, WatchOptions } from './types.js';
import { parseRv } from './versions.js';

const PAGE = 500;

function makeFilter(opts: WatchOptions): EventFilter {
  const reqs = parseSelector(opts.labelSelector);
  const projects = opts.projects ? new Set(opts.projects) : undefined;
  return (e: FeedEvent) =>
    (opts.kind === undefined || e.kind === opts.kind) &&
    (opts.project === undefined || e.project === opts.project) &&
    (projects === undefined || projects.has(e.project)) &&
    (opts.name === undefined || e.event.object.metadata.name === opts.name) &&
    (reqs.length === 0 || matchesSelector(reqs, e.event.object.metadata.labels));
}

async function readFloor(sql: Sql): Promise<bigint> {
  const [row] = await sql.query<{ floor: string }>('SELECT compacted_rv::text AS floor FROM weft_state', [], 'weft_state_floor');
  return BigInt(row.floor);
}

/** Changes in (after, upTo] matching kind/project/name in SQL; GoneError if compaction got there first. */
async function readPage(sql: Sql, opts: WatchOptions, after: bigint, upTo: bigint): Promise<FeedEvent[]> {
  const params: unknown[] = [after.toString(), upTo.toString()];
  const where = ['rv > $1', 'rv <= $2'];
  if (opts.kind !== undefined) {
    params.push(opts.kind);
    where.push(`kind = $${params.length}`);
  }
  if (opts.project !== undefined) {
    params.push(opts.project);
    where.push(`project = $${params.length}`);
  }
  if (opts.projects !== undefined) {
    params.push(JSON.stringify(opts.projects));
    where.push(`project IN (SELECT jsonb_array_elements_text($${params.length}::jsonb))`);
  }
  if (opts.name !== undefined) {
    params.push(opts.name);
    where.push(`name = $${params.length}`);
  }
  const rows = await sql.query<ChangeRow>(changesQuery(where.join(' AND '), PAGE), params);
  const floor = BigInt(rows[0].floor);
  if (floor > after) throw goneError(after, floor);
  return rows.filter((r) => r.rv !== null).map(toFeedEvent);
}

export function watchChanges(feed: ChangeFeed, sql: Sql, opts: WatchOptions): AsyncIterable<WatchEvent> {
  return { [Symbol.asyncIterator]: () => follow(feed, sql, opts) };
}

async function* follow(feed: ChangeFeed, sql: Sql, opts: WatchOptions): AsyncGenerator<WatchEvent> {
  const { signal } = opts;
  const filter = makeFilter(opts);
  let cursor = parseRv(opts.resourceVersion);
  if (signal.aborted || feed.closed) return;
  const floor = await readFloor(sql);
  // "0" means "everything still in the log"; any other version must not predate the log.
  if (cursor === 0n) cursor = floor;
  else if (cursor < floor) throw goneError(cursor, floor);

  while (!signal.aborted && !feed.closed) {
    const { sub, head } = await feed.subscribe(filter);
    // Aborting drops the subscription at once, even while the consumer is not pulling.
    const stopListening = onAbort(signal, () => feed.unsubscribe(sub));
    try {
      while (cursor < head) {
        if (signal.aborted || sub.closed) return;
        const page = await readPage(sql, opts, cursor, head);
        for (const e of page) {
          cursor = e.rv;
          if (filter(e)) yield e.event;
          if (signal.aborted) return;
        }
        if (page.length < PAGE) cursor = head;
      }
      for (;;) {
        if (signal.aborted || sub.closed) {
          if (sub.error !== undefined) throw sub.error as Error;
          return;
        }
        if (sub.overflowed) break; // too far behind: read the gap from the table again
        const e = sub.take();
        if (!e) {
          await sub.wait();
          continue;
        }
        if (e.rv <= cursor) continue;
        cursor = e.rv;
        yield e.event;
      }
    } finally {
      stopListening();
      feed.unsubscribe(sub);
    }
  }
}
