// Several kinds as of one version of the store. Listed side by side, their lists can be of
// different versions (a Project listed before it was restricted, a Job after it was made): the
// changes between the oldest and the newest list are read from the change log and folded into
// the kinds listed earlier, so a caller that decides from them never mixes two moments.
import { GoneError } from '../model/errors.js';
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';

const keyOf = (o: Resource): string => `${o.metadata.project ?? ''}/${o.metadata.name}`;

/** Every object of each kind, all as of the newest list's version; lists again if the log was compacted meanwhile. */
export async function listAtOneVersion(store: Store, kinds: readonly string[]): Promise<Map<string, Resource[]>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await listOnce(store, kinds);
    } catch (e) {
      if (!(e instanceof GoneError) || attempt === 3) throw e;
    }
  }
}

async function listOnce(store: Store, kinds: readonly string[]): Promise<Map<string, Resource[]>> {
  const lists = await Promise.all(kinds.map((k) => store.list(k)));
  const listedAt = new Map(kinds.map((k, i) => [k, BigInt(lists[i]!.resourceVersion)]));
  const versions = [...listedAt.values()];
  const oldest = versions.reduce((a, b) => (b < a ? b : a), versions[0] ?? 0n);
  const newest = versions.reduce((a, b) => (b > a ? b : a), 0n);
  if (oldest === newest) return new Map(kinds.map((k, i) => [k, lists[i]!.items]));
  const byKind = new Map(kinds.map((k, i) => [k, new Map(lists[i]!.items.map((o) => [keyOf(o), o]))]));
  // A list's version is that of a committed change, so the log from the oldest reaches the newest.
  const stop = new AbortController();
  try {
    for await (const ev of store.watch({ resourceVersion: oldest.toString(), signal: stop.signal })) {
      const o = ev.object;
      const rv = BigInt(o.metadata.resourceVersion);
      const listed = listedAt.get(o.kind);
      if (listed !== undefined && rv > listed) {
        const items = byKind.get(o.kind)!;
        if (ev.type === 'DELETED') items.delete(keyOf(o));
        else items.set(keyOf(o), o);
      }
      if (rv >= newest) break;
    }
  } finally {
    stop.abort();
  }
  return new Map([...byKind].map(([k, items]) => [k, [...items.values()]]));
}
