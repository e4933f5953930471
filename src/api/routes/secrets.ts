// Secret values for a replica (docs/api.md, "Secrets"):
//   GET /api/v1/projects/{p}/allocations/{name}/secrets   → {env: {NAME: value}, registryAuth: [{serveraddress, username, password}]}
// Only the node the allocation is bound to may ask, and only while it is active: no user, not even
// a cluster admin, reads a value back. It answers with exactly what the allocation's task names
// (env valueFrom.secretKeyRef, imagePullSecrets), opened from the store's sealed values.
import type { FastifyInstance } from 'fastify';
import { ConflictError, ForbiddenError, NotFoundError } from '../../model/errors.js';
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { AllocationTask } from '../../model/kinds/allocation.js';
import type { SealedValues, SecretBox } from '../../control/secrets/secret-box.js';
import { nameParam } from '../params.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

export interface ReplicaSecrets {
  env: Record<string, string>;
  registryAuth: { serveraddress: string; username: string; password: string }[];
}

export function registerSecretRoutes(app: FastifyInstance, deps: RouteDeps & { secrets: SecretBox }): void {
  const { store, secrets } = deps;
  app.get(`${API_PREFIX}/projects/:project/allocations/:name/secrets`, async (req): Promise<ReplicaSecrets> => {
    const params = req.params as Record<string, unknown>;
    const project = nameParam(params.project, 'project');
    const name = nameParam(params.name, 'name');
    const p = principalOf(req);
    if (p.kind !== 'node') throw new ForbiddenError(`${p.kind} "${p.name}" may not read Secret values: only the node running the replica receives them`);
    const alloc = await store.get({ kind: 'Allocation', project, name });
    if (!alloc) throw new NotFoundError(`Allocation "${name}" not found in project "${project}"`);
    if ((alloc.spec as { node?: string }).node !== p.name) throw new ForbiddenError(`node "${p.name}" may not read the Secrets of Allocation "${name}": it runs on another node`);
    if (!isActiveAllocation(alloc)) throw new ConflictError(`Allocation "${name}" is no longer active: its Secrets are not handed out`);
    const task = ((alloc.spec as { task?: AllocationTask }).task ?? {}) as AllocationTask;
    const opened = new Map<string, Record<string, string>>();
    const open = async (secret: string): Promise<Record<string, string>> => {
      let values = opened.get(secret);
      if (!values) {
        const sealed = await store.secrets.get(project, secret);
        if (!sealed) throw new ConflictError(`Secret "${secret}" in project "${project}" no longer exists`);
        values = secrets.open(project, secret, sealed as SealedValues);
        opened.set(secret, values);
      }
      return values;
    };
    const out: ReplicaSecrets = { env: {}, registryAuth: [] };
    for (const e of task.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const value = (await open(ref.name))[ref.key];
      if (value === undefined) throw new ConflictError(`Secret "${ref.name}" in project "${project}" has no key "${ref.key}" any more`);
      out.env[e.name] = value;
    }
    for (const ref of task.imagePullSecrets ?? []) {
      const v = await open(ref.name);
      out.registryAuth.push({ serveraddress: v.server ?? '', username: v.username ?? '', password: v.password ?? '' });
    }
    return out;
  });
}
