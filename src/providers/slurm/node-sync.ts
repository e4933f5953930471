// One look at a Slurm cluster's nodes, written to the store: each node Weft may use becomes (or
// stays) a Weft Node with its hardware in spec and Slurm's state in status, beaten with a fresh
// heartbeat; a node that left Slurm's partitions is removed once nothing runs on it. One
// transaction per look, so a large cluster costs one round trip.
import type { ClusterSpec } from '../../model/kinds/cluster.js';
import { API_VERSION, type Resource } from '../../model/metadata.js';
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { Store } from '../../store/types.js';
import { LABEL_NODE } from '../../control/placement-commit.js';
import { CLUSTER_LABEL, SLURM_NODE_ANNOTATION, inPartitions, nodeSpecOf, nodeStateOf, slurmStateOf, weftNodeName } from './nodes.js';
import type { SlurmNode } from './rest.js';

export interface NodeSyncResult {
  nodes: number;
  gpus: number;
  /** Weft Node name → Slurm node name, for the nodes Weft may use. */
  names: Map<string, string>;
}

export async function syncNodes(store: Store, cluster: Resource, slurmNodes: readonly SlurmNode[], now: Date): Promise<NodeSyncResult> {
  const spec = cluster.spec as unknown as ClusterSpec;
  const name = cluster.metadata.name;
  const wanted = slurmNodes.filter((n) => inPartitions(n, spec.partitions));
  const names = new Map(wanted.map((n) => [weftNodeName(name, n.name), n.name]));
  let gpus = 0;
  await store.transaction(async (tx) => {
    const existing = new Map((await tx.list('Node', { labelSelector: `${CLUSTER_LABEL}=${name}` })).items.map((n) => [n.metadata.name, n]));
    for (const sn of wanted) {
      const nodeName = weftNodeName(name, sn.name);
      const nodeSpec = nodeSpecOf(sn, spec.site);
      gpus += nodeSpec.gpus?.length ?? 0;
      const state = nodeStateOf(sn);
      const status = {
        state,
        slurmState: slurmStateOf(sn),
        ...(sn.reason ? { message: `Slurm: ${sn.reason}` } : {}),
        ...(sn.address ? { addresses: [sn.address] } : {}),
        lastHeartbeatTime: now.toISOString(),
      };
      const old = existing.get(nodeName);
      existing.delete(nodeName);
      const metadata = {
        name: nodeName,
        labels: { ...(old?.metadata.labels ?? {}), [CLUSTER_LABEL]: name },
        annotations: { ...(old?.metadata.annotations ?? {}), [SLURM_NODE_ANNOTATION]: sn.name },
      };
      if (!old) {
        await tx.create({ apiVersion: API_VERSION, kind: 'Node', metadata, spec: nodeSpec as unknown as Record<string, unknown>, status });
        continue;
      }
      // Operators may cordon or taint a Slurm node in Weft: those spec fields are theirs.
      const oldSpec = old.spec as Record<string, unknown>;
      const keep = { unschedulable: oldSpec.unschedulable, taints: oldSpec.taints, rack: oldSpec.rack, nvlinkDomain: oldSpec.nvlinkDomain };
      const merged = { ...nodeSpec, ...Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined)) };
      const prevStatus = old.status ?? {};
      await tx.update({ ...old, metadata: { ...old.metadata, ...metadata }, spec: merged, status: { ...prevStatus, ...status, ...(sn.reason ? {} : { message: undefined }) } });
    }
    // Gone from Slurm (or from the allowed partitions): removed once no active replica is bound to it.
    for (const gone of existing.values()) {
      const bound = await tx.list('Allocation', { labelSelector: `${LABEL_NODE}=${gone.metadata.name}` });
      if (bound.items.some(isActiveAllocation)) {
        await tx.update({ ...gone, status: { ...(gone.status ?? {}), state: 'NotReady', message: 'no longer in the Slurm partitions Weft may use' } });
      } else {
        await tx.delete({ kind: 'Node', name: gone.metadata.name });
      }
    }
  });
  return { nodes: wanted.length, gpus, names };
}
