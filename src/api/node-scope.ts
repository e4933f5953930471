// What a node agent's token may reach (contract in docs/api.md, "Nodes and agents"): the
// Allocations bound to its node and its own Node's status. RBAC (rbac.ts) is a pure function of
// the target, so for an existing Allocation the route first looks up which node holds it.
import { isIP } from 'node:net';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../model/errors.js';
import type { KindDef } from '../model/kind.js';
import { TERMINAL_ALLOCATION_PHASES } from '../model/kinds/allocation.js';
import type { Resource } from '../model/metadata.js';
import { isPlainObject } from '../control/merge-patch.js';
import type { Store } from '../store/types.js';
import { Value } from '@sinclair/typebox/value';
import { NodeImages } from '../model/node-images.js';
import type { Principal, Target } from './rbac.js';

export interface NodeScoped {
  target: Target & { name: string };
  /** The Allocation as stored, when the caller is a node agent. */
  current?: Resource;
}

/** Adds the bound node to an Allocation target when the caller is a node agent. */
export async function scopeForNode(store: Store, p: Principal, def: KindDef, t: Target & { name: string }): Promise<NodeScoped> {
  if (p.kind !== 'node' || def.kind !== 'Allocation') return { target: t };
  const obj = await store.get({ kind: def.kind, project: t.project ?? '', name: t.name });
  if (!obj) throw new NotFoundError(`Allocation "${t.name}" not found in project "${t.project ?? ''}"`);
  const node = (obj.spec as { node?: unknown }).node;
  return { target: typeof node === 'string' ? { ...t, node } : t, current: obj };
}

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_ALLOCATION_PHASES);

/**
 * Status fields the control plane owns: an agent's status write never sets or clears them. A
 * Node's address is the one it registered with (the gateway routes only there), so it changes
 * only by registering again.
 */
const SERVER_OWNED: Record<string, readonly string[]> = {
  Node: ['state', 'address', 'lease'],
  Allocation: ['stopRequested', 'consoleRequest', 'tenantNetworks'],
};

/** What a node agent reports about its own Node (docs/api.md, "Nodes and agents"). */
const AGENT_NODE_FIELDS: ReadonlySet<string> = new Set(['lastHeartbeatTime', 'agent', 'inventory', 'cgroups', 'drivers', 'gpuUtilization', 'images', 'leaseAccess']);

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The image list feeds the scheduler (image locality): it must be the bounded shape it promises. */
function checkImages(status: Record<string, unknown>): void {
  if (status.images === undefined || status.images === null || Value.Check(NodeImages, status.images)) return;
  throw ValidationError.field('status.images', `must be ${NodeImages.description ?? 'a list of images'}, each {names, sizeBytes}`);
}

function unknownNodeField(key: string): ValidationError {
  return ValidationError.field(`status.${key}`, `unknown field: a node agent reports ${[...AGENT_NODE_FIELDS].join(', ')} (and address when it registers)`);
}

/** The status a registering agent sends: its known fields, and the address it is reached on. */
export function registeredStatus(status: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(status)) {
    if (k === 'state') continue; // the lifecycle controller's
    if (k === 'address') {
      if (typeof v !== 'string' || !(isIP(v) !== 0 || HOSTNAME.test(v))) throw ValidationError.field('status.address', 'must be an IP address or a host name');
    } else if (!AGENT_NODE_FIELDS.has(k)) {
      throw unknownNodeField(k);
    }
    out[k] = v;
  }
  checkImages(out);
  return out;
}

/**
 * A node agent's status write: merge only (a replace would drop the server's fields and store
 * whatever it was sent), without the fields the control plane owns, and for its Node only the
 * fields an agent reports. Everyone else's body passes unchanged.
 */
export function agentStatusBody(p: Principal, def: KindDef, body: unknown, mode: 'replace' | 'merge', current?: Resource): unknown {
  if (p.kind !== 'node') return body;
  if (mode === 'replace') throw new ForbiddenError(`node "${p.name}" may only merge-patch (PATCH) the status of ${def.kind} objects, not replace it`);
  if (!isPlainObject(body) || !isPlainObject(body.status)) return body;
  const status: Record<string, unknown> = { ...body.status };
  for (const f of SERVER_OWNED[def.kind] ?? []) delete status[f];
  if (def.kind === 'Node') {
    for (const k of Object.keys(status)) if (!AGENT_NODE_FIELDS.has(k)) throw unknownNodeField(k);
    checkImages(status);
  }
  // A replica declared Lost (or otherwise ended) has released its GPUs, which may be someone
  // else's by now: a returning agent cannot bring it back, only stop what still runs.
  const was = current?.status?.phase;
  if (typeof was === 'string' && TERMINAL.has(was) && status.phase !== undefined && status.phase !== was) {
    throw new ConflictError(`Allocation "${current!.metadata.name}" is ${was} and cannot become ${String(status.phase)}: stop the replica`);
  }
  return { ...body, status };
}
