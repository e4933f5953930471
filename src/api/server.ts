// The HTTP server: Fastify with problem-details errors, body parsers, bearer auth on every route
// but the public three, and the generic resource routes for every kind.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { MAX_REQUEST_BYTES } from '../model/limits.js';
import type { CheckpointBook } from '../control/audit/checkpoints.js';
import { API_VERSION } from '../model/metadata.js';
import { systemClock, type Clock } from '../control/clock.js';
import type { Store } from '../store/types.js';
import { registerAuditHooks } from './audit.js';
import { routedPath } from './routed-path.js';
import { PrincipalCache } from './auth-cache.js';
import { authenticate, authorizationOf } from './auth.js';
import { registerBodyParsers } from './body.js';
import { isConsolePath, registerConsole } from './console.js';
import { createMetrics, registerMetricsRoute, type ServerMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { problem, registerProblemHandlers, sendProblem, toProblem } from './problem.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerUsageRoutes } from './routes/usage.js';
import { registerSummaryRoutes } from './routes/summary.js';
import { registerStreamRoute } from './routes/stream.js';
import { registerResourceRoutes } from './routes/resources.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerNodeRoutes, REGISTER_PATH } from './routes/nodes.js';
import { registerLogRoutes } from './routes/logs.js';
import { registerVmConsoleRoutes } from './routes/vm-console.js';
import { registerImageDiskRoutes } from './routes/image-disk.js';
import type { ImageBlobs } from './image-blobs.js';
import { registerSecretRoutes } from './routes/secrets.js';
import { SecretBox } from '../control/secrets/secret-box.js';
import { ServerKey } from '../control/audit/server-key.js';
import { registerWhatIfRoutes } from './routes/what-if.js';
import { registerMcpRoutes, type McpHandler } from './routes/mcp.js';
import { registerGatewayRoutes, type Gateway } from './gateway/index.js';
import type { WatchHub } from './watch.js';
import { PolicyEngine } from '../control/policy/engine.js';
import type { RouteDeps } from './routes/context.js';
import type { QueuePositions } from '../control/queue-positions.js';
import { CalendarCache } from '../control/reservations/calendar-cache.js';

export const DEFAULT_BODY_LIMIT = MAX_REQUEST_BYTES;

export interface ServerOptions {
  store: Store;
  /** A pino logger, `true` for Fastify's default one, or nothing for silence. */
  logger?: FastifyBaseLogger | boolean;
  bodyLimit?: number;
  /** Interval of SSE keep-alive comments (default 15 s). */
  watchHeartbeatMs?: number;
  /** How long an authenticated principal is reused without a database read (default 2 s; 0 = off). */
  authCacheTtlMs?: number;
  /** How often policy counters are added to the policies' status (default 10 s). */
  policyFlushIntervalMs?: number;
  /** Metrics shared with the control plane in this process; created when absent. */
  metrics?: ServerMetrics;
  /** The inference gateway of this process (`/{project}/{service}/…` and the metric push); none = not served. */
  gateway?: Gateway;
  /** The scheduling loop's placement policy, which the what-if (`weft explain`) uses too (default weft). */
  policy?: string;
  /** While the process is still starting (the control plane), why it is not ready; /readyz then answers 503. */
  notReady?: () => string | undefined;
  /** The server key (kept outside the database): Secrets are sealed under a key derived from it. */
  serverKey?: ServerKey;
  /** The signed audit checkpoints this server publishes; `GET /api/v1/audit/verify` compares the chain with them. */
  auditCheckpoints?: CheckpointBook;
  /** Time for token expiry, admission, audit entries and reports (default: the system clock). */
  clock?: Clock;
  /** The MCP server, served at /mcp with the caller's token (assembled by src/server); none = not served. */
  mcp?: McpHandler;
  /** Queue positions of waiting workloads, left by this process's scheduling loop while it leads. */
  positions?: QueuePositions;
  /** Where a Network without a subnet gets one (default control/networks DEFAULT_NETWORK_POOL). */
  networkPool?: string;
  /** Where uploaded Image disks are kept; none = uploads are refused. */
  imageBlobs?: ImageBlobs;
}

const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/api/openapi.json']);
const CREDENTIAL_ROUTES = /^\/api\/v1\/(tokens|users)(\/|$)/;
const NODE_ROUTE = '/api/v1/nodes/:name';

/**
 * Whether a request may change who is who: any write to tokens or users, a node's registration
 * (it replaces the node's credential) or a Node's deletion (it revokes it). Not an agent's status
 * writes, which come every few seconds and would empty the cache each time.
 */
function changesCredentials(req: FastifyRequest): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const path = routedPath(req);
  return CREDENTIAL_ROUTES.test(path) || path === REGISTER_PATH || (req.method === 'DELETE' && path === NODE_ROUTE);
}

function packageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export interface DeclaredRoute {
  method: string;
  url: string;
}
const declaredRoutes = new WeakMap<FastifyInstance, DeclaredRoute[]>();

/** Every route the server declares (method and Fastify's path), so the API document can be checked against them. */
export function routesOf(app: FastifyInstance): readonly DeclaredRoute[] {
  return declaredRoutes.get(app) ?? [];
}

export function createServer(opts: ServerOptions): FastifyInstance {
  const { store } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const app = Fastify({
    ...(logger && typeof logger === 'object' ? { loggerInstance: logger } : { logger: logger === true }),
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Over-long names should get a 400 naming the field, not the router's bare 404.
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    // On close, drop keep-alive sockets too: a client must not reuse a socket of a stopped server.
    forceCloseConnections: true,
    // Malformed URLs (bad percent-encoding) are rejected by the router before any hook runs.
    frameworkErrors: (err, _req, reply) => {
      sendProblem(reply, toProblem(err));
    },
    // Request ids end up in the audit log, so they must be unique across restarts and replicas
    // (Fastify's default counter restarts at 1), and never taken from the caller.
    genReqId: () => randomUUID(),
  }) as unknown as FastifyInstance;

  const declared: DeclaredRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') declared.push({ method, url: r.url });
  });
  declaredRoutes.set(app, declared);

  const hub: WatchHub = { heartbeatMs: opts.watchHeartbeatMs ?? 15_000, open: new Set() };
  // Open watch streams would otherwise hold close() until every client hung up.
  app.addHook('preClose', async () => {
    for (const close of [...hub.open]) close();
  });

  const principals = new PrincipalCache(opts.authCacheTtlMs);
  registerProblemHandlers(app);
  registerBodyParsers(app);

  app.decorateRequest('principal', undefined);
  app.decorateRequest('auditName', undefined);
  app.decorateRequest('auditCommitted', false);
  // First hook: even a request refused by authentication carries the id its audit entry has.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  registerAuditHooks(app, store, clock);
  app.addHook('onRequest', async (req) => {
    // Decided on the route the router matched (never the raw URL); an unmatched path is
    // authenticated like any other, so probing unknown paths needs a token too.
    const route = req.routeOptions.url;
    if (route !== undefined && (PUBLIC_PATHS.has(route) || isConsolePath(route))) return;
    if (route === REGISTER_PATH) return; // authenticates a join token itself (routes/nodes.ts)
    req.principal = await authenticate(store, authorizationOf(req.headers), clock.now(), principals);
  });
  // A change of who is who (a revoked token, a disabled user, a node's replaced or revoked
  // credential): forget every cached principal.
  // Cleared before the reply goes out, so no request after the caller's acknowledgement sees the
  // old principal (the cache's epoch keeps one read before the change from being cached after).
  app.addHook('onSend', async (req, _reply, payload) => {
    if (changesCredentials(req)) principals.clear();
    return payload;
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await store.currentResourceVersion();
      const waiting = opts.notReady?.();
      if (waiting !== undefined) return sendProblem(reply, problem(503, 'Unavailable', waiting));
      return { status: 'ok' };
    } catch (err) {
      app.log.warn({ err }, 'store not reachable');
      return sendProblem(reply, problem(503, 'Unavailable', 'the store is not reachable'));
    }
  });
  const version = packageVersion();
  const openapi = buildOpenApi(version);
  app.get('/api/openapi.json', async () => openapi);
  app.get('/api/v1/version', async () => ({ version, apiVersion: API_VERSION }));

  // Admission policies: compiled once per change, their counters added to their status every few seconds.
  const policies = new PolicyEngine(store, { log: (msg) => app.log.warn(msg), flushIntervalMs: opts.policyFlushIntervalMs ?? 10_000 });
  policies.start();
  app.addHook('onClose', () => policies.stop());
  // Secret values are sealed under the server key; a server without one on disk (an in-memory
  // database) makes one that lives as long as the process, like its data.
  const secrets = new SecretBox(opts.serverKey ?? ServerKey.generate());
  // Reservation admission answers from an in-memory calendar while it provably holds what a write
  // sees (control/reservations/calendar-cache.ts); until it has read everything, from the store.
  const calendar = new CalendarCache(store, (msg) => app.log.warn(msg));
  calendar.start().catch((err: unknown) => app.log.error({ err }, 'capacity calendar stopped'));
  app.addHook('onClose', () => calendar.stop());
  const positions = opts.positions;
  const deps: RouteDeps = { store, hub, policies, calendar, clock, secrets, present: positions ? (o) => positions.present(o) : (o) => o, ...(opts.networkPool ? { networkPool: opts.networkPool } : {}) };
  registerTokenRoutes(app, deps);
  registerAuditRoutes(app, { ...deps, checkpoints: opts.auditCheckpoints });
  registerUsageRoutes(app, deps);
  registerStreamRoute(app, deps, registerSummaryRoutes(app, deps));
  registerResourceRoutes(app, deps);
  registerNodeRoutes(app, deps);
  registerLogRoutes(app, deps);
  registerVmConsoleRoutes(app, deps);
  registerImageDiskRoutes(app, deps, opts.imageBlobs);
  registerSecretRoutes(app, { ...deps, secrets });
  registerWhatIfRoutes(app, { ...deps, ...(opts.policy ? { policy: opts.policy } : {}) });
  if (opts.mcp) registerMcpRoutes(app, opts.mcp, version);
  if (opts.gateway) registerGatewayRoutes(app, { store, gateway: opts.gateway });
  registerMetricsRoute(app, store, opts.metrics ?? createMetrics(), clock);
  registerConsole(app);
  return app;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startServer(opts: Omit<ServerOptions, 'store'> & { store: Store; port: number; host?: string }): Promise<RunningServer> {
  const app = createServer(opts);
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port, host });
  const addr = app.server.address();
  const port = addr && typeof addr === 'object' ? addr.port : opts.port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${shownHost}:${port}`, app, close: () => app.close() };
}
