import { Type, type Static } from '@sinclair/typebox';
import { OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const SECRET_KEY_PATTERN = '^[A-Za-z0-9._-]{1,253}$';
export const SECRET_TYPES = ['Opaque', 'RegistryAuth'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];
/** What a RegistryAuth Secret must hold: the registry (host[:port]) and the login. */
export const REGISTRY_AUTH_KEYS = ['server', 'username', 'password'] as const;

export const SecretSpec = Type.Object(
  {
    type: Type.Optional(Type.Union(SECRET_TYPES.map((t) => Type.Literal(t)), { description: `Opaque (the default: values for env) or RegistryAuth (${REGISTRY_AUTH_KEYS.join(', ')})` })),
    /**
     * Write-only: the values. Admission seals them under the server key and stores them apart;
     * the Secret itself keeps only their names (`keys`), so no read ever returns a value.
     */
    data: Type.Optional(Type.Record(Type.String({ pattern: SECRET_KEY_PATTERN }), Type.String({ maxLength: 65_536 }), { maxProperties: 64 })),
    /** The names of the stored values (set by the server from `data`). */
    keys: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type SecretSpec = Static<typeof SecretSpec>;

export const SecretKind: KindDef = { ...kindNames('Secret'), spec: SecretSpec, status: OpenStatus };
