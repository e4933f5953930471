// Admission of Queue resources: the tree must stay a tree. A queue whose parent does not exist,
// or whose parent chain would come back to it, is refused with the field named (spec.parent),
// as are quantities that do not parse. Runs inside the write's transaction.
import type { QueueSpec } from '../model/kinds/queue.js';
import type { ResourceInput } from '../model/metadata.js';
import { buildQueueTree, queueInputFromSpec } from '../scheduler/index.js';
import type { StoreTx } from '../store/types.js';

export async function checkQueue(tx: StoreTx, input: ResourceInput): Promise<void> {
  const name = input.metadata.name;
  const spec = input.spec as unknown as QueueSpec;
  const { items } = await tx.list('Queue');
  const stored = items.map((q) => queueInputFromSpec(q.metadata.name, q.spec as unknown as QueueSpec));
  const self = queueInputFromSpec(name, spec);
  try {
    buildQueueTree(stored);
  } catch {
    // The stored tree is already broken elsewhere (a parent was deleted): judge this queue alone.
    if (self.parent !== undefined && !items.some((q) => q.metadata.name === self.parent)) buildQueueTree([self]);
    return;
  }
  buildQueueTree([...stored.filter((q) => q.name !== name), self]);
}
