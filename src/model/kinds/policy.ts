// Admission policies (docs/policy.md): CEL rules over every object written through the API. A
// Policy is cluster-wide and written by cluster admins; a ProjectPolicy has the same spec, applies
// only inside its project and is written by that project's admins.
import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const POLICY_KINDS = ['Policy', 'ProjectPolicy'] as const;
export const POLICY_ACTIONS = ['Deny', 'Warn', 'Audit'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];
export const POLICY_OPERATIONS = ['CREATE', 'UPDATE', 'DELETE'] as const;
export type PolicyOperation = (typeof POLICY_OPERATIONS)[number];

const Expression = Type.String({ minLength: 1, maxLength: 4096, description: 'a CEL expression' });
const Selector = Type.String({ maxLength: 1024, description: 'a label selector, as `weft get -l` takes' });

export const PolicyMatch = Type.Object(
  {
    /** Kind names ("Job", "VirtualMachine"); "*" = every kind but the policy kinds themselves. */
    kinds: Type.Array(Type.String({ pattern: '^(\\*|[A-Z][A-Za-z0-9]{0,62})$' }), { minItems: 1, maxItems: 64 }),
    operations: Type.Optional(Type.Array(Type.Union(POLICY_OPERATIONS.map((o) => Type.Literal(o))), { minItems: 1, maxItems: 3 })),
    /** Only objects in these projects (a Policy; a ProjectPolicy is always limited to its own). */
    projects: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 1000 })),
    /** Only objects whose Project's labels match. */
    projectSelector: Type.Optional(Selector),
    /** Only objects whose own labels match. */
    objectSelector: Type.Optional(Selector),
    /** A CEL expression: the policy applies only where it is true. */
    condition: Type.Optional(Expression),
  },
  { additionalProperties: false },
);
export type PolicyMatch = Static<typeof PolicyMatch>;

export const PolicyValidation = Type.Object(
  {
    /** Must be true for the object to pass. */
    expression: Expression,
    message: Type.Optional(Type.String({ maxLength: 1024 })),
    /** A CEL expression giving the message (a string); the plain message is used if it fails. */
    messageExpression: Type.Optional(Expression),
    /** The field a failure is reported at, e.g. "spec.resources.gpu". */
    field: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type PolicyValidation = Static<typeof PolicyValidation>;

export const PolicyMutation = Type.Object(
  {
    /** Where to write: "spec.priorityClass", "metadata.labels.team", `metadata.labels["weft.dev/x"]`. */
    path: Type.String({ minLength: 1, maxLength: 512 }),
    /** The value, computed by CEL. */
    expression: Expression,
    /** Replace a value the object already has (default: only fill in a missing one). */
    overwrite: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PolicyMutation = Static<typeof PolicyMutation>;

export const PolicySpec = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    /** What a failed validation does: refuse the request, let it through with a warning, or only record it. */
    action: Type.Optional(Type.Union(POLICY_ACTIONS.map((a) => Type.Literal(a)), { default: 'Deny' })),
    match: PolicyMatch,
    validations: Type.Optional(Type.Array(PolicyValidation, { maxItems: 64 })),
    mutations: Type.Optional(Type.Array(PolicyMutation, { maxItems: 64 })),
  },
  { additionalProperties: false },
);
export type PolicySpec = Static<typeof PolicySpec>;

/** What the server keeps on a policy's status (counters are eventually consistent, flushed every few seconds). */
export interface PolicyViolation {
  time: string;
  result: 'Denied' | 'Warned' | 'Audited';
  operation: PolicyOperation;
  kind: string;
  project?: string;
  name: string;
  user: string;
  message: string;
}

export interface PolicyStatus {
  /** Requests the policy applied to. */
  matches?: number;
  denials?: number;
  warnings?: number;
  audits?: number;
  /** Newest first, at most 10. */
  lastViolations?: PolicyViolation[];
}

export const PolicyKind: KindDef = { ...kindNames('Policy'), spec: PolicySpec, status: OpenStatus };

export const ProjectPolicyKind: KindDef = { ...kindNames('ProjectPolicy'), spec: PolicySpec, status: OpenStatus };
