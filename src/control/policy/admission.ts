// Policies inside one admission transaction (docs/policy.md "Order"): mutations first, on the
// object as submitted; then Weft's own defaults, checks and quota; then validations on the object
// as it will be stored. A Deny violation throws; the rest is counted once the write committed.
import { PolicyDeniedError, ValidationError } from '../../model/errors.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { KindDef } from '../../model/kind.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import type { PolicyOperation } from '../../model/kinds/policy.js';
import { strongestRole, type RoleBinding } from '../../model/kinds/user.js';
import type { ProjectSpec } from '../../model/kinds/project.js';
import { validateResource } from '../../model/validate.js';
import type { StoreTx } from '../../store/types.js';
import { recordEvent } from '../events.js';
import { chargedReplicas, chargesQuota, gpuEquivalents, isWorkloadKind, WORKLOAD_KIND_DEFS, type WorkloadSpec } from '../workload.js';
import type { CompiledPolicy } from './compile.js';
import type { PolicyEngine } from './engine.js';
import { Bindings, mutate, MutationFailed, selects, validate, violationText, type PolicyRequest, type PolicyUser, type Violation } from './evaluate.js';
import type { CalendarCache } from '../reservations/calendar-cache.js';

/** Annotation the API sets on every object it creates: the user (or node) who created it. */
export const CREATED_BY = 'weft.dev/created-by';

/** Who is asking (the API's principal). */
export interface Requester {
  kind: 'user' | 'node';
  name: string;
  roles: readonly RoleBinding[];
}

/** What admission knows beyond the object: the policies in force and who is asking. */
export interface AdmissionContext {
  policies?: PolicyEngine;
  requester?: Requester;
  now?: Date;
  /** Set by admission: what the policies decided, to count once the write committed. */
  policyRun?: PolicyRun;
  /** Seals a Secret's values under the server key (control/secrets). */
  secrets?: SecretBox;
  /** The API server's capacity calendar, kept in memory (reservations/calendar-cache.ts). */
  calendar?: CalendarCache;
  /** Where a Network without a subnet gets one (the server's --network-pool). */
  networkPool?: string;
}

/** Refused by a policy; carries the run so the refusal is counted too. */
export class PolicyDenial extends PolicyDeniedError {
  constructor(
    readonly run: PolicyRun,
    denied: readonly Violation[],
  ) {
    const who = denied.length === 1 ? 'a policy' : `${new Set(denied.map((v) => v.policy.id)).size} policies`;
    const what = `${run.req.operation.toLowerCase()} ${run.req.kind} "${run.req.name}"`;
    super(
      `${who} refused to ${what}: ${denied.map(violationText).join('; ')}`,
      denied.map((v) => ({ field: v.field ?? '', message: violationText(v) })),
    );
  }
}

/** Whole-GPU equivalents a workload spec asks for in all. */
export function requestedGpus(def: KindDef, spec: unknown): number {
  if (!isWorkloadKind(def)) return 0;
  const s = spec as WorkloadSpec;
  return chargedReplicas(s) * gpuEquivalents(s.resources?.gpu);
}

function userOf(r: Requester | undefined, project: string | undefined): PolicyUser {
  if (!r) return { name: '', kind: 'user', projectRole: '', roles: [], labels: {}, gpus: 0 };
  const admin = r.kind === 'user' && r.roles.some((b) => b.role === 'admin' && !b.project);
  const role = admin ? 'admin' : project && r.kind === 'user' ? (strongestRole(r.roles, project) ?? '') : '';
  const roles = r.roles.map((b) => ({ role: b.role, ...(b.project ? { project: b.project } : {}) }));
  return { name: r.name, kind: r.kind, projectRole: role, roles, labels: {}, gpus: 0 };
}

/** GPUs the user's unfinished workloads in the project ask for, except the one being written. */
async function userGpus(tx: StoreTx, user: string, project: string, skip: { kind: string; name: string }): Promise<number> {
  let total = 0;
  for (const def of WORKLOAD_KIND_DEFS) {
    for (const w of (await tx.list(def.kind, { project })).items) {
      if (w.metadata.annotations?.[CREATED_BY] !== user || (w.kind === skip.kind && w.metadata.name === skip.name)) continue;
      if (chargesQuota(w)) total += requestedGpus(def, w.spec);
    }
  }
  return total;
}

/**
 * A Secret as policies see it: the names of its values, never the values, so no policy message,
 * Event or audit entry can echo one (values are sealed only after admission).
 */
function withoutSecretValues(input: ResourceInput | null): ResourceInput | null {
  const data = (input?.spec as { data?: Record<string, string> } | undefined)?.data;
  if (!input || !data) return input;
  const { data: _values, ...spec } = input.spec as Record<string, unknown>;
  return { ...input, spec: { ...spec, keys: Object.keys(data) } };
}

export class PolicyRun {
  matched: CompiledPolicy[] = [];
  violations: Violation[] = [];

  private constructor(
    private readonly engine: PolicyEngine,
    private readonly def: KindDef,
    private readonly policies: readonly CompiledPolicy[],
    readonly req: PolicyRequest,
    private readonly bindings: Bindings,
    private readonly user: string,
    readonly now: Date,
  ) {}

  /** Loads the policies, builds the request and applies the mutations to `input` (undefined when no policy could apply). */
  static async start(
    tx: StoreTx,
    ctx: AdmissionContext,
    def: KindDef,
    operation: PolicyOperation,
    input: ResourceInput | null,
    old: Resource | undefined,
  ): Promise<PolicyRun | undefined> {
    const engine = ctx.policies;
    if (!engine) return undefined;
    const all = await engine.load(tx);
    if (all.length === 0) return undefined;
    const meta = input?.metadata ?? old!.metadata;
    const project = def.scope === 'project' ? meta.project : undefined;
    const projectObject = project ? ((await tx.get({ kind: 'Project', name: project })) ?? null) : null;
    const spec = input?.spec ?? old?.spec;
    const req: PolicyRequest = {
      operation,
      kind: def.kind,
      name: meta.name,
      ...(project ? { project } : {}),
      object: (def.kind === 'Secret' ? withoutSecretValues(input) : input) as unknown as Record<string, unknown> | null,
      oldObject: (old as unknown as Record<string, unknown> | undefined) ?? null,
      projectObject,
      gpus: requestedGpus(def, spec),
      dataClass: (projectObject?.spec as ProjectSpec | undefined)?.dataClass ?? (def.kind === 'Project' ? ((spec as ProjectSpec | undefined)?.dataClass ?? '') : ''),
    };
    const policies = all.filter((p) => selects(p, req));
    if (policies.length === 0) return undefined;
    const user = userOf(ctx.requester, project);
    if (ctx.requester?.kind === 'user' && policies.some((p) => p.reads.user)) {
      const u = await tx.get({ kind: 'User', name: ctx.requester.name });
      user.labels = u?.metadata.labels ?? {};
      if (project && policies.some((p) => p.reads.userGpus)) user.gpus = await userGpus(tx, user.name, project, { kind: def.kind, name: meta.name });
    }
    const run = new PolicyRun(engine, def, policies, req, new Bindings(req, () => user), ctx.requester?.name ?? '', ctx.now ?? new Date());
    if (input) run.applyMutations(input);
    return run;
  }

  private applyMutations(input: ResourceInput): void {
    let applied: CompiledPolicy[];
    try {
      applied = mutate(this.policies, this.req, this.bindings);
    } catch (e) {
      if (!(e instanceof MutationFailed)) throw e;
      throw this.deny([{ policy: e.policy, action: 'Deny', message: e.message }]);
    }
    this.matched.push(...applied);
    if (applied.length === 0) return;
    try {
      validateResource(input, input.metadata.project ? { project: input.metadata.project } : {});
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      const who = applied.map((p) => `"${p.name}"`).join(', ');
      throw new ValidationError(`after the mutations of ${who}: ${e.message}`, e.issues);
    }
  }

  /** Runs the validations on the object as it will be stored; throws when a Deny policy fails. */
  check(stored: ResourceInput | null): void {
    this.req.object = stored as unknown as Record<string, unknown> | null;
    this.bindings.invalidate();
    const d = validate(this.policies, this.req, this.bindings);
    this.matched.push(...d.matched);
    this.violations = d.violations;
    const denied = d.violations.filter((v) => v.action === 'Deny');
    if (denied.length > 0) throw this.deny(denied);
  }

  private deny(denied: Violation[]): PolicyDenial {
    this.violations = [...this.violations.filter((v) => v.action !== 'Deny'), ...denied];
    return new PolicyDenial(this, denied);
  }

  /** Warnings for the caller (the API sends them as Warning headers). */
  warnings(): string[] {
    return this.violations.filter((v) => v.action === 'Warn').map(violationText);
  }

  /** Counts the decision (after the write committed, or once it was refused). */
  record(): void {
    this.engine.record(this.matched, this.violations, this.req, this.user, this.now);
  }

  get kind(): string {
    return this.def.kind;
  }
}

/**
 * Warn and Audit violations leave an Event on the object in the write's own transaction, so
 * `weft describe` shows them and they exist exactly when the write does.
 */
export async function recordPolicyEvents(tx: StoreTx, obj: Resource, run: PolicyRun): Promise<void> {
  for (const v of run.violations) {
    if (v.action === 'Deny') continue;
    await recordEvent(tx, obj, { type: 'Warning', reason: v.action === 'Warn' ? 'PolicyWarning' : 'PolicyAudit', message: violationText(v), source: 'admission' }, run.now);
  }
}
