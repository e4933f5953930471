import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../model/errors.js';
import { kindDef } from '../model/registry.js';
import { authorize, authorizeTokenIssue, listScope, readableProjects, roleIn, type Principal, type Verb } from './rbac.js';

const user = (name: string, roles: Principal['roles']): Principal => ({ kind: 'user', name, roles, tokenId: 't' });
const Job = kindDef('Job')!;
const Event = kindDef('Event')!;
const Project = kindDef('Project')!;
const allowed = (p: Principal, verb: Verb, kind: string, t: { project?: string; name?: string }) => {
  try {
    authorize(p, verb, kindDef(kind)!, t);
    return true;
  } catch (e) {
    if (e instanceof ForbiddenError) return false;
    throw e;
  }
};

describe('rbac', () => {
  it('takes the strongest role per project; admin bound to a project acts as project-admin there', () => {
    const p = user('u', [{ role: 'viewer', project: 'a' }, { role: 'member', project: 'a' }, { role: 'admin', project: 'b' }]);
    expect(roleIn(p, 'a')).toBe('member');
    expect(roleIn(p, 'b')).toBe('project-admin');
    expect(roleIn(p, 'c')).toBeUndefined();
    expect(readableProjects(p)).toEqual(['a', 'b']);
    expect(allowed(p, 'create', 'Project', { name: 'x' })).toBe(false);
  });

  it('members write workloads but not events; nobody but cluster admins writes status', () => {
    const m = user('m', [{ role: 'member', project: 'a' }]);
    expect(allowed(m, 'create', 'Job', { project: 'a' })).toBe(true);
    expect(allowed(m, 'create', 'Event', { project: 'a' })).toBe(false);
    expect(allowed(m, 'status', 'Job', { project: 'a', name: 'j' })).toBe(false);
    expect(allowed(user('pa', [{ role: 'project-admin', project: 'a' }]), 'status', 'Job', { project: 'a', name: 'j' })).toBe(false);
    expect(allowed(user('root', [{ role: 'admin' }]), 'status', 'Job', { project: 'a', name: 'j' })).toBe(true);
  });

  it('Allocations: project roles read them, only cluster admins write them', () => {
    for (const role of ['project-admin', 'member', 'viewer'] as const) {
      const u = user('u', [{ role, project: 'a' }]);
      expect(allowed(u, 'get', 'Allocation', { project: 'a', name: 'x' })).toBe(true);
      expect(allowed(u, 'list', 'Allocation', { project: 'a' })).toBe(true);
      for (const verb of ['create', 'update', 'patch', 'delete', 'status'] as const) {
        expect(allowed(u, verb, 'Allocation', { project: 'a', name: 'x' }), `${role} ${verb}`).toBe(false);
      }
    }
    const root = user('root', [{ role: 'admin' }]);
    for (const verb of ['create', 'update', 'delete', 'status'] as const) expect(allowed(root, verb, 'Allocation', { project: 'a', name: 'x' })).toBe(true);
  });

  it('narrows cross-project lists to readable projects, Projects and Users by name', () => {
    const v = user('v', [{ role: 'viewer', project: 'a' }]);
    expect(listScope(v, Job)).toEqual({ projects: ['a'] });
    expect(listScope(v, Event)).toEqual({ projects: ['a'] });
    expect(listScope(v, Project)).toEqual({ names: ['a'] });
    expect(listScope(v, kindDef('User')!)).toEqual({ names: ['v'] });
    expect(listScope(user('cv', [{ role: 'viewer' }]), Job)).toEqual({ all: true });
  });

  it('lets project-admins mint tokens only for users wholly inside their projects', () => {
    const pa = user('pa', [{ role: 'project-admin', project: 'a' }]);
    expect(() => authorizeTokenIssue(pa, { name: 'x', roles: [{ role: 'member', project: 'a' }] }, false)).not.toThrow();
    expect(() => authorizeTokenIssue(pa, { name: 'x', roles: [{ role: 'member', project: 'a' }, { role: 'viewer', project: 'b' }] }, false)).toThrow(ForbiddenError);
    expect(() => authorizeTokenIssue(pa, { name: 'x', roles: [] }, false)).toThrow(ForbiddenError);
    expect(() => authorizeTokenIssue(pa, { name: 'pa', roles: pa.roles }, true)).toThrow(ForbiddenError);
  });
});
