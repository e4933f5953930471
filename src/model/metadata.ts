// The envelope every resource shares: {apiVersion, kind, metadata, spec, status}.
import { Type, type Static } from '@sinclair/typebox';
import { Name } from './common.js';

export const API_VERSION = 'weft/v1';

const LabelKey = Type.String({ pattern: '^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$', maxLength: 317 });
const LabelValue = Type.String({ pattern: '^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$', maxLength: 63 });

export const OwnerReference = Type.Object(
  { kind: Type.String(), name: Type.String(), uid: Type.String() },
  { additionalProperties: false },
);

/** What a client may send. Server-owned fields are accepted (for round-trips) but overwritten. */
export const Metadata = Type.Object(
  {
    name: Name,
    project: Type.Optional(Name),
    uid: Type.Optional(Type.String()),
    // additionalProperties: false makes keys that miss the key pattern an error rather than ignored.
    labels: Type.Optional(Type.Record(LabelKey, LabelValue, { additionalProperties: false })),
    annotations: Type.Optional(Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 65536 }))),
    resourceVersion: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Type.String()),
    deletionTimestamp: Type.Optional(Type.String()),
    ownerReferences: Type.Optional(Type.Array(OwnerReference)),
  },
  { additionalProperties: false },
);
export type Metadata = Static<typeof Metadata>;

/** A stored resource as the API returns it. */
export interface Resource<S = Record<string, unknown>, St = Record<string, unknown>> {
  apiVersion: typeof API_VERSION;
  kind: string;
  metadata: Metadata & { uid: string; resourceVersion: string; generation: number; creationTimestamp: string };
  spec: S;
  status?: St;
}

/** A resource as a client submits it (server-owned metadata optional). */
export interface ResourceInput<S = Record<string, unknown>, St = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  spec: S;
  status?: St;
}
