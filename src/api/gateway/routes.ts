// HTTP side of the gateway: `/{project}/{service}[/…]` (any method) proxied to a ready replica,
// and `POST /api/v1/projects/{p}/services/{name}/metrics` for a pushed autoscaling metric.
// Callers need a token that may read the project (members for the metric push); the auth hook in
// server.ts has already turned the bearer token into a principal, or answered 401.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError } from '../../model/errors.js';
import { ServiceKind, type ServiceSpec } from '../../model/kinds/service.js';
import type { Resource } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { problem, sendProblem } from '../problem.js';
import { authorize } from '../rbac.js';
import { API_PREFIX, principalOf } from '../routes/context.js';
import { pickReplica } from './balancer.js';
import type { Gateway } from './index.js';
import { forwardableHeaders, openUpstream, UpstreamError } from './proxy.js';
import type { Replica } from './replicas.js';

/** First path segments that belong to the server itself, never to a project's service. */
const RESERVED = new Set(['api', 'assets', 'healthz', 'readyz', 'metrics', 'favicon.ico', 'favicon.svg', 'index.html', 'ui']);
const RETRY_AFTER_S = '5';

interface GatewayParams {
  project: string;
  service: string;
}

/** `/p/s/rest?q` → `/rest?q`, keeping the caller's encoding. */
export function upstreamPath(url: string): string {
  const rest = /^\/[^/?]*\/[^/?]*(.*)$/.exec(url)?.[1] ?? '';
  return rest.startsWith('/') ? rest : `/${rest}`;
}

async function findService(store: Store, gw: Gateway, project: string, name: string): Promise<Resource> {
  const svc = gw.table.service(project, name) ?? (await store.get({ kind: 'Service', project, name }));
  if (!svc) throw new NotFoundError(`service "${name}" not found in project "${project}"`);
  return svc;
}

/**
 * Waiting is worth it when the autoscaler may bring the Service up from zero, or a replica is
 * still starting (has never passed a probe). Replicas that were ready and now fail their probe
 * get no grace: the caller hears 503 at once rather than after the hold.
 */
function mayBecomeReady(gw: Gateway, svc: Resource): boolean {
  const spec = svc.spec as unknown as ServiceSpec;
  const project = svc.metadata.project ?? '';
  if ((spec.replicas?.min ?? 1) === 0 && spec.autoscaling !== undefined) return true;
  return gw.table.replicas(project, svc.metadata.name).some((r) => !r.everReady);
}

async function awaitReplica(gw: Gateway, svc: Resource, closed: AbortSignal): Promise<Replica | undefined> {
  const project = svc.metadata.project ?? '';
  const name = svc.metadata.name;
  let r = pickReplica(gw.table.readyReplicas(project, name), gw.traffic.nextTurn());
  if (r || !mayBecomeReady(gw, svc)) return r;
  const deadline = Date.now() + gw.holdTimeoutMs;
  while (!r && !closed.aborted && Date.now() < deadline) {
    await gw.table.changed(Math.min(deadline - Date.now(), 1000), closed);
    r = pickReplica(gw.table.readyReplicas(project, name), gw.traffic.nextTurn());
  }
  return r;
}

async function proxy(gw: Gateway, store: Store, req: FastifyRequest<{ Params: GatewayParams }>, reply: FastifyReply): Promise<FastifyReply> {
  const { project, service } = req.params;
  if (RESERVED.has(project)) {
    reply.callNotFound();
    return reply;
  }
  // Authorize before looking: another project's token learns nothing, not even whether it exists.
  authorize(principalOf(req), 'get', ServiceKind, { project, name: service });
  const svc = await findService(store, gw, project, service);

  const finishLoad = gw.traffic.begin(project, service);
  const closed = new AbortController();
  reply.raw.on('close', () => closed.abort());
  let replica: Replica | undefined;
  try {
    replica = await awaitReplica(gw, svc, closed.signal);
  } catch (err) {
    finishLoad();
    throw err;
  }
  if (closed.signal.aborted) {
    finishLoad(); // the caller gave up while held
    return reply;
  }
  if (!replica) {
    finishLoad();
    const known = gw.table.replicas(project, service).length;
    const outside = gw.table.outsideResidency(project, service);
    const detail =
      outside.count > 0
        ? `service "${service}" in project "${project}" has no ready replicas within its data residency (${outside.count} ready outside it: ${outside.rule})`
        : `service "${service}" in project "${project}" has no ready replicas${known > 0 ? ` (${known} with an endpoint, none passing its readiness probe)` : ''}`;
    reply.header('retry-after', RETRY_AFTER_S);
    return sendProblem(reply, problem(503, 'NoReadyReplicas', detail));
  }

  const picked = replica;
  picked.outstanding++;
  picked.served++;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    picked.outstanding--;
    finishLoad();
  };
  const headers = forwardableHeaders(req.headers);
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${req.ip}` : req.ip;
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-proto'] = req.protocol;
  headers['x-forwarded-prefix'] = `/${encodeURIComponent(project)}/${encodeURIComponent(service)}`;
  headers['x-request-id'] = String(req.id);
  try {
    const up = await openUpstream({
      endpoint: picked.endpoint,
      path: upstreamPath(req.url),
      method: req.method,
      headers,
      body: req.raw,
      timeoutMs: gw.requestTimeoutMs,
      agents: gw.agents,
      signal: closed.signal,
    });
    // The replica is done once its answer has been read to the end ('close' covers a broken one).
    up.response.on('end', finish);
    up.response.on('close', finish);
    closed.signal.addEventListener('abort', () => {
      finish();
      if (!up.response.complete) up.abort();
    }, { once: true });
    reply.code(up.response.statusCode ?? 502);
    reply.headers(forwardableHeaders(up.response.headers));
    reply.header('x-weft-replica', picked.name);
    return reply.send(up.response);
  } catch (err) {
    finish();
    const timedOut = err instanceof UpstreamError && err.timedOut;
    const detail = `replica "${picked.name}" of service "${service}": ${(err as Error).message}`;
    return sendProblem(reply, problem(timedOut ? 504 : 502, timedOut ? 'UpstreamTimeout' : 'BadGateway', detail));
  }
}

function parseMetric(body: unknown): { name: string; value: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ValidationError.field('body', 'must be an object {name, value}');
  const { name, value } = body as { name?: unknown; value?: unknown };
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) throw ValidationError.field('name', 'must be a metric name of 1 to 128 characters');
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw ValidationError.field('value', `must be a finite number ≥ 0, got ${JSON.stringify(value)}`);
  return { name, value };
}

export function registerGatewayRoutes(app: FastifyInstance, deps: { store: Store; gateway: Gateway }): void {
  const { store, gateway } = deps;
  app.post<{ Params: { project: string; name: string } }>(`${API_PREFIX}/projects/:project/services/:name/metrics`, async (req, reply) => {
    const { project, name } = req.params;
    authorize(principalOf(req), 'patch', ServiceKind, { project, name });
    const svc = await store.get({ kind: 'Service', project, name });
    if (!svc) throw new NotFoundError(`service "${name}" not found in project "${project}"`);
    const m = parseMetric(req.body);
    const want = (svc.spec as unknown as ServiceSpec).autoscaling?.metric?.name;
    if (want !== m.name) {
      throw ValidationError.field('name', want ? `service "${name}" scales on metric "${want}", not "${m.name}"` : `service "${name}" has no spec.autoscaling.metric`);
    }
    gateway.traffic.pushMetric(project, name, m.name, m.value);
    return reply.code(204).send();
  });

  // The proxied routes live in their own scope, whose bodies are left unread so they stream.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const handler = (req: FastifyRequest<{ Params: GatewayParams }>, reply: FastifyReply) => proxy(gateway, store, req, reply);
    scope.all<{ Params: GatewayParams }>('/:project/:service', handler);
    scope.all<{ Params: GatewayParams }>('/:project/:service/*', handler);
  });
}
