// What a write transaction has read by kind — stamps and lists — kept for the rest of the
// transaction. As with WriteCtx.cache (objects by key), nothing but the transaction itself can
// change them while it holds the write lock, and its own writes of a kind drop that kind's reads
// (forgetKindReads). A batch of concurrent writes shares one transaction, so what admission reads
// for every new workload (the policies' stamp, the project's Budgets) is read once per batch, not
// once per write: each read is a round trip under the write lock, and would also send the batch's
// deferred creates out one at a time, since they must reach the database before any read.
import type { ListOptions, ListResult } from './types.js';
import type { WriteCtx } from './resources.js';

const STAMPS = new WeakMap<WriteCtx, Map<string, string>>();
const LISTS = new WeakMap<WriteCtx, Map<string, ListResult>>();

function mapOf<V>(maps: WeakMap<WriteCtx, Map<string, V>>, ctx: WriteCtx): Map<string, V> {
  let m = maps.get(ctx);
  if (!m) maps.set(ctx, (m = new Map()));
  return m;
}

/** The stamp of `kinds`, read once per transaction until it writes one of them. */
export async function cachedStamp(ctx: WriteCtx, kinds: readonly string[], read: () => Promise<string>): Promise<string> {
  const stamps = mapOf(STAMPS, ctx);
  const key = kinds.join(',');
  let stamp = stamps.get(key);
  if (stamp === undefined) stamps.set(key, (stamp = await read()));
  return stamp;
}

/** A list of `kind` with these options, read once per transaction until it writes that kind; the caller gets its own copy. */
export async function cachedList(ctx: WriteCtx, kind: string, opts: ListOptions, read: () => Promise<ListResult>): Promise<ListResult> {
  const lists = mapOf(LISTS, ctx);
  const key = `${kind}\u0000${JSON.stringify(opts)}`;
  let result = lists.get(key);
  if (result === undefined) lists.set(key, (result = await read()));
  return structuredClone(result);
}

/** After the transaction wrote an object of `kind`. */
export function forgetKindReads(ctx: WriteCtx, kind: string): void {
  const stamps = STAMPS.get(ctx);
  if (stamps) for (const key of stamps.keys()) if (key.split(',').includes(kind)) stamps.delete(key);
  const lists = LISTS.get(ctx);
  if (lists) for (const key of lists.keys()) if (key.startsWith(`${kind}\u0000`)) lists.delete(key);
}
