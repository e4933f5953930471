// The Slurm provider: an existing Slurm cluster, registered as a Cluster, runs the replicas Weft
// places on its nodes. Everything lives in the server (slurmrestd is the only witness of the
// nodes), so liveness is the provider's: cluster-controller.ts keeps the nodes' status.
import type { Provider } from '../provider.js';
import { slurmClusterController, type SlurmClusterOptions } from './cluster-controller.js';
import { SLURM_PROVIDER } from './nodes.js';

export { SLURM_PROVIDER, CLUSTER_LABEL, SLURM_NODE_ANNOTATION } from './nodes.js';

export function slurmProvider(opts: SlurmClusterOptions = {}): Provider {
  return {
    name: SLURM_PROVIDER,
    liveness: 'provider',
    controller: (ctx) => slurmClusterController(ctx, opts),
  };
}
