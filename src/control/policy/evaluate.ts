// Running compiled policies over one request: which policies apply, what their mutations write,
// and which validations fail. Pure: the caller (admission, or `weft policy test` offline) supplies
// the object, its project and the user; nothing here reads the store or the clock.
import type { Resource } from '../../model/metadata.js';
import type { PolicyAction, PolicyOperation } from '../../model/kinds/policy.js';
import { POLICY_KINDS } from '../../model/kinds/policy.js';
import { matchesSelector } from '../../store/selector.js';
import { CelRequest, CelRuntimeError, CelUser, fromCel, toCel, type CelBindings } from './cel.js';
import type { CompiledPolicy, CompiledValidation } from './compile.js';
import { formatPath, hasPath, setPath } from './mutate.js';

export interface PolicyUser {
  name: string;
  kind: 'user' | 'node';
  projectRole: string;
  roles: readonly Record<string, string>[];
  labels: Readonly<Record<string, string>>;
  /** GPUs this user's unfinished workloads in the project ask for (only computed when a policy reads user.gpus). */
  gpus: number;
}

export interface PolicyRequest {
  operation: PolicyOperation;
  kind: string;
  name: string;
  /** The object's project; undefined for cluster-scoped kinds. */
  project?: string;
  /** The object as it will be stored (mutations write into it); null for DELETE. */
  object: Record<string, unknown> | null;
  oldObject: Record<string, unknown> | null;
  /** The object's Project; null for cluster-scoped kinds (and a Project's own writes). */
  projectObject: Resource | null;
  /** Whole-GPU equivalents the object asks for. */
  gpus: number;
  dataClass: string;
}

export interface Violation {
  policy: CompiledPolicy;
  action: PolicyAction;
  message: string;
  field?: string;
}

export interface PolicyDecision {
  /** Policies that applied to the request. */
  matched: CompiledPolicy[];
  violations: Violation[];
}

/** The message of a denial, warning or record: names the policy. */
export function violationText(v: Pick<Violation, 'policy' | 'message'>): string {
  return `${v.policy.kind === 'Policy' ? 'policy' : 'project policy'} "${v.policy.name}": ${v.message}`;
}

/** A mutation could not be applied: the request is refused whatever the policy's action. */
export class MutationFailed extends Error {
  constructor(
    readonly policy: CompiledPolicy,
    readonly path: string,
    why: string,
  ) {
    super(`mutation of ${path} failed: ${why}`);
  }
}

function labelsOf(o: Record<string, unknown> | Resource | null): Record<string, string> | undefined {
  const meta = o?.metadata as { labels?: Record<string, string> } | undefined;
  return meta?.labels;
}

/** The cheap part of matching: kind, operation, project, selectors. No CEL. */
export function selects(p: CompiledPolicy, req: PolicyRequest): boolean {
  if (POLICY_KINDS.includes(req.kind as (typeof POLICY_KINDS)[number])) return false; // a policy can always be fixed
  if (p.kinds !== 'all' && !p.kinds.has(req.kind)) return false;
  if (!p.operations.has(req.operation)) return false;
  if (p.scopeProject !== undefined && req.project !== p.scopeProject) return false;
  if (p.projects && (req.project === undefined || !p.projects.has(req.project))) return false;
  if (p.projectSelector && (!req.projectObject || !matchesSelector(p.projectSelector, labelsOf(req.projectObject)))) return false;
  if (p.objectSelector && !matchesSelector(p.objectSelector, labelsOf(req.object ?? req.oldObject))) return false;
  return true;
}

/** The CEL variables of a request, converted once and shared by every policy. */
export class Bindings {
  private cached: CelBindings | undefined;
  constructor(
    private readonly req: PolicyRequest,
    private readonly user: () => PolicyUser,
  ) {}

  get(): CelBindings {
    if (this.cached) return this.cached;
    const r = this.req;
    const u = this.user();
    this.cached = {
      object: toCel(r.object),
      oldObject: toCel(r.oldObject),
      project: toCel(r.projectObject),
      user: new CelUser(u.name, u.kind, u.projectRole, u.roles, u.labels, u.gpus),
      request: new CelRequest(r.operation, r.kind, r.name, r.project ?? '', r.gpus, r.dataClass),
    };
    return this.cached;
  }

  /** The object changed (a mutation): convert it again before the next expression reads it. */
  invalidate(): void {
    this.cached = undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof CelRuntimeError ? e.message : `evaluation error: ${(e as Error).message}`;
}

/** Whether the policy's condition holds; an error in it makes the policy apply and fail (fail closed). */
function conditionHolds(p: CompiledPolicy, b: Bindings): { holds: boolean; error?: string } {
  if (!p.condition) return { holds: true };
  try {
    const v = p.condition.run(b.get());
    if (typeof v !== 'boolean') return { holds: true, error: `match.condition gave ${typeof v}, not a bool` };
    return { holds: v };
  } catch (e) {
    return { holds: true, error: `match.condition: ${errorText(e)}` };
  }
}

/** One value a mutation wrote. */
export interface MutationWrite {
  policy: CompiledPolicy;
  path: string;
  value: unknown;
}

/** Applies every matching policy's mutations to req.object, in policy order; `writes` collects what they wrote. */
export function mutate(policies: readonly CompiledPolicy[], req: PolicyRequest, b: Bindings, writes?: MutationWrite[]): CompiledPolicy[] {
  const applied: CompiledPolicy[] = [];
  if (!req.object) return applied;
  for (const p of policies) {
    if (p.mutations.length === 0 || !selects(p, req)) continue;
    const c = conditionHolds(p, b);
    if (c.error) throw new MutationFailed(p, 'match.condition', c.error);
    if (!c.holds) continue;
    applied.push(p);
    for (const m of p.mutations) {
      if (!m.overwrite && hasPath(req.object, m.path)) continue;
      let value: unknown;
      try {
        value = fromCel(m.program.run(b.get()));
        setPath(req.object, m.path, value);
        writes?.push({ policy: p, path: formatPath(m.path), value });
      } catch (e) {
        throw new MutationFailed(p, formatPath(m.path), e instanceof CelRuntimeError ? e.message : (e as Error).message);
      }
      b.invalidate();
    }
  }
  return applied;
}

function messageOf(v: CompiledValidation, b: Bindings): string {
  if (v.messageProgram) {
    try {
      const m = v.messageProgram.run(b.get());
      if (typeof m === 'string' && m.trim() !== '') return m.slice(0, 1024);
    } catch {
      // The plain message (or the expression) says it well enough.
    }
  }
  return v.message ?? `failed: ${v.program.source}`;
}

/** Runs every matching policy's validations over the (mutated) object. */
export function validate(policies: readonly CompiledPolicy[], req: PolicyRequest, b: Bindings): PolicyDecision {
  const matched: CompiledPolicy[] = [];
  const violations: Violation[] = [];
  for (const p of policies) {
    if (p.validations.length === 0 || !selects(p, req)) continue;
    const c = conditionHolds(p, b);
    if (!c.holds) continue;
    matched.push(p);
    if (c.error) {
      violations.push({ policy: p, action: p.action, message: c.error });
      continue;
    }
    for (const v of p.validations) {
      let ok: unknown;
      try {
        ok = v.program.run(b.get());
      } catch (e) {
        violations.push({ policy: p, action: p.action, message: errorText(e), ...(v.field !== undefined ? { field: v.field } : {}) });
        continue;
      }
      if (ok === true) continue;
      const message = typeof ok === 'boolean' ? messageOf(v, b) : `evaluation error: the expression gave ${typeof ok}, not a bool`;
      violations.push({ policy: p, action: p.action, message, ...(v.field !== undefined ? { field: v.field } : {}) });
    }
  }
  return { matched, violations };
}
