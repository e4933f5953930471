// Token management and whoami. A token's plain value is returned once, at creation.
import type { FastifyInstance } from 'fastify';
import { BadRequestError, NotFoundError, ValidationError, type FieldIssue } from '../../model/errors.js';
import type { UserSpec } from '../../model/kinds/user.js';
import { isPlainObject } from '../../control/merge-patch.js';
import { auditedWrite } from '../audit.js';
import { issueToken } from '../auth.js';
import { authorizeTokenIssue, isClusterAdmin } from '../rbac.js';
import { nameParam } from '../params.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

const MAX_EXPIRY_SECONDS = 10 * 365 * 24 * 3600;
const FIELDS = new Set(['user', 'description', 'expiresInSeconds', 'join']);

interface TokenRequest {
  user?: string;
  description?: string;
  expiresInSeconds?: number;
  join: boolean;
}

function parseTokenRequest(body: unknown): TokenRequest {
  if (body === undefined) return { join: false };
  if (!isPlainObject(body)) throw new BadRequestError('the body must be a JSON object: {user?, description?, expiresInSeconds?, join?}');
  const issues: FieldIssue[] = [];
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) issues.push({ field: k, message: 'unknown field' });
  const { user, description, expiresInSeconds, join } = body;
  if (user !== undefined && typeof user !== 'string') issues.push({ field: 'user', message: 'must be a user name' });
  if (description !== undefined && (typeof description !== 'string' || description.length > 500)) issues.push({ field: 'description', message: 'must be a string of at most 500 characters' });
  if (expiresInSeconds !== undefined && (!Number.isInteger(expiresInSeconds) || (expiresInSeconds as number) < 1 || (expiresInSeconds as number) > MAX_EXPIRY_SECONDS)) {
    issues.push({ field: 'expiresInSeconds', message: `must be an integer from 1 to ${MAX_EXPIRY_SECONDS}` });
  }
  if (join !== undefined && typeof join !== 'boolean') issues.push({ field: 'join', message: 'must be true or false' });
  if (issues.length > 0) throw new ValidationError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
  return {
    ...(user !== undefined ? { user: nameParam(user, 'user') } : {}),
    ...(description !== undefined ? { description: description as string } : {}),
    ...(expiresInSeconds !== undefined ? { expiresInSeconds: expiresInSeconds as number } : {}),
    join: join === true,
  };
}

export function registerTokenRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  app.get(`${API_PREFIX}/whoami`, async (req) => {
    const p = principalOf(req);
    return { user: p.name, kind: p.kind, roles: p.roles };
  });

  app.post(`${API_PREFIX}/tokens`, async (req, reply) => {
    const p = principalOf(req);
    const r = parseTokenRequest(req.body);
    const subject = r.user ?? p.name;
    let roles: UserSpec['roles'] = [];
    if (!r.join) {
      const user = await store.get({ kind: 'User', name: subject });
      if (!user) throw new NotFoundError(`user "${subject}" not found`);
      const spec = user.spec as unknown as UserSpec;
      if (spec.disabled) throw ValidationError.field('user', `user "${subject}" is disabled`);
      roles = spec.roles;
    }
    authorizeTokenIssue(p, { name: subject, roles }, r.join);
    const { record, token } = await auditedWrite(req, 201, (opts) =>
      store.transaction(async (tx) => {
        const issued = await issueToken(tx, {
          kind: r.join ? 'join' : 'user',
          subject: r.join ? p.name : subject,
          ...(r.description !== undefined ? { description: r.description } : {}),
          ...(r.expiresInSeconds !== undefined ? { expiresInSeconds: r.expiresInSeconds } : {}),
          now: clock.now(),
        });
        req.auditName = issued.record.id;
        return issued;
      }, opts),
    );
    return reply.code(201).send({ ...record, token });
  });

  app.get(`${API_PREFIX}/tokens`, async (req) => {
    const p = principalOf(req);
    return { items: await store.tokens.list(isClusterAdmin(p) ? undefined : p.name) };
  });

  app.delete(`${API_PREFIX}/tokens/:id`, async (req) => {
    const p = principalOf(req);
    const id = (req.params as { id?: unknown }).id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) throw new BadRequestError('id: is not a token id', [{ field: 'id', message: 'is not a token id' }]);
    // Others' tokens answer 404 rather than 403, so ids cannot be probed.
    const mine = isClusterAdmin(p) || (await store.tokens.list(p.name)).some((t) => t.id === id);
    if (!mine) throw new NotFoundError(`token "${id}" not found`);
    await auditedWrite(req, 200, (opts) =>
      store.transaction(async (tx) => {
        if (!(await tx.tokens.revoke(id))) throw new NotFoundError(`token "${id}" not found`);
      }, opts),
    );
    return { id, revoked: true };
  });
}
