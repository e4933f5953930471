// A Node as readers see it: its status.lastHeartbeatTime is its latest heartbeat. Heartbeats are
// renewed apart from the Node (store.heartbeats), so a live fleet rewrites no Node; the stored
// time is the one of its registration or its last change, and a read puts the renewed one in.
// Watch events carry the Node as stored: a heartbeat is deliberately not a change.
import type { KindDef } from '../model/kind.js';
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';

function withBeat(n: Resource, renewed: string | undefined): Resource {
  const stored = n.status?.lastHeartbeatTime;
  if (renewed === undefined || (typeof stored === 'string' && Date.parse(stored) >= Date.parse(renewed))) return n;
  return { ...n, status: { ...n.status, lastHeartbeatTime: renewed } };
}

/** Objects of `def` as a reader should see them: Nodes with their latest heartbeat. */
export async function withHeartbeats(store: Store, def: KindDef, items: Resource[]): Promise<Resource[]> {
  if (def.kind !== 'Node' || items.length === 0) return items;
  if (items.length === 1) return [withBeat(items[0]!, await store.heartbeats.get(items[0]!.metadata.name))];
  const beats = await store.heartbeats.list();
  return items.map((n) => withBeat(n, beats.get(n.metadata.name)));
}
