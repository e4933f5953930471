// Validation of submitted resources against their kind's schema, with errors that name the field.
import { Type, type TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError, type ValueErrorIterator } from '@sinclair/typebox/errors';
import { quantityIssues } from './bounds.js';
import { BadRequestError, ValidationError, type FieldIssue } from './errors.js';
import type { KindDef } from './kind.js';
import { API_VERSION, Metadata, type ResourceInput } from './metadata.js';
import { resolveKind, unknownKindMessage } from './registry.js';
import { closestName, didYouMean } from './suggest.js';

/** The full document schema of a kind; also used for the OpenAPI document. */
export function resourceSchema(def: KindDef): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(API_VERSION),
      kind: Type.Literal(def.kind),
      metadata: Metadata,
      spec: def.spec,
      status: Type.Optional(def.status),
    },
    { additionalProperties: false, $id: def.kind },
  );
}

// TypeBox knows no string formats by itself: an unregistered one fails every value.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => RFC3339.test(v) && !Number.isNaN(Date.parse(v)));

const checks = new Map<string, { schema: TSchema; check: TypeCheck<TSchema> }>();
function checkFor(def: KindDef): { schema: TSchema; check: TypeCheck<TSchema> } {
  let c = checks.get(def.kind);
  if (!c) {
    const schema = resourceSchema(def);
    c = { schema, check: TypeCompiler.Compile(schema) };
    checks.set(def.kind, c);
  }
  return c;
}

function pathToField(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.') || '(root)';
}

/** The last segment of a JSON pointer, unescaped: the name of the field it points at. */
function lastKey(path: string): string {
  return (path.split('/').pop() ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const RANGE_ERRORS = new Set([
  ValueErrorType.IntegerMinimum, ValueErrorType.IntegerMaximum, ValueErrorType.IntegerExclusiveMinimum, ValueErrorType.IntegerExclusiveMaximum,
  ValueErrorType.NumberMinimum, ValueErrorType.NumberMaximum, ValueErrorType.NumberExclusiveMinimum, ValueErrorType.NumberExclusiveMaximum,
  ValueErrorType.Integer, ValueErrorType.Number,
]);

/** "an integer from 0 to 64", "a number greater than 0 and at most 1": the bounds the schema itself declares. */
export function rangeOf(schema: TSchema): string | undefined {
  const what = schema.type === 'integer' ? 'an integer' : 'a number';
  const low = typeof schema.minimum === 'number' ? { n: schema.minimum as number, open: false } : typeof schema.exclusiveMinimum === 'number' ? { n: schema.exclusiveMinimum as number, open: true } : undefined;
  const high = typeof schema.maximum === 'number' ? { n: schema.maximum as number, open: false } : typeof schema.exclusiveMaximum === 'number' ? { n: schema.exclusiveMaximum as number, open: true } : undefined;
  if (!low && !high) return undefined;
  if (low && high && !low.open && !high.open) return `${what} from ${low.n} to ${high.n}`;
  const parts = [low && (low.open ? `greater than ${low.n}` : `at least ${low.n}`), high && (high.open ? `less than ${high.n}` : `at most ${high.n}`)].filter(Boolean);
  return `${what} ${parts[0]!.startsWith('at ') ? 'of ' : ''}${parts.join(' and ')}`;
}

function describe(e: ValueError): string {
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    return `unknown field${didYouMean(lastKey(e.path), Object.keys((e.schema.properties ?? {}) as object))}`;
  }
  if (e.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (RANGE_ERRORS.has(e.type)) {
    const range = rangeOf(e.schema);
    if (range) return `must be ${range} (got ${JSON.stringify(e.value)})`;
  }
  if (e.type === ValueErrorType.StringPattern && typeof e.schema.description === 'string') {
    return `${JSON.stringify(e.value)} is not valid: ${e.schema.description}`;
  }
  if (e.type === ValueErrorType.Union && typeof e.schema.description === 'string') {
    return `must be ${e.schema.description}${unionTypo(e)}`;
  }
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

/**
 * The one alternative of a union of objects the value means, told by the fields each one
 * requires ({count} → whole GPUs); undefined when no single alternative fits that way.
 */
function meantAlternative(e: ValueError): ValueErrorIterator | undefined {
  const arms = Array.isArray(e.schema.anyOf) ? (e.schema.anyOf as TSchema[]) : [];
  if (!isObject(e.value) || arms.length !== e.errors.length) return undefined;
  const value = e.value;
  const meant = arms.flatMap((arm, i) => {
    const required = Array.isArray(arm.required) ? (arm.required as string[]) : [];
    return arm.type === 'object' && required.length > 0 && required.every((k) => k in value) ? [e.errors[i]!] : [];
  });
  return meant.length === 1 ? meant[0] : undefined;
}

/** `; "cnt": did you mean "count"?` for a union of objects none of which the value names. */
function unionTypo(e: ValueError): string {
  if (!isObject(e.value)) return '';
  const arms = Array.isArray(e.schema.anyOf) ? (e.schema.anyOf as TSchema[]) : [];
  const known = new Set(arms.flatMap((a) => Object.keys((a.properties ?? {}) as object)));
  for (const key of Object.keys(e.value)) {
    if (known.has(key)) continue;
    const near = closestName(key, known);
    if (near !== undefined) return `; ${JSON.stringify(key)}: did you mean ${JSON.stringify(near)}?`;
  }
  return '';
}

/** Collects field issues, reporting one (the most specific) per field. */
function issuesOf(check: TypeCheck<TSchema>, value: unknown): FieldIssue[] {
  const byField = new Map<string, FieldIssue>();
  collect(check.Errors(value), byField);
  return [...byField.values()];
}

function collect(errors: Iterable<ValueError>, byField: Map<string, FieldIssue>): void {
  for (const e of errors) {
    if (byField.size >= 20) return;
    const field = pathToField(e.path);
    // A union the value plainly means one alternative of ({count: -1}): that alternative's own
    // errors say what is wrong ("count must be an integer from 0 to 64"), not the union's shape.
    const meant = e.type === ValueErrorType.Union ? meantAlternative(e) : undefined;
    if (meant) {
      collect(meant, byField);
      continue;
    }
    // TypeBox reports an unknown key at its own path, whatever its value.
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      byField.set(field, { field, message: describe(e) });
      continue;
    }
    if (!byField.has(field)) byField.set(field, { field, message: describe(e) });
  }
}

/**
 * Checks a submitted document: known kind, valid envelope and spec, project present exactly
 * when the kind is project-scoped. Throws a ValidationError listing every bad field.
 */
export function validateResource(doc: unknown, opts: { project?: string } = {}): { def: KindDef; resource: ResourceInput } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new BadRequestError('the body must be a JSON object with apiVersion, kind, metadata and spec');
  }
  const raw = doc as Record<string, unknown>;
  if (typeof raw.kind !== 'string') throw ValidationError.field('kind', 'is required');
  const def = resolveKind(raw.kind);
  if (!def || def.kind !== raw.kind) throw ValidationError.field('kind', unknownKindMessage(raw.kind, 'kind'));
  if (raw.spec === undefined) raw.spec = {};
  const { schema, check } = checkFor(def);
  const issues = check.Check(raw) ? quantityIssues(schema, raw) : issuesOf(check, raw);
  if (issues.length > 0) throw new ValidationError(`${def.kind} is invalid: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, issues);
  const resource = raw as unknown as ResourceInput;
  const project = resource.metadata.project ?? opts.project;
  if (def.scope === 'project') {
    if (!project) throw ValidationError.field('metadata.project', `is required: ${def.kind} is project-scoped`);
    if (opts.project && resource.metadata.project && resource.metadata.project !== opts.project) {
      throw ValidationError.field('metadata.project', `"${resource.metadata.project}" does not match the URL's project "${opts.project}"`);
    }
    resource.metadata.project = project;
  } else if (resource.metadata.project) {
    throw ValidationError.field('metadata.project', `must be absent: ${def.kind} is cluster-scoped`);
  }
  return { def, resource };
}
