// The bounds check the schema cannot express: CPU and memory quantities are strings or numbers
// whose value must lie within quantity.ts's limits. Walks a document along its schema and
// reports every out-of-range quantity at its field, as schema errors are reported.
import type { TSchema } from '@sinclair/typebox';
import { ValidationError, type FieldIssue } from './errors.js';
import { parseCpuMilli, parseMemoryBytes } from './quantity.js';

interface Walked {
  quantity?: 'cpu' | 'memory';
  anyOf?: TSchema[];
  properties?: Record<string, TSchema>;
  patternProperties?: Record<string, TSchema>;
  items?: TSchema;
}

const join = (path: string, key: string | number): string => (path ? `${path}.${key}` : String(key));

/** Issues of every quantity in `value` (already valid against `schema`) that is out of bounds. */
export function quantityIssues(schema: TSchema, value: unknown, path = '', out: FieldIssue[] = []): FieldIssue[] {
  const s = schema as Walked;
  if (s.quantity !== undefined) {
    try {
      if (s.quantity === 'cpu') parseCpuMilli(value as string | number, path);
      else parseMemoryBytes(value as string | number, path);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      if (!out.some((i) => i.field === path)) out.push(...e.issues);
    }
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  // A union's members are tried alike: none of them holds a quantity where another holds something else.
  for (const member of s.anyOf ?? []) quantityIssues(member, value, path, out);
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => quantityIssues(s.items!, v, join(path, i), out));
    return out;
  }
  const obj = value as Record<string, unknown>;
  for (const [k, sub] of Object.entries(s.properties ?? {})) if (obj[k] !== undefined) quantityIssues(sub, obj[k], join(path, k), out);
  const [record] = Object.values(s.patternProperties ?? {});
  if (record) for (const [k, v] of Object.entries(obj)) quantityIssues(record, v, join(path, k), out);
  return out;
}
