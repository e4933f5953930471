// `weft policy test -f policy.yaml -f objects.yaml`: evaluates policies over objects offline and
// prints allow / warn / audit / deny per object, with the policy and message behind each. The
// files' Policies and ProjectPolicies are the policies; their Projects and Users give context;
// every other object is tested. Exit status 1 when an object is denied (or invalid), as a CI
// check wants; 0 when all pass.
import { Command } from 'commander';
import { compilePolicy, testObject, type CompiledPolicy, type OfflineOutcome, type PolicyUser } from '../../server/offline.js';
import { ValidationError } from '../../model/errors.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { POLICY_OPERATIONS, type PolicyOperation, type PolicySpec } from '../../model/kinds/policy.js';
import { strongestRole, type RoleBinding } from '../../model/kinds/user.js';
import { CliError, EXIT } from '../errors.js';
import { loadManifests, type Manifest } from '../manifests.js';
import { renderTable } from '../output/table.js';
import { readStdin } from '../stdin.js';

interface TestOptions {
  filename: string[];
  user?: string;
  operation: string;
  output?: string;
}

function compileAll(manifests: Manifest[]): CompiledPolicy[] {
  const out: CompiledPolicy[] = [];
  const problems: string[] = [];
  for (const m of manifests) {
    const r = m.resource;
    if (r.kind !== 'Policy' && r.kind !== 'ProjectPolicy') continue;
    try {
      out.push(compilePolicy(r.kind, r.metadata.name, r.metadata.project, r.spec as unknown as PolicySpec));
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      problems.push(`${r.kind.toLowerCase()}/${r.metadata.name} (${m.source}):\n${e.issues.map((i) => `  ${i.field}: ${i.message}`).join('\n')}`);
    }
  }
  if (problems.length > 0) throw new CliError(`invalid policies:\n${problems.join('\n')}`);
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function asStored(r: ResourceInput): Resource {
  return { ...r, metadata: { uid: '', resourceVersion: '0', generation: 1, creationTimestamp: '', ...r.metadata } } as Resource;
}

function userFrom(manifests: Manifest[], name: string | undefined): (project: string | undefined) => PolicyUser {
  const doc = name === undefined ? undefined : manifests.find((m) => m.resource.kind === 'User' && m.resource.metadata.name === name)?.resource;
  const roles = ((doc?.spec as { roles?: RoleBinding[] } | undefined)?.roles ?? []) as RoleBinding[];
  const admin = roles.some((b) => b.role === 'admin' && !b.project);
  return (project) => ({
    name: name ?? '',
    kind: 'user',
    projectRole: admin ? 'admin' : project ? (strongestRole(roles, project) ?? '') : '',
    roles: roles.map((b) => ({ role: b.role, ...(b.project ? { project: b.project } : {}) })),
    labels: doc?.metadata.labels ?? {},
    gpus: 0,
  });
}

function refOf(r: ResourceInput): string {
  return `${r.kind.toLowerCase()}/${r.metadata.project ? `${r.metadata.project}/` : ''}${r.metadata.name}`;
}

function rows(ref: string, o: OfflineOutcome): string[][] {
  const out: string[][] = [];
  for (const w of o.writes) out.push([ref, 'mutate', w.policy.name, `${w.path} = ${JSON.stringify(w.value)}`]);
  if (o.result === 'invalid') return [...out, [ref, 'invalid', '-', o.error ?? '']];
  if (o.violations.length === 0) return [...out, [ref, 'allow', '-', '-']];
  for (const v of o.violations) out.push([ref, v.action.toLowerCase(), v.policy.name, `${v.field ? `${v.field}: ` : ''}${v.message}`]);
  return out;
}

export function policyCommand(): Command {
  const policy = new Command('policy').description('work with admission policies');
  policy
    .command('test')
    .description('evaluate the Policies in the files over the other objects in them, offline; exits 1 if any is denied')
    .requiredOption('-f, --filename <path...>', 'file, directory (recursive) or "-" for stdin; give it several times')
    .option('--user <name>', 'evaluate as this user (their User object in the files gives roles and labels)')
    .option('--operation <op>', 'CREATE, UPDATE or DELETE', 'CREATE')
    .option('-o, --output <format>', 'json')
    .action((opts: TestOptions) => {
      const op = opts.operation.toUpperCase();
      if (!(POLICY_OPERATIONS as readonly string[]).includes(op)) throw new CliError(`--operation: "${opts.operation}" is not one of ${POLICY_OPERATIONS.join(', ')}`, EXIT.usage);
      if (opts.output !== undefined && opts.output !== 'json') throw new CliError(`unknown output format "${opts.output}"; use json`, EXIT.usage);
      const manifests = loadManifests(opts.filename, readStdin);
      const policies = compileAll(manifests);
      if (policies.length === 0) throw new CliError('no Policy or ProjectPolicy in the files');
      const projects = new Map(manifests.filter((m) => m.resource.kind === 'Project').map((m) => [m.resource.metadata.name, asStored(m.resource)]));
      const user = userFrom(manifests, opts.user);
      const context = new Set(['Policy', 'ProjectPolicy', 'User', 'DataClass']);
      const tested = manifests.filter((m) => !context.has(m.resource.kind));
      if (tested.length === 0) throw new CliError('no objects to test in the files (only policies and their context)');
      const results = tested.map((m) => ({
        ref: refOf(m.resource),
        source: m.source,
        outcome: testObject(policies, m.resource, { operation: op as PolicyOperation, user: user(m.resource.metadata.project), projects }),
      }));
      if (opts.output === 'json') {
        const json = results.map(({ ref, source, outcome: o }) => ({
          object: ref,
          source,
          result: o.result,
          ...(o.error ? { error: o.error } : {}),
          mutations: o.writes.map((w) => ({ policy: w.policy.name, path: w.path, value: w.value })),
          violations: o.violations.map((v) => ({ policy: v.policy.name, action: v.action, message: v.message, ...(v.field ? { field: v.field } : {}) })),
        }));
        console.log(JSON.stringify(json, null, 2));
      } else {
        console.log(renderTable(['OBJECT', 'RESULT', 'POLICY', 'MESSAGE'], results.flatMap((r) => rows(r.ref, r.outcome))));
      }
      const failed = results.filter((r) => r.outcome.result === 'deny' || r.outcome.result === 'invalid').length;
      if (failed > 0) throw new CliError(opts.output === 'json' ? '' : `${failed} of ${results.length} objects denied or invalid`);
    });
  return policy;
}
