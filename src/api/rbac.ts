// Role-based access control. Roles are bound per project on User.spec.roles; the table this
// implements is in docs/api.md (Authorization). Every decision is a pure function of the
// principal and the target so the tenancy matrix test can reason about it.
import { ForbiddenError } from '../model/errors.js';
import type { KindDef } from '../model/kind.js';
import { strongestRole, type ProjectRole, type RoleBinding } from '../model/kinds/user.js';
import { isWorkloadKind } from '../control/workload.js';

export interface Principal {
  /** Users hold role bindings; a node token acts for one Node (the agent). */
  kind: 'user' | 'node';
  name: string;
  roles: RoleBinding[];
  tokenId: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'status';

export type { ProjectRole };

/** Project-scoped kinds that project roles may read but only cluster admins may write. */
const ADMIN_WRITTEN_KINDS: ReadonlySet<string> = new Set(['Allocation']);

const READ_VERBS: ReadonlySet<Verb> = new Set(['get', 'list', 'watch']);

export function isRead(verb: Verb): boolean {
  return READ_VERBS.has(verb);
}

export function isClusterAdmin(p: Principal): boolean {
  return p.kind === 'user' && p.roles.some((b) => b.role === 'admin' && !b.project);
}

/** Cluster admins and cluster-wide viewers read every project. */
export function isClusterReader(p: Principal): boolean {
  return isClusterAdmin(p) || (p.kind === 'user' && p.roles.some((b) => b.role === 'viewer' && !b.project));
}

/** The strongest role the principal holds in `project` ("admin" bound to a project acts as project-admin there). */
export function roleIn(p: Principal, project: string): ProjectRole | undefined {
  return p.kind === 'user' ? strongestRole(p.roles, project) : undefined;
}

/** Projects whose contents the principal may read: every one, or a list. */
export function readableProjects(p: Principal): 'all' | string[] {
  if (isClusterReader(p)) return 'all';
  if (p.kind !== 'user') return [];
  return [...new Set(p.roles.flatMap((b) => (b.project ? [b.project] : [])))].sort();
}

export interface Target {
  project?: string;
  name?: string;
  /** For an existing Allocation: the node it is bound to (node principals may touch only theirs). */
  node?: string;
}

function deny(p: Principal, verb: Verb, def: KindDef, t: Target): never {
  const what = t.name ? `${def.kind} "${t.name}"` : def.plural;
  const where = t.project ? ` in project "${t.project}"` : '';
  const who = p.kind === 'node' ? `node "${p.name}"` : `user "${p.name}"`;
  throw new ForbiddenError(`${who} may not ${verb === 'status' ? 'write the status of' : verb} ${what}${where}`);
}

/**
 * Throws ForbiddenError unless `p` may apply `verb` to `def` at `t`. List and watch without a
 * project (or of Projects / Users) are allowed here and narrowed by listScope.
 */
export function authorize(p: Principal, verb: Verb, def: KindDef, t: Target): void {
  if (isClusterAdmin(p)) return;
  const read = isRead(verb);
  if (p.kind === 'node') {
    if (def.scope === 'cluster' && def.kind !== 'Project' && def.kind !== 'User' && read) return;
    // An agent creates and reports its own Node; changing its spec (cordon, taints) is the operators'.
    if (def.kind === 'Node' && t.name === p.name && (verb === 'status' || verb === 'create')) return;
    if (def.kind === 'Allocation') {
      // Lists and watches are narrowed to the node's own allocations by nodeLabelSelector.
      if (verb === 'list' || verb === 'watch') return;
      if ((verb === 'get' || verb === 'status') && t.node === p.name) return;
    }
    deny(p, verb, def, t);
  }
  if (def.scope === 'project') {
    if (!t.project) {
      if (verb === 'list' || verb === 'watch') return;
      deny(p, verb, def, t);
    }
    const role = roleIn(p, t.project);
    if (read && (role || isClusterReader(p))) return;
    if (verb === 'status') deny(p, verb, def, t);
    // Allocations are the scheduler's bindings: only it (and cluster admins) may write them.
    if (ADMIN_WRITTEN_KINDS.has(def.kind)) deny(p, verb, def, t);
    if (role === 'project-admin' || (role === 'member' && isWorkloadKind(def))) return;
    deny(p, verb, def, t);
  }
  if (!read) deny(p, verb, def, t);
  if (def.kind === 'Project') {
    if (verb !== 'get' || isClusterReader(p) || (t.name && roleIn(p, t.name))) return;
    deny(p, verb, def, t);
  }
  if (def.kind === 'User') {
    if (verb !== 'get' || t.name === p.name) return;
    deny(p, verb, def, t);
  }
}

/** How a list or watch must be narrowed for `p`: everything, some projects, or some names. */
export type ListScope = { all: true } | { projects: string[] } | { names: string[] };

export function listScope(p: Principal, def: KindDef): ListScope {
  if (isClusterAdmin(p)) return { all: true };
  if (p.kind === 'node' && def.kind === 'Allocation') return { all: true }; // narrowed by nodeLabelSelector
  if (def.kind === 'User') return { names: p.kind === 'user' ? [p.name] : [] };
  const readable = readableProjects(p);
  if (def.kind === 'Project') return readable === 'all' ? { all: true } : { names: readable };
  if (def.scope === 'project') return readable === 'all' ? { all: true } : { projects: readable };
  return { all: true };
}

/** Label every Allocation carries naming its node (set when the scheduler creates it). */
export const NODE_LABEL = 'weft.dev/node';

/**
 * The selector a node principal's list or watch of Allocations is forced to: its own node's.
 * Undefined for everyone else (and for other kinds).
 */
export function nodeLabelSelector(p: Principal, def: KindDef): string | undefined {
  return p.kind === 'node' && def.kind === 'Allocation' ? `${NODE_LABEL}=${p.name}` : undefined;
}

/**
 * Who may mint a token for `target` (a user's name and bindings): anyone for themselves, cluster
 * admins for anyone, project-admins for users wholly inside projects they administer — so no
 * token ever carries rights its creator lacks. Join tokens: cluster admins only.
 */
export function authorizeTokenIssue(p: Principal, target: { name: string; roles: RoleBinding[] }, join: boolean): void {
  if (isClusterAdmin(p)) return;
  const who = `${p.kind} "${p.name}"`;
  if (join) throw new ForbiddenError(`${who} may not create join tokens (cluster admins only)`);
  if (p.kind !== 'user') throw new ForbiddenError(`${who} may not create tokens`);
  if (target.name === p.name) return;
  const ok = target.roles.length > 0 && target.roles.every((b) => b.project !== undefined && roleIn(p, b.project) === 'project-admin');
  if (!ok) throw new ForbiddenError(`${who} may not create tokens for user "${target.name}": that user holds roles outside the projects ${p.name} administers`);
}
