// Admission of Secrets and of the workloads that use them. A Secret's values are sealed
// (secret-box.ts) and written to the store's secret table in the write's own transaction; what is
// stored as the resource, and so everything any read returns, is only {type, keys}.
import { ValidationError, type FieldIssue } from '../../model/errors.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { REGISTRY_AUTH_KEYS, type SecretSpec } from '../../model/kinds/secret.js';
import type { EnvVar } from '../../model/workload.js';
import type { StoreTx } from '../../store/types.js';
import type { SecretBox } from './secret-box.js';

export async function admitSecret(tx: StoreTx, input: ResourceInput, old: Resource | undefined, box: SecretBox | undefined): Promise<void> {
  const spec = input.spec as SecretSpec;
  const type = spec.type ?? 'Opaque';
  if (spec.data === undefined) {
    // Labels or annotations changed: the stored values stay as they are.
    if (!old) throw ValidationError.field('spec.data', 'is required: the values this Secret holds');
    const before = old.spec as SecretSpec;
    if (type !== (before.type ?? 'Opaque')) throw ValidationError.field('spec.type', 'can change only together with new spec.data');
    input.spec = { type, keys: before.keys ?? [] };
    return;
  }
  if (type === 'RegistryAuth') {
    const missing = REGISTRY_AUTH_KEYS.filter((k) => !spec.data![k]);
    if (missing.length > 0) throw new ValidationError(`a RegistryAuth Secret needs ${REGISTRY_AUTH_KEYS.join(', ')}`, missing.map((k) => ({ field: `spec.data.${k}`, message: 'is required for a RegistryAuth Secret' })));
  }
  if (!box) throw new Error('no secret box: the server was assembled without its server key');
  const project = input.metadata.project!;
  await tx.secrets.put(project, input.metadata.name, box.seal(project, input.metadata.name, spec.data));
  input.spec = { type, keys: Object.keys(spec.data).sort() };
}

interface SecretUser {
  env?: EnvVar[];
  imagePullSecrets?: { name: string }[];
}

/** Each env entry has exactly one of value and valueFrom; every Secret and key it names exists. */
export async function checkSecretReferences(tx: StoreTx, project: string, spec: SecretUser): Promise<void> {
  const issues: FieldIssue[] = [];
  const secrets = new Map<string, SecretSpec | undefined>();
  const secret = async (name: string): Promise<SecretSpec | undefined> => {
    if (!secrets.has(name)) secrets.set(name, (await tx.get({ kind: 'Secret', project, name }))?.spec as SecretSpec | undefined);
    return secrets.get(name);
  };
  for (const [i, e] of (spec.env ?? []).entries()) {
    if ((e.value === undefined) === (e.valueFrom === undefined)) {
      issues.push({ field: `spec.env.${i}`, message: 'needs exactly one of value and valueFrom' });
      continue;
    }
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) continue;
    const s = await secret(ref.name);
    if (!s) issues.push({ field: `spec.env.${i}.valueFrom.secretKeyRef.name`, message: `Secret "${ref.name}" does not exist in project "${project}"` });
    else if (!(s.keys ?? []).includes(ref.key)) issues.push({ field: `spec.env.${i}.valueFrom.secretKeyRef.key`, message: `Secret "${ref.name}" has no key "${ref.key}" (it has ${(s.keys ?? []).join(', ') || 'none'})` });
  }
  for (const [i, ref] of (spec.imagePullSecrets ?? []).entries()) {
    const s = await secret(ref.name);
    if (!s) issues.push({ field: `spec.imagePullSecrets.${i}.name`, message: `Secret "${ref.name}" does not exist in project "${project}"` });
    else if (s.type !== 'RegistryAuth') issues.push({ field: `spec.imagePullSecrets.${i}.name`, message: `Secret "${ref.name}" is ${s.type ?? 'Opaque'}, not RegistryAuth` });
  }
  if (issues.length > 0) throw new ValidationError(issues.map((x) => `${x.field}: ${x.message}`).join('; '), issues);
}
