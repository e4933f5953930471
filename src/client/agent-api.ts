// The node agent's side of the agent protocol (DESIGN §6): registration, its Node's status, the
// status of the allocations bound to it, and log chunks. Thin functions over WeftClient so the
// agent never builds paths by hand.
import type { NodeSpec } from '../model/kinds/node.js';
import type { Resource } from '../model/metadata.js';
import type { WeftClient } from './client.js';

export interface RegisterRequest {
  name: string;
  spec: NodeSpec;
  status?: Record<string, unknown>;
  /** With a cluster admin's token: take over an existing Node of this name (its credential is revoked). */
  replace?: boolean;
}

export interface RegisterResponse {
  node: Resource;
  /** The node-scoped credential ("weft_…") the agent uses from now on. */
  token: string;
}

/**
 * Exchanges the client's token — a one-time join token (new nodes only), the node's own
 * credential, or a cluster admin's — for the node's one live credential.
 */
export function registerNode(client: WeftClient, req: RegisterRequest): Promise<RegisterResponse> {
  return client.request<RegisterResponse>('POST', '/api/v1/nodes/register', { body: req });
}

/**
 * Says the node is alive. The server renews its heartbeat in place: no Node write, no watch
 * event; readers see the time as the Node's status.lastHeartbeatTime.
 */
export function renewNodeHeartbeat(client: WeftClient, node: string): Promise<{ node: string; lastHeartbeatTime: string }> {
  return client.request('POST', `/api/v1/nodes/${encodeURIComponent(node)}/heartbeat`);
}

/** JSON merge patch on the Node's status (body `{status}`): fields not named are left as they are. */
export function patchNodeStatus(client: WeftClient, node: string, patch: Record<string, unknown>): Promise<Resource> {
  return client.request<Resource>('PATCH', `/api/v1/nodes/${encodeURIComponent(node)}/status`, {
    body: { status: patch },
    contentType: 'application/merge-patch+json',
  });
}

export function patchAllocationStatus(
  client: WeftClient,
  project: string,
  allocation: string,
  patch: Record<string, unknown>,
): Promise<Resource> {
  return client.request<Resource>(
    'PATCH',
    `/api/v1/projects/${encodeURIComponent(project)}/allocations/${encodeURIComponent(allocation)}/status`,
    { body: { status: patch }, contentType: 'application/merge-patch+json' },
  );
}

export interface LogChunk {
  /** Per allocation, from 0; the server keeps each seq once, so a resend is harmless. */
  seq: number;
  stream: 'stdout' | 'stderr';
  data: string;
  /** RFC 3339. */
  time?: string;
}

export async function sendLogChunks(client: WeftClient, project: string, allocation: string, chunks: LogChunk[]): Promise<void> {
  await client.request<unknown>(
    'POST',
    `/api/v1/projects/${encodeURIComponent(project)}/allocations/${encodeURIComponent(allocation)}/logs`,
    { body: { chunks } },
  );
}

/** The Secret values a replica's task names, for the node it is bound to only. */
export interface ReplicaSecrets {
  env: Record<string, string>;
  registryAuth: { serveraddress: string; username: string; password: string }[];
}

export function replicaSecrets(client: WeftClient, project: string, allocation: string): Promise<ReplicaSecrets> {
  return client.request<ReplicaSecrets>('GET', `/api/v1/projects/${encodeURIComponent(project)}/allocations/${encodeURIComponent(allocation)}/secrets`);
}
