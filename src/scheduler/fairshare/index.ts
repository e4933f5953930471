// Hierarchical fair share (see the scheduler README, "Fair share"): the queue tree, the
// accounting maths over it, admission within a cycle, ordering, and reclaim planning.
export { buildQueueTree, queueInputFromSpec, QueueTree, type QueueInput, type QueueNode } from './tree.js';
export { QueueUsage } from './accounting.js';
export { admitToQueue, chargePlaced, placementCharge, replicaCharge, type QueueAdmission } from './admission.js';
export { compareGangs, fairOrder, orderByFairShare, shareOf } from './ordering.js';
export { borrowingGangs, heldMilli, otherQueueSameTree, reclaimResource, runningCharge, type QueuedGang } from './reclaim.js';
export {
  addInto,
  amountsToVector,
  ANY_GPU_KEY,
  CPU_KEY,
  describeAmount,
  gpuKey,
  MEMORY_KEY,
  replicaGpuMilli,
  resourceName,
  type ResourceVector,
} from './resources.js';
