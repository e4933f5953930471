// Bearer-token authentication. Tokens are "weft_" + base64url(32 random bytes); only their
// SHA-256 hash is stored, so a database dump reveals no usable credential.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { BEARER_PROTOCOL_PREFIX } from '../model/console-protocol.js';
import { AlreadyExistsError, UnauthorizedError } from '../model/errors.js';
import { API_VERSION } from '../model/metadata.js';
import { SYSTEM_PROJECT } from '../model/kinds/event.js';
import type { UserSpec } from '../model/kinds/user.js';
import type { Store, TokenKind, TokenRecord } from '../store/types.js';
import type { PrincipalCache } from './auth-cache.js';
import type { Principal } from './rbac.js';

export const TOKEN_PREFIX = 'weft_';
const TOKEN_RE = /^weft_[A-Za-z0-9_-]{43}$/;
export const BOOTSTRAP_ADMIN = 'admin';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface IssuedToken {
  record: TokenRecord;
  /** The plain token: returned once, never stored. */
  token: string;
}

/** Mints a token in `store` (or in a transaction: both hold `tokens`). */
export async function issueToken(
  store: Pick<Store, 'tokens'>,
  /** `now`: when the token is issued, for its expiry (the API passes its clock's time). */
  opts: { kind: TokenKind; subject: string; description?: string; expiresInSeconds?: number; now?: Date },
): Promise<IssuedToken> {
  const token = generateToken();
  const now = opts.now ?? new Date();
  const expiresAt = opts.expiresInSeconds !== undefined ? new Date(now.getTime() + opts.expiresInSeconds * 1000).toISOString() : undefined;
  const record = await store.tokens.create({
    kind: opts.kind,
    subject: opts.subject,
    hash: hashToken(token),
    ...(opts.description !== undefined ? { description: opts.description } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  });
  return { record, token };
}

/** The token of an `Authorization: Bearer <token>` header, or UnauthorizedError. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new UnauthorizedError('missing Authorization header: send "Authorization: Bearer <token>"');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  return m[1]!;
}

/** Resolves an Authorization header to a principal, or throws UnauthorizedError. */
export async function authenticate(store: Store, header: string | undefined, now: Date, cache?: PrincipalCache): Promise<Principal> {
  const token = bearerToken(header);
  // Malformed tokens are rejected without a database round trip.
  if (!TOKEN_RE.test(token)) throw new UnauthorizedError('invalid token');
  const hash = hashToken(token);
  const cached = cache?.get(hash, now.getTime());
  if (cached) return cached;
  const epoch = cache?.epoch() ?? 0;
  const rec = await store.tokens.findByHash(hash);
  if (!rec) throw new UnauthorizedError('invalid or revoked token');
  if (rec.expiresAt && Date.parse(rec.expiresAt) <= now.getTime()) throw new UnauthorizedError('token expired');
  if (rec.kind === 'join') throw new UnauthorizedError('a join token can only be exchanged for a node token');
  if (rec.kind === 'node') {
    const node: Principal = { kind: 'node', name: rec.subject, roles: [], tokenId: rec.id };
    cache?.set(hash, node, now.getTime(), rec.expiresAt, epoch);
    return node;
  }
  const user = await store.get({ kind: 'User', name: rec.subject });
  if (!user) throw new UnauthorizedError(`user "${rec.subject}" no longer exists`);
  const spec = user.spec as unknown as UserSpec;
  if (spec.disabled) throw new UnauthorizedError(`user "${rec.subject}" is disabled`);
  const principal: Principal = { kind: 'user', name: rec.subject, roles: spec.roles ?? [], tokenId: rec.id };
  cache?.set(hash, principal, now.getTime(), rec.expiresAt, epoch);
  return principal;
}

async function createIfMissing(store: Store, kind: string, name: string, spec: Record<string, unknown>): Promise<void> {
  if (await store.get({ kind, name })) return;
  try {
    await store.create({ apiVersion: API_VERSION, kind, metadata: { name }, spec });
  } catch (e) {
    // Another replica starting at the same moment got there first: same outcome.
    if (!(e instanceof AlreadyExistsError)) throw e;
  }
}

/**
 * First start: creates User "admin" (cluster admin) and returns a plain token for it — only while
 * no user token exists yet, so later starts never print a credential. Also makes sure the
 * weft-system project (events about cluster-scoped objects) exists.
 */
export async function ensureBootstrapAdmin(store: Store): Promise<{ token?: string; user: string }> {
  await createIfMissing(store, 'Project', SYSTEM_PROJECT, { description: 'Events about cluster-scoped objects (nodes, sites).' });
  if (!(await store.tokens.isEmpty())) return { user: BOOTSTRAP_ADMIN };
  await createIfMissing(store, 'User', BOOTSTRAP_ADMIN, { displayName: 'Bootstrap administrator', roles: [{ role: 'admin' }] });
  const { token } = await issueToken(store, { kind: 'user', subject: BOOTSTRAP_ADMIN, description: 'bootstrap admin token' });
  return { token, user: BOOTSTRAP_ADMIN };
}

/**
 * The request's Authorization header; for a browser's WebSocket upgrade, which cannot carry one,
 * the bearer token it offered as a subprotocol (model/console-protocol.ts).
 */
export function authorizationOf(headers: IncomingHttpHeaders): string | undefined {
  if (headers.authorization !== undefined) return headers.authorization;
  if (String(headers.upgrade ?? '').toLowerCase() !== 'websocket') return undefined;
  const offered = String(headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const token = offered.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  return token ? `Bearer ${token.slice(BEARER_PROTOCOL_PREFIX.length)}` : undefined;
}
