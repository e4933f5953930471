// Validation of submitted resources against their kind's schema, with errors that name the field.
import { Type, type TSchema } from '@sinclair/typebox';
import { FormatRegistry } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { quantityIssues } from './bounds.js';
import { BadRequestError, ValidationError, type FieldIssue } from './errors.js';
import type { KindDef } from './kind.js';
import { API_VERSION, Metadata, type ResourceInput } from './metadata.js';
import { resolveKind } from './registry.js';

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

const BOUND_ERRORS: ReadonlySet<ValueErrorType> = new Set([
  ValueErrorType.NumberMaximum,
  ValueErrorType.NumberMinimum,
  ValueErrorType.NumberExclusiveMaximum,
  ValueErrorType.NumberExclusiveMinimum,
  ValueErrorType.IntegerMaximum,
  ValueErrorType.IntegerMinimum,
  ValueErrorType.IntegerExclusiveMaximum,
  ValueErrorType.IntegerExclusiveMinimum,
]);

/** "from 1 to 10000", "greater than 0 and at most 1", "at least 0": a number schema's allowed range. */
function rangeOf(s: { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number }): string {
  const low = s.minimum !== undefined ? `from ${s.minimum}` : s.exclusiveMinimum !== undefined ? `greater than ${s.exclusiveMinimum}` : undefined;
  const high = s.maximum !== undefined ? `${s.minimum !== undefined ? 'to' : 'at most'} ${s.maximum}` : s.exclusiveMaximum !== undefined ? `less than ${s.exclusiveMaximum}` : undefined;
  if (low && high) return s.minimum !== undefined && s.maximum !== undefined ? `${low} ${high}` : `${low} and ${high}`;
  return low?.replace(/^from/, 'at least') ?? high ?? 'a number';
}

function describe(e: { type: ValueErrorType; message: string; schema: TSchema; value: unknown }): string {
  if (e.type === ValueErrorType.ObjectAdditionalProperties) return 'unknown field';
  if (BOUND_ERRORS.has(e.type)) return `must be ${rangeOf(e.schema as Parameters<typeof rangeOf>[0])}, got ${JSON.stringify(e.value)}`;
  if (e.type === ValueErrorType.ObjectRequiredProperty) return 'is required';
  if (e.type === ValueErrorType.StringPattern && typeof e.schema.description === 'string') {
    return `${JSON.stringify(e.value)} is not valid: ${e.schema.description}`;
  }
  if (e.type === ValueErrorType.Union && typeof e.schema.description === 'string') {
    return `must be ${e.schema.description}`;
  }
  return e.message.charAt(0).toLowerCase() + e.message.slice(1);
}

/** Collects field issues, reporting one (the most specific) per field. */
function issuesOf(check: TypeCheck<TSchema>, value: unknown): FieldIssue[] {
  const byField = new Map<string, FieldIssue>();
  for (const e of check.Errors(value)) {
    const field = pathToField(e.path);
    // TypeBox reports an unknown key at its own path, whatever its value.
    if (e.type === ValueErrorType.ObjectAdditionalProperties) {
      byField.set(field, { field, message: 'unknown field' });
      continue;
    }
    if (!byField.has(field)) byField.set(field, { field, message: describe(e) });
    if (byField.size >= 20) break;
  }
  return [...byField.values()];
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
  if (!def || def.kind !== raw.kind) throw ValidationError.field('kind', `unknown kind "${raw.kind}"`);
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
