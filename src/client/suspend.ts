// Suspending and resuming a workload: a merge patch of spec.suspend. The workload controller
// stops the replicas (Suspended) or queues the workload again (Pending).
import type { WorkloadKind } from '../model/kind-names.js';
import type { WeftClient } from './client.js';

/** Sets spec.suspend; `changed` is false when the workload was already so. */
export async function setSuspended(client: WeftClient, kind: WorkloadKind, name: string, project: string, suspend: boolean): Promise<{ changed: boolean }> {
  const live = await client.get(kind, name, { project });
  if (((live.spec as { suspend?: boolean }).suspend === true) === suspend) return { changed: false };
  // null removes the field, so a resumed workload looks as it did before it was suspended.
  await client.patch(kind, name, { spec: { suspend: suspend ? true : null } }, { project });
  return { changed: true };
}
