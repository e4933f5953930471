// Records every mutating request in the audit log. A request that writes does so through
// `auditedWrite`: its entry is appended to the chain in the write's own store transaction, so an
// acknowledged write always has its entry, even if the process dies right after (kill -9).
// Every other mutating request (refused, failed, or changing nothing durable) gets its entry
// once its result is known: queued before the reply's bytes go out (onSend), so a client that
// reads the log right after its own request finds it there, and committed in the background,
// grouped with its neighbours, so the caller never waits for it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { kindByPlural } from '../model/registry.js';
import type { Clock } from '../control/clock.js';
import type { AuditEntryInput, Store, TransactionOptions } from '../store/types.js';
import { API_PREFIX } from './routes/context.js';
import { decodedSegments, routedPath } from './routed-path.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_FIELD = 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** Names what a route created when the URL does not (a new token's id). */
    auditName?: string;
    /** Set once the request's write committed together with its audit entry. */
    auditCommitted?: boolean;
    /**
     * Set by a route whose success changes no resource and comes thousands of times an hour (a
     * node's heartbeat): recorded only when it is refused or fails.
     */
    auditQuiet?: boolean;
  }
  interface FastifyInstance {
    /** The server's clock (ServerOptions.clock): audit entries carry its time. */
    clock: Clock;
  }
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

interface Target {
  verb: string;
  kind: string;
  project: string;
  name: string;
}

const API_SEGMENTS = API_PREFIX.split('/');

function isApiPath(segs: readonly string[]): boolean {
  return API_SEGMENTS.every((s, i) => segs[i] === s) && segs.length > API_SEGMENTS.length;
}

const field = (seg: string | undefined): string => (seg ?? '').slice(0, MAX_FIELD);

/**
 * What the request's decoded path segments (and, for a create, its body) name. Unknown paths
 * keep '' fields.
 */
export function auditTarget(method: string, segments: readonly string[], body: unknown): Target {
  const t: Target = { verb: VERBS[method] ?? method.toLowerCase(), kind: '', project: '', name: '' };
  if (!isApiPath(segments)) return t;
  let segs = segments.slice(API_SEGMENTS.length);
  if (segs[0] === 'projects' && segs.length >= 3) {
    t.project = field(segs[1]);
    segs = segs.slice(2);
  }
  const plural = field(segs[0]);
  if (plural === 'explain' && segs.length === 1) {
    // A what-if about a manifest (routes/what-if.ts) stores nothing: it is recorded as asked, of its kind.
    t.verb = 'explain';
    const doc = typeof body === 'object' && body !== null ? (body as { kind?: unknown; metadata?: { project?: unknown } }) : {};
    if (typeof doc.kind === 'string') t.kind = field(doc.kind);
    if (typeof doc.metadata?.project === 'string') t.project = field(doc.metadata.project);
    segs = [];
  } else t.kind = plural === 'tokens' ? 'Token' : (kindByPlural(plural)?.kind ?? plural);
  t.name = field(segs[1]);
  if (segs[2] === 'status') t.verb = 'status';
  if (!t.name && method === 'POST' && typeof body === 'object' && body !== null) {
    const meta = (body as { metadata?: unknown }).metadata;
    const name = typeof meta === 'object' && meta !== null ? (meta as { name?: unknown }).name : undefined;
    if (typeof name === 'string') t.name = name.slice(0, MAX_FIELD);
  }
  return t;
}

export function auditEntry(req: FastifyRequest, status: number, now: Date): AuditEntryInput {
  // The path as sent, so the log shows exactly what the caller wrote; the target is what the
  // router made of it.
  const path = (req.url.split('?')[0] ?? '').slice(0, 2048);
  const t = auditTarget(req.method, decodedSegments(req.url), req.body);
  const p = req.principal;
  return {
    time: now.toISOString(),
    requestId: String(req.id),
    principal: p?.name ?? '',
    principalKind: p?.kind ?? 'anonymous',
    ...t,
    name: req.auditName ?? t.name,
    method: req.method,
    path,
    status,
    source: req.ip ?? '',
  };
}

/**
 * Carries out a request's write with its audit entry in the same store transaction. `status` is
 * what the request answers when the write succeeds; a write that fails leaves the entry to the
 * onSend hook, which records the error status.
 */
export async function auditedWrite<T>(req: FastifyRequest, status: number, write: (opts: TransactionOptions) => Promise<T>): Promise<T> {
  const value = await write({ audit: () => auditEntry(req, status, req.server.clock.now()) });
  req.auditCommitted = true;
  return value;
}

/** Decided on the routed path: `/%61pi/v1/…` is an API request like `/api/v1/…`. */
function isApiRequest(req: FastifyRequest): boolean {
  return routedPath(req).startsWith('/api/');
}

export function registerAuditHooks(app: FastifyInstance, store: Store, clock: Clock): void {
  app.decorate('clock', clock);
  app.addHook('onSend', async (req, reply, payload) => {
    // Only the control-plane API is audited: requests the inference gateway proxies to a
    // Service change nothing in Weft and would drown the log.
    if (!MUTATING.has(req.method) || !isApiRequest(req) || req.auditCommitted) return payload;
    if (req.auditQuiet && reply.statusCode < 400) return payload;
    store.audit.append([auditEntry(req, reply.statusCode, clock.now())]).catch((err: unknown) => {
      // The request already happened; a lost entry must at least be loud in the server log.
      req.log.error({ err, requestId: req.id }, 'audit: could not record a request');
    });
    return payload;
  });
  // Entries accepted before shutdown reach the database before the store may be closed.
  app.addHook('onClose', async () => {
    await store.audit.flush();
  });
}
