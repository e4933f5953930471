import { Type, type Static } from '@sinclair/typebox';
import { Name, OpenStatus } from '../common.js';
import type { KindDef } from '../kind.js';
import { kindNames } from '../kind-names.js';

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('project-admin'), Type.Literal('member'), Type.Literal('viewer')]);
export type Role = Static<typeof Role>;

/** A role granted to a user; `project` absent means cluster-wide (only meaningful for admin and viewer). */
export const RoleBinding = Type.Object({ role: Role, project: Type.Optional(Name) }, { additionalProperties: false });
export type RoleBinding = Static<typeof RoleBinding>;

export type ProjectRole = 'project-admin' | 'member' | 'viewer';

const RANK: Record<ProjectRole, number> = { viewer: 1, member: 2, 'project-admin': 3 };

/** The strongest role `roles` grant in `project` ("admin" bound to a project acts as project-admin there). */
export function strongestRole(roles: readonly RoleBinding[], project: string): ProjectRole | undefined {
  let best: ProjectRole | undefined;
  for (const b of roles) {
    if (b.project !== project) continue;
    const r: ProjectRole = b.role === 'admin' ? 'project-admin' : b.role;
    if (!best || RANK[r] > RANK[best]) best = r;
  }
  return best;
}

export const UserSpec = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 200 })),
    email: Type.Optional(Type.String({ maxLength: 320, pattern: '^[^@\\s]+@[^@\\s]+$' })),
    roles: Type.Array(RoleBinding, { maxItems: 1000 }),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type UserSpec = Static<typeof UserSpec>;

export const UserKind: KindDef = { ...kindNames('User'), spec: UserSpec, status: OpenStatus };
