// Operator actions on nodes (docs/api.md, "Nodes and agents"): cordon, uncordon and drain.
// Cordon is a merge patch of spec.unschedulable; drain is its own route so the server stamps the
// request time; uncordon also withdraws a drain request.
import type { Resource } from '../model/metadata.js';
import type { WeftClient } from './client.js';
import { isActiveAllocation } from '../model/allocation-rules.js';
import { DRAIN_ANNOTATION } from '../model/annotations.js';

const nodePath = (name: string): string => `/api/v1/nodes/${encodeURIComponent(name)}`;

export function cordonNode(client: WeftClient, name: string): Promise<Resource> {
  return client.request<Resource>('PATCH', nodePath(name), { body: { spec: { unschedulable: true } }, contentType: 'application/merge-patch+json' });
}

export function uncordonNode(client: WeftClient, name: string): Promise<Resource> {
  return client.request<Resource>('PATCH', nodePath(name), {
    body: { spec: { unschedulable: null }, metadata: { annotations: { [DRAIN_ANNOTATION]: null } } },
    contentType: 'application/merge-patch+json',
  });
}

export function drainNode(client: WeftClient, name: string): Promise<Resource> {
  return client.request<Resource>('POST', `${nodePath(name)}/drain`);
}

/** Active allocations still bound to the node (what a drain is waiting for). */
export async function activeAllocationsOn(client: WeftClient, name: string): Promise<Resource[]> {
  const list = await client.list('Allocation', { labelSelector: `weft.dev/node=${name}` });
  return list.items.filter(isActiveAllocation);
}
