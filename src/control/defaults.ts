// Defaults applied before schema validation, so that a field the schema requires but declares a
// default for (Job.spec.replicas) may be omitted by the user.
import { Value } from '@sinclair/typebox/value';
import type { KindDef } from '../model/kind.js';
import { isPlainObject } from './merge-patch.js';

export function applySchemaDefaults(def: KindDef, doc: Record<string, unknown>): void {
  if (!isPlainObject(doc.spec)) return;
  const spec = doc.spec;
  const props = (def.spec as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
  // Top-level defaults only: nested ones sit inside unions where guessing the branch would be
  // wrong, and validation reports anything still missing by name.
  for (const [key, schema] of Object.entries(props)) {
    if (spec[key] === undefined && schema.default !== undefined) spec[key] = Value.Clone(schema.default);
  }
}
