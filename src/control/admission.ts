// Admission: project-aware defaults, checks the schema cannot express, and quota. Runs inside the
// write's transaction (the store serialises writes), so the quota sum and the write are atomic.
import { NotFoundError, ValidationError, type FieldIssue } from '../model/errors.js';
import type { KindDef } from '../model/kind.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import type { ProjectSpec } from '../model/kinds/project.js';
import type { UserSpec } from '../model/kinds/user.js';
import type { StoreTx } from '../store/types.js';
import { chargesOf, checkQuota, quotaModels, sumCharges, ANY_GPU, type Charges } from './quota.js';
import { chargesQuota, isWorkloadKind, WORKLOAD_KIND_DEFS, type WorkloadSpec } from './workload.js';
import { systemClock } from './clock.js';
import { checkBudgets } from './metering/enforcement.js';
import { checkQueue } from './queue-admission.js';
import { applyIsolationFloor, checkDataClassName, checkSitesExist, isolationFloor, resolvePlacement } from './data-class-admission.js';
import { compilePolicy } from './policy/compile.js';
import { PolicyRun, type AdmissionContext } from './policy/admission.js';
import type { PolicySpec } from '../model/kinds/policy.js';
import { containerSpecIssues, type ContainerSpec } from '../model/container.js';
import { admitSecret, checkSecretReferences } from './secrets/secret-admission.js';
import { admitVolume, checkVolumeMounts } from './volumes.js';
import { admitImage, admitVirtualMachine } from './vm-admission.js';
import { admitReservation } from './reservations/admission.js';
import { admitNetwork } from './networks/admission.js';

/**
 * Returns the object to store (defaults filled in) or throws a typed error naming the field.
 * Policies (ctx.policies) mutate the object first and validate what would be stored last.
 */
export async function admit(tx: StoreTx, def: KindDef, input: ResourceInput, old?: Resource, ctx: AdmissionContext = {}): Promise<ResourceInput> {
  ctx.policyRun = undefined;
  const run = await PolicyRun.start(tx, ctx, def, old ? 'UPDATE' : 'CREATE', input, old);
  const out = await admitObject(tx, def, input, old, ctx.now ?? systemClock.now(), ctx);
  run?.check(out);
  ctx.policyRun = run;
  return out;
}

/** A delete passes the policies that match DELETE (with `object` null and `oldObject` the stored one). */
export async function admitDelete(tx: StoreTx, def: KindDef, old: Resource, ctx: AdmissionContext = {}): Promise<void> {
  ctx.policyRun = undefined;
  const run = await PolicyRun.start(tx, ctx, def, 'DELETE', null, old);
  run?.check(null);
  ctx.policyRun = run;
}

async function admitObject(tx: StoreTx, def: KindDef, input: ResourceInput, old: Resource | undefined, now: Date, ctx: AdmissionContext): Promise<ResourceInput> {
  if (def.kind === 'User') checkUser(input.spec as unknown as UserSpec);
  if (def.kind === 'Policy' || def.kind === 'ProjectPolicy') compilePolicy(def.kind, input.metadata.name, input.metadata.project, input.spec as unknown as PolicySpec);
  if (def.kind === 'Queue') await checkQueue(tx, input);
  if (def.kind === 'Project') {
    await checkDataClassName(tx, (input.spec as ProjectSpec).dataClass);
    await checkSitesExist(tx, 'spec.allowedSites', (input.spec as ProjectSpec).allowedSites, (old?.spec as ProjectSpec | undefined)?.allowedSites);
  }
  if (def.scope !== 'project') return input;
  const projectName = input.metadata.project!;
  const project = await tx.get({ kind: 'Project', name: projectName });
  if (!project) throw new NotFoundError(`project "${projectName}" not found`);
  if (def.kind === 'Secret') await admitSecret(tx, input, old, ctx.secrets);
  if (def.kind === 'Network') await admitNetwork(tx, input, old, ctx.networkPool);
  if (def.kind === 'Volume') await admitVolume(tx, input, old);
  if (def.kind === 'Image') {
    admitImage(projectName, input.spec as Parameters<typeof admitImage>[1]);
    await checkDataClassName(tx, (input.spec as { dataClass?: string }).dataClass);
  }
  if (def.kind === 'Reservation' || def.kind === 'Lease') await admitReservation(tx, input, old, now, ctx.calendar);
  if (!isWorkloadKind(def)) return input;
  // An exhausted, enforcing budget refuses new work only; running and existing work continue.
  if (!old) await checkBudgets(tx, projectName, now);

  const projectSpec = project.spec as ProjectSpec;
  const spec = input.spec as unknown as WorkloadSpec;
  const oldSpec = old?.spec as WorkloadSpec | undefined;
  const explicitIsolation = spec.isolation !== undefined;
  applyWorkloadDefaults(def.kind, spec, projectSpec);
  applyIsolationFloor(spec, await isolationFloor(tx, projectSpec), explicitIsolation);
  if (def.kind === 'VirtualMachine') await admitVirtualMachine(tx, projectName, input, old);
  checkReplicas(def.kind, spec);
  throwIssues(containerSpecIssues(input.spec as ContainerSpec));
  await checkSecretReferences(tx, projectName, input.spec as Parameters<typeof checkSecretReferences>[2]);
  await checkVolumeMounts(tx, projectName, (input.spec as ContainerSpec).volumeMounts);
  await checkReferences(tx, spec, oldSpec, projectName);
  await checkSitesExist(tx, 'spec.placement.sites', spec.placement?.sites, oldSpec?.placement?.sites);
  await resolvePlacement(tx, spec, projectName, projectSpec);
  if (projectSpec.quota && chargesQuota({ spec: input.spec, status: old?.status })) {
    const quota = projectSpec.quota;
    const inUse = await chargesInProject(tx, projectName, quota, { kind: def.kind, name: input.metadata.name });
    const previous = old && chargesQuota(old) ? chargesOf(oldSpec!, quota) : new Map<string, number>();
    checkQuota(projectName, quota, chargesOf(spec, quota), inUse, previous);
  }
  return input;
}

/** The defaults admission fills into a workload spec that need nothing but the spec and its project. */
export function applyWorkloadDefaults(kind: string, spec: WorkloadSpec, project: ProjectSpec): void {
  applyKindDefaults(kind, spec);
  applyProjectDefaults(spec, project);
}

/** A Job is one gang of `replicas`; a Service scales between min and max; others run one replica. */
function applyKindDefaults(kind: string, spec: WorkloadSpec): void {
  if (kind === 'Job') {
    spec.replicas ??= 1;
    if (typeof spec.replicas === 'number') spec.gang ??= { minAvailable: spec.replicas };
  } else if (kind === 'Service') {
    spec.replicas ??= { min: 1, max: 1 };
  } else if (kind === 'VirtualMachine') {
    // A VM has at least one vCPU and some memory; its GPUs are passed through, never shared.
    spec.resources.cpu ??= '1';
    spec.resources.memory ??= '1Gi';
    spec.isolation ??= 'dedicated';
  }
}

function applyProjectDefaults(spec: WorkloadSpec, project: ProjectSpec): void {
  const gpu = spec.resources?.gpu;
  spec.isolation ??= project.defaultIsolation ?? (!gpu ? 'shared' : 'share' in gpu ? 'shared' : 'mig' in gpu ? 'mig' : 'dedicated');
  if (spec.queue === undefined && project.defaultQueue !== undefined) spec.queue = project.defaultQueue;
  // Keep model-less GPU requests on the models the project has quota for, so the scheduler
  // cannot land them on a model the quota does not allow.
  const quotaGpu = project.quota?.gpu;
  if (gpu && gpu.models === undefined && quotaGpu && quotaGpu[ANY_GPU] === undefined) {
    const models = quotaModels(project.quota!);
    if (models.length > 0) gpu.models = models;
  }
}

function checkReplicas(kind: string, spec: WorkloadSpec): void {
  const r = spec.replicas;
  if (typeof r === 'object' && r.min > r.max) {
    throw ValidationError.field('spec.replicas.max', `must be at least spec.replicas.min (${r.min}), got ${r.max}`);
  }
  const rollout = (spec as { rollout?: { maxSurge?: number; maxUnavailable?: number } }).rollout;
  if (kind === 'Service' && rollout && (rollout.maxSurge ?? 1) === 0 && (rollout.maxUnavailable ?? 0) === 0) {
    throw ValidationError.field('spec.rollout', 'maxSurge and maxUnavailable cannot both be 0: a rolling update could never progress');
  }
  const replicas = typeof r === 'number' ? r : 1;
  if (typeof r !== 'object' && spec.gang && spec.gang.minAvailable > replicas) {
    throw ValidationError.field('spec.gang.minAvailable', `must not exceed spec.replicas (${replicas}), got ${spec.gang.minAvailable}`);
  }
}

/** References must resolve when set or changed; an unchanged one may outlive its target. */
async function checkReferences(tx: StoreTx, spec: WorkloadSpec, old: WorkloadSpec | undefined, project: string): Promise<void> {
  const issues: FieldIssue[] = [];
  const queue = spec.queue !== undefined && spec.queue !== old?.queue ? await tx.get({ kind: 'Queue', name: spec.queue }) : undefined;
  if (spec.queue !== undefined && spec.queue !== old?.queue && !queue) {
    issues.push({ field: 'spec.queue', message: `queue "${spec.queue}" does not exist` });
  }
  // A queue bound to a project spends that project's quota: no other project may submit to it.
  const owner = (queue?.spec as { project?: string } | undefined)?.project;
  if (owner !== undefined && owner !== project) issues.push({ field: 'spec.queue', message: `queue "${spec.queue}" belongs to project "${owner}"` });
  const reservation = (spec as { reservation?: string }).reservation;
  if (reservation !== undefined && reservation !== (old as { reservation?: string } | undefined)?.reservation && !(await tx.get({ kind: 'Reservation', project, name: reservation }))) {
    issues.push({ field: 'spec.reservation', message: `reservation "${reservation}" does not exist in project "${project}"` });
  }
  if (spec.priorityClass !== undefined && spec.priorityClass !== old?.priorityClass && !(await tx.get({ kind: 'PriorityClass', name: spec.priorityClass }))) {
    issues.push({ field: 'spec.priorityClass', message: `priority class "${spec.priorityClass}" does not exist` });
  }
  throwIssues(issues);
}

function throwIssues(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}

function checkUser(spec: UserSpec): void {
  const issues: FieldIssue[] = [];
  spec.roles.forEach((b, i) => {
    if (!b.project && (b.role === 'project-admin' || b.role === 'member')) {
      issues.push({ field: `spec.roles.${i}.project`, message: `is required for role ${b.role}` });
    }
  });
  throwIssues(issues);
}

/** Sum of the charges of every unfinished workload in the project, except `skip` (being replaced). */
async function chargesInProject(tx: StoreTx, project: string, quota: NonNullable<ProjectSpec['quota']>, skip: { kind: string; name: string }): Promise<Charges> {
  const total: Charges = new Map();
  for (const def of WORKLOAD_KIND_DEFS) {
    const { items } = await tx.list(def.kind, { project });
    for (const obj of items) {
      if (def.kind === skip.kind && obj.metadata.name === skip.name) continue;
      if (chargesQuota(obj)) sumCharges(total, chargesOf(obj.spec as unknown as WorkloadSpec, quota));
    }
  }
  return total;
}
