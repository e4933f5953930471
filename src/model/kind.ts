// What the generic store, API, CLI and OpenAPI need to know about a kind.
import type { TSchema } from '@sinclair/typebox';

export type Scope = 'cluster' | 'project';

export interface KindDef {
  kind: string;
  /** URL segment and CLI name, e.g. "jobs". */
  plural: string;
  /** Other names the CLI accepts, e.g. "job", "jb". */
  aliases: string[];
  scope: Scope;
  spec: TSchema;
  status: TSchema;
  /** Short description for the OpenAPI document and `weft get` help. */
  description: string;
}
