// `weft policy test`: policies run over objects from files, without a server. The same matching,
// mutations and validations as admission, with what the files say about projects and users; what
// needs the live store (quota, references, user.gpus) is not checked.
import { ValidationError } from '../../model/errors.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import type { PolicyOperation } from '../../model/kinds/policy.js';
import type { ProjectSpec } from '../../model/kinds/project.js';
import { kindDef } from '../../model/registry.js';
import { validateResource } from '../../model/validate.js';
import { applyWorkloadDefaults } from '../admission.js';
import { applySchemaDefaults } from '../defaults.js';
import { isWorkloadKind, type WorkloadSpec } from '../workload.js';
import { requestedGpus } from './admission.js';
import type { CompiledPolicy } from './compile.js';
import { Bindings, mutate, MutationFailed, validate, type MutationWrite, type PolicyUser, type Violation } from './evaluate.js';

export type OfflineResult = 'allow' | 'warn' | 'audit' | 'deny' | 'invalid';

export interface OfflineOutcome {
  result: OfflineResult;
  /** The object as it would be stored (mutated, defaults filled). */
  object: ResourceInput | undefined;
  writes: MutationWrite[];
  violations: Violation[];
  /** Why the object itself is invalid (result 'invalid'). */
  error?: string;
}

export interface OfflineContext {
  operation: PolicyOperation;
  user: PolicyUser;
  /** Projects named in the files, by name; a project not among them is taken as an empty one. */
  projects: ReadonlyMap<string, Resource>;
}

function stubProject(name: string): Resource {
  return { apiVersion: 'weft/v1', kind: 'Project', metadata: { name, uid: '', resourceVersion: '0', generation: 1, creationTimestamp: '' }, spec: {} };
}

export function testObject(policies: readonly CompiledPolicy[], doc: ResourceInput, ctx: OfflineContext): OfflineOutcome {
  const none = { writes: [], violations: [] };
  const def = kindDef(doc.kind);
  if (!def) return { ...none, result: 'invalid', object: undefined, error: `unknown kind "${doc.kind}"` };
  const raw = structuredClone(doc) as unknown as Record<string, unknown>;
  applySchemaDefaults(def, raw);
  let input: ResourceInput;
  try {
    input = validateResource(raw).resource;
  } catch (e) {
    return { ...none, result: 'invalid', object: undefined, error: (e as Error).message };
  }
  const projectName = def.scope === 'project' ? input.metadata.project : undefined;
  const projectObject = projectName ? (ctx.projects.get(projectName) ?? stubProject(projectName)) : null;
  const deleting = ctx.operation === 'DELETE';
  const req = {
    operation: ctx.operation,
    kind: def.kind,
    name: input.metadata.name,
    ...(projectName ? { project: projectName } : {}),
    object: deleting ? null : (input as unknown as Record<string, unknown>),
    oldObject: ctx.operation === 'CREATE' ? null : (structuredClone(input) as unknown as Record<string, unknown>),
    projectObject,
    gpus: requestedGpus(def, input.spec),
    dataClass: (projectObject?.spec as ProjectSpec | undefined)?.dataClass ?? (def.kind === 'Project' ? ((input.spec as ProjectSpec).dataClass ?? '') : ''),
  };
  const bindings = new Bindings(req, () => ctx.user);
  const writes: MutationWrite[] = [];
  try {
    mutate(policies, req, bindings, writes);
  } catch (e) {
    if (!(e instanceof MutationFailed)) throw e;
    return { result: 'deny', object: input, writes, violations: [{ policy: e.policy, action: 'Deny', message: e.message }] };
  }
  try {
    if (writes.length > 0) validateResource(input);
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return { result: 'invalid', object: input, writes, violations: [], error: `after the mutations: ${e.message}` };
  }
  if (!deleting && isWorkloadKind(def)) applyWorkloadDefaults(def.kind, input.spec as unknown as WorkloadSpec, (projectObject?.spec ?? {}) as ProjectSpec);
  bindings.invalidate();
  const { violations } = validate(policies, req, bindings);
  const has = (a: Violation['action']): boolean => violations.some((v) => v.action === a);
  const result: OfflineResult = has('Deny') ? 'deny' : has('Warn') ? 'warn' : has('Audit') ? 'audit' : 'allow';
  return { result, object: input, writes, violations };
}
