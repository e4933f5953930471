// The CEL environment policies are written in (docs/policy.md "Expressions"): its variables,
// type checking with positions, a cost limit on every evaluation, and the conversions between
// JSON objects and CEL values. Built on @marcbachmann/cel-js; see docs/policy.md for why.
import { Environment } from '@marcbachmann/cel-js';
import safeRegex from 'safe-regex2';

/** `request`: what is being done, typed so a misspelt field is refused when the policy is created. */
export class CelRequest {
  constructor(
    readonly operation: string,
    readonly kind: string,
    readonly name: string,
    readonly project: string,
    /** Whole-GPU equivalents the object asks for in all (replicas × per replica; 0 for non-workloads). */
    readonly gpus: number,
    /** The data class of the object's project ('' when none). */
    readonly dataClass: string,
  ) {}
}

/** `user`: who is asking. */
export class CelUser {
  constructor(
    readonly name: string,
    /** 'user' or 'node' (a node agent). */
    readonly kind: string,
    /** The caller's role in the object's project: admin, project-admin, member, viewer or ''. */
    readonly projectRole: string,
    /** Every role binding, e.g. [{"role": "member", "project": "vision"}]. */
    readonly roles: readonly Record<string, string>[],
    /** The labels of the caller's User object. */
    readonly labels: Readonly<Record<string, string>>,
    /** Whole-GPU equivalents this user's unfinished workloads in the project already ask for. */
    readonly gpus: number,
  ) {}
}

export interface CelBindings {
  object: unknown;
  oldObject: unknown;
  project: unknown;
  user: CelUser;
  request: CelRequest;
}

/** Evaluation steps one expression may take (an AST node evaluated, a comprehension iteration's body node). */
export const COST_LIMIT = 100_000;

/** Parse-time bounds: an expression this large or this deep is refused when the policy is created. */
const LIMITS = { maxAstNodes: 2000, maxDepth: 64, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 };

const env = new Environment({ enableOptionalTypes: true, limits: LIMITS })
  .registerType('Request', {
    ctor: CelRequest,
    fields: { operation: 'string', kind: 'string', name: 'string', project: 'string', gpus: 'double', dataClass: 'string' },
  })
  .registerType('User', {
    ctor: CelUser,
    fields: { name: 'string', kind: 'string', projectRole: 'string', roles: 'list<map<string, string>>', labels: 'map<string, string>', gpus: 'double' },
  })
  .registerVariable('object', 'dyn')
  .registerVariable('oldObject', 'dyn')
  .registerVariable('project', 'dyn')
  .registerVariable('request', 'Request')
  .registerVariable('user', 'User');

/** Thrown into an evaluation that ran out of steps; never escapes `evaluate`. */
class CostExceeded extends Error {}

// The cost meter. The library evaluates every child node through its evaluator's `run`, so
// counting there counts every step, comprehension iterations included. Evaluation is synchronous
// (no asynchronous functions are registered), so one module-level budget serves every call.
let remaining = 0;
{
  const probe = env.parse('true') as unknown as { ast: { evaluate: (ev: Evaluator) => boolean } } & ((ctx: object) => unknown);
  interface Evaluator {
    run(ast: { evaluate(ev: Evaluator, ast: unknown, ctx: unknown): unknown }, ctx: unknown): unknown;
  }
  let evaluator: Evaluator | undefined;
  probe.ast.evaluate = (ev: Evaluator) => ((evaluator = ev), true);
  probe({});
  if (!evaluator || typeof evaluator.run !== 'function') throw new Error('CEL: cannot install the cost meter on this version of @marcbachmann/cel-js');
  evaluator.run = function meteredRun(ast, ctx) {
    if (--remaining < 0) throw new CostExceeded();
    return ast.evaluate(this, ast, ctx);
  };
}

/** Where in the expression a problem is, 1-based. */
export interface CelPosition {
  line: number;
  column: number;
}

export class CelCompileError extends Error {
  constructor(
    readonly summary: string,
    readonly position: CelPosition | undefined,
  ) {
    super(position ? `line ${position.line}, column ${position.column}: ${summary}` : summary);
  }
}

export interface CelProgram {
  readonly source: string;
  /** 'bool', 'string', 'dyn', … as the checker inferred it. */
  readonly type: string;
  run(bindings: CelBindings): unknown;
}

function positionOf(source: string, offset: number | undefined): CelPosition | undefined {
  if (offset === undefined || offset < 0) return undefined;
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      column = 1;
    } else column++;
  }
  return { line, column };
}

interface CelErrorLike {
  summary?: string;
  message?: string;
  range?: { start: number };
}

function compileError(source: string, err: unknown): CelCompileError {
  const e = err as CelErrorLike;
  return new CelCompileError(e.summary ?? e.message?.split('\n')[0] ?? String(err), positionOf(source, e.range?.start));
}

interface Node {
  op: string;
  args: unknown;
  pos: number;
}

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && typeof (v as Node).op === 'string' && 'args' in v;
}

/** Every node of a parsed expression, depth first. */
function* nodes(v: unknown): Generator<Node> {
  if (isNode(v)) {
    yield v;
    yield* nodes(v.args);
  } else if (Array.isArray(v)) for (const x of v) yield* nodes(x);
}

/**
 * `matches` runs JavaScript regular expressions, which can take exponential time on some patterns
 * (nested quantifiers). Patterns must therefore be literals that pass a star-height check, so a
 * policy can never be made to spin on a crafted name.
 */
function checkRegexes(source: string, root: unknown): void {
  for (const n of nodes(root)) {
    if (n.op !== 'call' && n.op !== 'rcall') continue;
    const args = n.args as unknown[];
    if (args[0] !== 'matches') continue;
    const params = (n.op === 'rcall' ? args[2] : args[1]) as Node[];
    const pattern = n.op === 'rcall' ? params[0] : params[1];
    if (!pattern || pattern.op !== 'value' || typeof pattern.args !== 'string') {
      throw new CelCompileError('matches() takes a string literal as its pattern', positionOf(source, (pattern ?? n).pos));
    }
    if (!safeRegex(pattern.args)) {
      throw new CelCompileError(`the pattern ${JSON.stringify(pattern.args)} may take exponential time (nested quantifiers); simplify it`, positionOf(source, pattern.pos));
    }
  }
}

/**
 * Parses and type-checks `source`; `want` is the result type it must have ('dyn' always passes,
 * its value is checked when it runs). Throws CelCompileError with the position of the problem.
 */
export function compileCel(source: string, want: 'bool' | 'string' | 'any'): CelProgram {
  let parsed: ReturnType<typeof env.parse>;
  try {
    parsed = env.parse(source);
  } catch (e) {
    throw compileError(source, e);
  }
  const checked = parsed.check();
  if (!checked.valid) throw compileError(source, checked.error);
  const type = checked.type ?? 'dyn';
  if (want !== 'any' && type !== want && type !== 'dyn') {
    throw new CelCompileError(`must give a ${want}, but gives ${type}`, positionOf(source, 0));
  }
  checkRegexes(source, parsed.ast);
  return {
    source,
    type,
    run(bindings) {
      remaining = COST_LIMIT;
      let value: unknown;
      try {
        value = parsed(bindings as unknown as Record<string, unknown>);
      } catch (e) {
        if (remaining < 0 || e instanceof CostExceeded) throw new CelRuntimeError(`exceeded the cost limit of ${COST_LIMIT} evaluation steps`);
        throw new CelRuntimeError((e as CelErrorLike).summary ?? (e as Error).message);
      }
      // A step budget overrun caught inside a macro or a logical operator still fails the whole expression.
      if (remaining < 0) throw new CelRuntimeError(`exceeded the cost limit of ${COST_LIMIT} evaluation steps`);
      return value;
    },
  };
}

export class CelRuntimeError extends Error {}

/** A JSON value as CEL sees it: integral numbers become ints, so `object.spec.replicas * 2` type-checks and runs. */
export function toCel(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x);
    return out;
  }
  return v;
}

/** A CEL result as JSON (what a mutation writes). Throws for values JSON cannot hold. */
export function fromCel(v: unknown): unknown {
  if (typeof v === 'bigint') {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new CelRuntimeError(`the integer ${v} is too large for JSON`);
    return n;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new CelRuntimeError(`${v} is not a JSON number`);
    return v;
  }
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(fromCel);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), fromCel(x)]));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromCel(x)]));
  }
  if (typeof v === 'object' && v !== null && typeof (v as { valueOf(): unknown }).valueOf() === 'bigint') return fromCel((v as { valueOf(): unknown }).valueOf());
  throw new CelRuntimeError(`a ${typeof v === 'object' ? (v?.constructor?.name ?? 'value') : typeof v} cannot be written into an object`);
}
