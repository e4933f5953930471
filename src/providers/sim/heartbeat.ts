// Simulated nodes heartbeat as an agent would, so the control plane counts them as live: each
// beat renews their heartbeats in place (store.heartbeats: no resource write, no change-log entry)
// and writes a Node only when its status is not yet what a live simulated node reports, so a
// still demo fleet costs the store nothing but those small rows.
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';

export const SIMULATED_LABEL = 'weft.dev/simulated';

export function isSimNode(n: Resource): boolean {
  return (n.spec as { provider?: string }).provider === 'sim';
}

function reportsLive(n: Resource): boolean {
  return n.status?.state === 'Ready' && n.status.simulated === true;
}

export async function heartbeatNodes(store: Store, nodes: readonly Resource[], now: Date): Promise<void> {
  const sim = nodes.filter(isSimNode);
  if (sim.length === 0) return;
  await store.heartbeats.renew(sim.map((n) => n.metadata.name), now);
  const stale = sim.filter((n) => !reportsLive(n));
  if (stale.length === 0) return;
  const at = now.toISOString();
  await store.transaction(async (tx) => {
    for (const n of stale) {
      const live = await tx.get({ kind: 'Node', name: n.metadata.name });
      if (!live || !isSimNode(live) || reportsLive(live)) continue;
      await tx.update({ ...live, status: { ...(live.status ?? {}), state: 'Ready', lastHeartbeatTime: at, simulated: true } });
    }
  });
}
