// The resource service: create / replace / patch / delete / status writes for every kind, each
// one store transaction with admission inside. Authorization is the caller's (API) business.
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../model/errors.js';
import { EXTERNAL_ID_ANNOTATION, EXTERNAL_LABEL } from '../model/annotations.js';
import type { KindDef } from '../model/kind.js';
import { API_VERSION, type Resource, type ResourceInput } from '../model/metadata.js';
import { KINDS } from '../model/registry.js';
import { validateResource } from '../model/validate.js';
import type { ListOptions, ListResult, ObjectKey, Store, StoreTx, TransactionOptions } from '../store/types.js';
import { admit, admitDelete } from './admission.js';
import { CREATED_BY, PolicyDenial, recordPolicyEvents, type AdmissionContext } from './policy/admission.js';
import { applySchemaDefaults } from './defaults.js';
import { isPlainObject, mergePatch } from './merge-patch.js';
import { recordEvent } from './events.js';
import { replicaStatusEvents } from './replica-events.js';
import { mustBeUnusedNetwork } from './networks/admission.js';

/** Where the URL says the object lives. */
export interface Target {
  project?: string;
  name?: string;
}

function keyOf(def: KindDef, target: Target & { name: string }): ObjectKey {
  return def.scope === 'project' ? { kind: def.kind, project: target.project, name: target.name } : { kind: def.kind, name: target.name };
}

/** Checks the envelope against the URL, fills schema defaults and validates. */
function prepare(def: KindDef, body: unknown, target: Target): ResourceInput {
  if (!isPlainObject(body)) throw new BadRequestError('the body must be a JSON object with apiVersion, kind, metadata and spec');
  const doc: Record<string, unknown> = { ...body };
  delete doc.status; // controller-owned: users' writes neither set nor validate it
  // The URL already names the kind; let clients omit the envelope but never contradict it.
  doc.apiVersion ??= API_VERSION;
  doc.kind ??= def.kind;
  if (doc.kind !== def.kind) throw ValidationError.field('kind', `${JSON.stringify(doc.kind)} does not match the URL's kind "${def.kind}"`);
  if (!isPlainObject(doc.metadata)) throw ValidationError.field('metadata', 'is required and must be an object');
  doc.metadata = { ...doc.metadata };
  if (target.name !== undefined) {
    const name = (doc.metadata as Record<string, unknown>).name;
    if (name !== undefined && name !== target.name) throw ValidationError.field('metadata.name', `${JSON.stringify(name)} does not match the URL's name "${target.name}"`);
    (doc.metadata as Record<string, unknown>).name = target.name;
  }
  applySchemaDefaults(def, doc);
  return validateResource(doc, target.project ? { project: target.project } : {}).resource;
}

/**
 * What a write carries besides the object: the caller's TransactionOptions (an API request's audit
 * entry commits in the same transaction as the write it records) and admission's context (the
 * policies in force, who asks; admission leaves what the policies decided in `policyRun`).
 */
export interface WriteContext extends TransactionOptions, AdmissionContext {}

/**
 * Who created an object is the server's to say: set from the caller on create, kept from the
 * stored object on every later write, whatever the body claims.
 */
function stampCreator(input: ResourceInput, creator: string | undefined): void {
  const annotations = { ...input.metadata.annotations };
  delete annotations[CREATED_BY];
  if (creator !== undefined) annotations[CREATED_BY] = creator;
  if (Object.keys(annotations).length > 0) input.metadata.annotations = annotations;
  else delete input.metadata.annotations;
}

/** Counts what the policies decided, once the write committed or was refused by one. */
async function counted<T>(ctx: AdmissionContext, write: () => Promise<T>): Promise<T> {
  try {
    const out = await write();
    ctx.policyRun?.record();
    return out;
  } catch (e) {
    if (e instanceof PolicyDenial) e.run.record();
    throw e;
  }
}

/** Writes an admitted object and, in the same transaction, the Events of the policies it only warned or was recorded by. */
async function writeAdmitted(tx: StoreTx, ctx: AdmissionContext, write: Promise<Resource>): Promise<Resource> {
  const obj = await write;
  if (ctx.policyRun) await recordPolicyEvents(tx, obj, ctx.policyRun);
  return obj;
}

export async function createResource(store: Store, def: KindDef, body: unknown, target: Target, ctx: WriteContext = {}): Promise<Resource> {
  const input = prepare(def, body, { project: target.project });
  stampCreator(input, ctx.requester?.name);
  return counted(ctx, () => store.transaction(async (tx) => writeAdmitted(tx, ctx, tx.create(await admit(tx, def, input, undefined, ctx))), ctx));
}

/**
 * What a create would store, after defaults, validation and admission (policies, quota, budgets,
 * references) as `ctx.requester` — without storing it or counting the policies' decisions.
 */
export async function admitOnly(store: Store, def: KindDef, body: unknown, target: Target, ctx: AdmissionContext = {}): Promise<ResourceInput> {
  const input = prepare(def, body, { project: target.project });
  stampCreator(input, ctx.requester?.name);
  return store.transaction((tx) => admit(tx, def, input, undefined, ctx));
}

export async function replaceResource(store: Store, def: KindDef, body: unknown, target: Target & { name: string }, ctx: WriteContext = {}): Promise<Resource> {
  const input = prepare(def, body, target);
  const expected = input.metadata.resourceVersion;
  return counted(ctx, () =>
    store.transaction(async (tx) => {
      const old = await mustGet(tx, def, target);
      checkVersion(old, expected);
      mustNotBeExternal(old);
      input.status = old.status;
      stampCreator(input, old.metadata.annotations?.[CREATED_BY]);
      return writeAdmitted(tx, ctx, tx.update(await admit(tx, def, input, old, ctx), { resourceVersion: old.metadata.resourceVersion }));
    }, ctx),
  );
}

export async function patchResource(store: Store, def: KindDef, patch: unknown, target: Target & { name: string }, ctx: WriteContext = {}): Promise<Resource> {
  if (!isPlainObject(patch)) throw new BadRequestError('a merge patch must be a JSON object');
  const { status: _ignored, ...userPatch } = patch;
  const expected = isPlainObject(userPatch.metadata) ? userPatch.metadata.resourceVersion : undefined;
  if (expected !== undefined && typeof expected !== 'string') throw ValidationError.field('metadata.resourceVersion', 'must be a string');
  return counted(ctx, () =>
    store.transaction(async (tx) => {
      const old = await mustGet(tx, def, target);
      checkVersion(old, expected);
      mustNotBeExternal(old);
      const { status, ...current } = old;
      const merged = mergePatch(current, userPatch);
      const input = prepare(def, merged, target);
      if (def.scope === 'project' && input.metadata.project !== old.metadata.project) throw ValidationError.field('metadata.project', 'cannot be changed');
      input.status = status;
      stampCreator(input, old.metadata.annotations?.[CREATED_BY]);
      return writeAdmitted(tx, ctx, tx.update(await admit(tx, def, input, old, ctx), { resourceVersion: old.metadata.resourceVersion }));
    }, ctx),
  );
}

/** Status subresource: PUT replaces status, PATCH merges into it; spec is never touched. */
export async function writeStatus(
  store: Store,
  def: KindDef,
  body: unknown,
  target: Target & { name: string },
  mode: 'replace' | 'merge',
  opts: TransactionOptions = {},
  now: Date = new Date(),
): Promise<Resource> {
  if (!isPlainObject(body) || !isPlainObject(body.status)) throw ValidationError.field('status', 'is required and must be an object');
  const expected = isPlainObject(body.metadata) ? body.metadata.resourceVersion : undefined;
  if (expected !== undefined && typeof expected !== 'string') throw ValidationError.field('metadata.resourceVersion', 'must be a string');
  const patch = body.status;
  return store.transaction(async (tx) => {
    const old = await mustGet(tx, def, target);
    checkVersion(old, expected);
    const status = mode === 'replace' ? patch : mergePatch(old.status ?? {}, patch);
    const { resource } = validateResource({ ...old, status }, target.project ? { project: target.project } : {});
    const written = await tx.update(resource, { resourceVersion: old.metadata.resourceVersion });
    if (def.kind === 'Allocation') for (const e of replicaStatusEvents(written, old.status, written.status)) await recordEvent(tx, written, e, now);
    return written;
  }, opts);
}

export async function deleteResource(store: Store, def: KindDef, target: Target & { name: string }, resourceVersion?: string, ctx: WriteContext = {}): Promise<Resource> {
  return counted(ctx, () =>
    store.transaction(async (tx) => {
      const old = await mustGet(tx, def, target);
      checkVersion(old, resourceVersion);
      mustNotBeExternal(old);
      if (def.kind === 'Project') await mustBeEmpty(tx, target.name);
      if (def.kind === 'DataClass') await mustBeUnused(tx, target.name);
      if (def.kind === 'Reservation') mustNotHaveStarted(old);
      if (def.kind === 'Network') await mustBeUnusedNetwork(tx, target.project ?? '', target.name);
      await admitDelete(tx, def, old, ctx);
      return writeAdmitted(tx, ctx, tx.delete(keyOf(def, target), { resourceVersion: old.metadata.resourceVersion }));
    }, ctx),
  );
}

export async function getResource(store: Store, def: KindDef, target: Target & { name: string }): Promise<Resource> {
  return mustGet(store, def, target);
}

export function listResources(store: Store, def: KindDef, opts: ListOptions): Promise<ListResult> {
  return store.list(def.kind, opts);
}

/**
 * A reservation is billed for its window once it has started, so it is kept from then on (its
 * invoice reads it); early release is a shorter spec.end. Before its start, deleting it cancels it.
 */
function mustNotHaveStarted(obj: Resource): void {
  const phase = obj.status?.phase;
  if (phase === 'Active' || phase === 'Ended') {
    throw new ConflictError(`Reservation "${obj.metadata.name}" has ${phase === 'Active' ? 'started' : 'ended'} and is billed for its window; to release it early, set spec.end to now`);
  }
}

/** Work mirrored from an external engine (a Slurm job run with sbatch) changes there, not here. */
function mustNotBeExternal(obj: Resource): void {
  const engine = obj.metadata.labels?.[EXTERNAL_LABEL];
  if (engine === undefined) return;
  const id = obj.metadata.annotations?.[EXTERNAL_ID_ANNOTATION];
  throw new ConflictError(`${obj.kind} "${obj.metadata.name}" mirrors ${engine} job ${id ?? '?'} submitted there directly; it is read-only in Weft: change or cancel it in ${engine}`);
}

async function mustGet(tx: StoreTx, def: KindDef, target: Target & { name: string }): Promise<Resource> {
  const obj = await tx.get(keyOf(def, target));
  if (!obj) throw new NotFoundError(def.scope === 'project' ? `${def.kind} "${target.name}" not found in project "${target.project}"` : `${def.kind} "${target.name}" not found`);
  return obj;
}

/** A resourceVersion as the server hands them out: a decimal integer. */
const RESOURCE_VERSION = /^[0-9]{1,19}$/;

function checkVersion(obj: Resource, expected: string | undefined): void {
  // A malformed version is a mistake in the request (422), not a concurrent change (409).
  if (expected !== undefined && !RESOURCE_VERSION.test(expected)) {
    throw ValidationError.field('metadata.resourceVersion', `${JSON.stringify(expected.slice(0, 40))} is not a resourceVersion (a decimal number as the server returned it)`);
  }
  if (expected !== undefined && expected !== obj.metadata.resourceVersion) {
    throw new ConflictError(`${obj.kind} "${obj.metadata.name}" was modified: resourceVersion ${expected} is stale (now ${obj.metadata.resourceVersion}); read it again and retry`);
  }
}

/** Deleting a data class in use would silently lift its residency and isolation from its projects. */
async function mustBeUnused(tx: StoreTx, dataClass: string): Promise<void> {
  const user = (await tx.list('Project')).items.find((p) => (p.spec as { dataClass?: string }).dataClass === dataClass);
  if (user) throw new ConflictError(`data class "${dataClass}" is in use by project "${user.metadata.name}"; move its projects to another class first`);
}

/** A project's objects would be orphaned (and invisible to everyone but admins) if it went away. */
async function mustBeEmpty(tx: StoreTx, project: string): Promise<void> {
  for (const def of KINDS) {
    if (def.scope !== 'project') continue;
    const { items } = await tx.list(def.kind, { project, limit: 1 });
    if (items.length > 0) throw new ConflictError(`project "${project}" still holds ${def.plural} (e.g. "${items[0]!.metadata.name}"); delete them first`);
  }
}
