// Simulated nodes report Ready with a fresh heartbeat, as an agent would, so the control plane
// counts them as live. One transaction per beat keeps a large demo fleet cheap.
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';

export const SIMULATED_LABEL = 'weft.dev/simulated';

export function isSimNode(n: Resource): boolean {
  return (n.spec as { provider?: string }).provider === 'sim';
}

export async function heartbeatNodes(store: Store, nodes: readonly Resource[], now: Date): Promise<void> {
  if (nodes.length === 0) return;
  const at = now.toISOString();
  await store.transaction(async (tx) => {
    for (const n of nodes) {
      const live = await tx.get({ kind: 'Node', name: n.metadata.name });
      if (!live || !isSimNode(live)) continue;
      const status = { ...(live.status ?? {}), state: 'Ready', lastHeartbeatTime: at, simulated: true };
      await tx.update({ ...live, status });
    }
  });
}
