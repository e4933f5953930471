// A Policy or ProjectPolicy spec → the compiled form admission runs: every expression parsed and
// type-checked once, selectors parsed, mutation paths split. Creating or changing a policy
// compiles it, so a bad expression is refused then, with its field and position.
import { ValidationError, WeftError, type FieldIssue } from '../../model/errors.js';
import type { PolicyAction, PolicyOperation, PolicySpec } from '../../model/kinds/policy.js';
import { POLICY_OPERATIONS } from '../../model/kinds/policy.js';
import { parseSelector, type Requirement } from '../../store/selector.js';
import { CelCompileError, compileCel, type CelProgram } from './cel.js';
import { parseMutationPath, type MutationPath } from './mutate.js';

export interface CompiledValidation {
  program: CelProgram;
  message?: string;
  messageProgram?: CelProgram;
  field?: string;
}

export interface CompiledMutation {
  path: MutationPath;
  /** The path as written, for messages. */
  text: string;
  program: CelProgram;
  overwrite: boolean;
}

export interface CompiledPolicy {
  /** "Policy/name" or "ProjectPolicy/project/name": how messages and counters name it. */
  id: string;
  kind: 'Policy' | 'ProjectPolicy';
  name: string;
  /** The ProjectPolicy's own project; undefined for a cluster-wide Policy. */
  scopeProject?: string;
  action: PolicyAction;
  kinds: ReadonlySet<string> | 'all';
  operations: ReadonlySet<PolicyOperation>;
  projects?: ReadonlySet<string>;
  projectSelector?: Requirement[];
  objectSelector?: Requirement[];
  condition?: CelProgram;
  validations: CompiledValidation[];
  mutations: CompiledMutation[];
  /**
   * What the expressions may read of `user` beyond the principal: its User object (labels), and
   * its GPUs in the project (a look at every workload there). Erring towards true is only slower;
   * erring towards false would let a rule pass on empty data, so any mention counts.
   */
  reads: { user: boolean; userGpus: boolean };
}

const USER = /\buser\b/;
const GPUS = /\bgpus\b/;

export function policyId(kind: string, name: string, project?: string): string {
  return project ? `${kind}/${project}/${name}` : `${kind}/${name}`;
}

function readsOf(sources: (string | undefined)[]): CompiledPolicy['reads'] {
  const user = sources.some((e) => e !== undefined && USER.test(e));
  return { user, userGpus: user && sources.some((e) => e !== undefined && GPUS.test(e)) };
}

/** Compiles a policy; throws a ValidationError naming every bad field (`spec.validations[0].expression`, …). */
export function compilePolicy(kind: 'Policy' | 'ProjectPolicy', name: string, project: string | undefined, spec: PolicySpec): CompiledPolicy {
  const issues: FieldIssue[] = [];
  const cel = (field: string, source: string, want: 'bool' | 'string' | 'any'): CelProgram | undefined => {
    try {
      return compileCel(source, want);
    } catch (e) {
      if (!(e instanceof CelCompileError)) throw e;
      issues.push({ field, message: e.message });
      return undefined;
    }
  };
  const selector = (field: string, text: string | undefined): Requirement[] | undefined => {
    if (text === undefined) return undefined;
    try {
      return parseSelector(text);
    } catch (e) {
      if (!(e instanceof WeftError)) throw e;
      issues.push({ field, message: e.message });
      return undefined;
    }
  };

  const m = spec.match;
  if (kind === 'ProjectPolicy' && m.projects) issues.push({ field: 'spec.match.projects', message: 'a ProjectPolicy applies to its own project only; leave this out' });
  const policy: CompiledPolicy = {
    id: policyId(kind, name, project),
    kind,
    name,
    ...(project !== undefined ? { scopeProject: project } : {}),
    action: spec.action ?? 'Deny',
    kinds: m.kinds.includes('*') ? 'all' : new Set(m.kinds),
    operations: new Set(m.operations ?? POLICY_OPERATIONS.filter((o) => o !== 'DELETE')),
    validations: [],
    mutations: [],
    reads: readsOf([m.condition, ...(spec.validations ?? []).flatMap((v) => [v.expression, v.messageExpression]), ...(spec.mutations ?? []).map((x) => x.expression)]),
  };
  if (m.projects) policy.projects = new Set(m.projects);
  const ps = selector('spec.match.projectSelector', m.projectSelector);
  if (ps) policy.projectSelector = ps;
  const os = selector('spec.match.objectSelector', m.objectSelector);
  if (os) policy.objectSelector = os;
  if (m.condition !== undefined) {
    const c = cel('spec.match.condition', m.condition, 'bool');
    if (c) policy.condition = c;
  }

  (spec.validations ?? []).forEach((v, i) => {
    const program = cel(`spec.validations[${i}].expression`, v.expression, 'bool');
    const messageProgram = v.messageExpression !== undefined ? cel(`spec.validations[${i}].messageExpression`, v.messageExpression, 'string') : undefined;
    if (!program) return;
    policy.validations.push({
      program,
      ...(v.message !== undefined ? { message: v.message } : {}),
      ...(messageProgram ? { messageProgram } : {}),
      ...(v.field !== undefined ? { field: v.field } : {}),
    });
  });

  (spec.mutations ?? []).forEach((mu, i) => {
    let path: MutationPath | undefined;
    try {
      path = parseMutationPath(mu.path);
    } catch (e) {
      issues.push({ field: `spec.mutations[${i}].path`, message: (e as Error).message });
    }
    const program = cel(`spec.mutations[${i}].expression`, mu.expression, 'any');
    if (path && program) policy.mutations.push({ path, text: mu.path, program, overwrite: mu.overwrite === true });
  });

  if ((spec.validations ?? []).length === 0 && (spec.mutations ?? []).length === 0) {
    issues.push({ field: 'spec.validations', message: 'a policy needs at least one validation or mutation' });
  }
  if (policy.mutations.length > 0 && policy.operations.has('DELETE')) {
    issues.push({ field: 'spec.match.operations', message: 'a policy with mutations cannot match DELETE (there is no object to change)' });
  }
  if (issues.length > 0) throw new ValidationError(`${kind} "${name}" is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  return policy;
}
