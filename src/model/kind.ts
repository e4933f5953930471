// What the generic store, API, CLI and OpenAPI need to know about a kind: its names
// (kind-names.ts, plain data) and its schemas.
import type { TSchema } from '@sinclair/typebox';
import type { KindNames } from './kind-names.js';

export type { Scope } from './kind-names.js';

export interface KindDef extends KindNames {
  spec: TSchema;
  status: TSchema;
}
