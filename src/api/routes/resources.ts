// Generic resource routes for every kind in the registry. Routes stay thin: parse and check the
// URL, authorize, call the resource service, shape the answer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KindDef } from '../../model/kind.js';
import { KINDS } from '../../model/registry.js';
import {
  createResource,
  deleteResource,
  getResource,
  patchResource,
  replaceResource,
  writeStatus,
  type Target,
} from '../../control/resources.js';
import { isPlainObject } from '../../control/merge-patch.js';
import { auditedWrite } from '../audit.js';
import type { AdmissionContext } from '../../control/policy/admission.js';
import { authorize, type Verb } from '../rbac.js';
import { agentStatusBody, scopeForNode } from '../node-scope.js';
import { nameParam, versionParam, type Query } from '../params.js';
import { serveCollection } from './list.js';
import { withHeartbeats } from '../node-heartbeats.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

type Params = Record<string, unknown>;

function projectOf(def: KindDef, req: FastifyRequest): string | undefined {
  return def.scope === 'project' ? nameParam((req.params as Params).project, 'project') : undefined;
}

function itemTarget(def: KindDef, req: FastifyRequest): Target & { name: string } {
  const project = projectOf(def, req);
  const name = nameParam((req.params as Params).name, 'name');
  return project === undefined ? { name } : { project, name };
}

function bodyName(body: unknown): string | undefined {
  const name = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata.name : undefined;
  return typeof name === 'string' ? name : undefined;
}

function check(req: FastifyRequest, verb: Verb, def: KindDef, t: Target): void {
  authorize(principalOf(req), verb, def, t);
}

/** Admission's view of the request: the policies in force and who asks. */
export function admission(deps: RouteDeps, req: FastifyRequest): AdmissionContext {
  const p = principalOf(req);
  return { ...(deps.policies ? { policies: deps.policies } : {}), ...(deps.secrets ? { secrets: deps.secrets } : {}), ...(deps.networkPool ? { networkPool: deps.networkPool } : {}), ...(deps.calendar ? { calendar: deps.calendar } : {}), requester: { kind: p.kind, name: p.name, roles: p.roles }, now: deps.clock.now() };
}

/** Warn policies' messages, as RFC 9111 Warning headers (code 299, as Kubernetes sends them). */
export function sendWarnings(reply: FastifyReply, ctx: AdmissionContext): void {
  const warnings = ctx.policyRun?.warnings() ?? [];
  if (warnings.length > 0) reply.header('warning', warnings.map((w) => `299 - ${JSON.stringify(w.replace(/[\r\n]+/g, ' '))}`));
}

function registerKind(app: FastifyInstance, deps: RouteDeps, def: KindDef): void {
  const { store } = deps;
  const collection = def.scope === 'project' ? `${API_PREFIX}/projects/:project/${def.plural}` : `${API_PREFIX}/${def.plural}`;
  const item = `${collection}/:name`;

  app.get(collection, (req, reply) => serveCollection(deps, def, req, reply, projectOf(def, req)));
  if (def.scope === 'project') {
    // Cross-project list and watch: only the projects the caller may read (narrowed in list.ts).
    app.get(`${API_PREFIX}/${def.plural}`, (req, reply) => serveCollection(deps, def, req, reply, undefined));
  }

  app.post(collection, async (req, reply: FastifyReply) => {
    const project = projectOf(def, req);
    const name = bodyName(req.body);
    check(req, 'create', def, { project, ...(name !== undefined ? { name } : {}) });
    const ctx = admission(deps, req);
    const created = await auditedWrite(req, 201, (opts) => createResource(store, def, req.body, { project }, Object.assign(ctx, opts)));
    sendWarnings(reply, ctx);
    return reply.code(201).send(created);
  });

  app.get(item, async (req) => {
    const t = (await scopeForNode(store, principalOf(req), def, itemTarget(def, req))).target;
    check(req, 'get', def, t);
    const [obj] = await withHeartbeats(store, def, [await getResource(store, def, t)]);
    return deps.present(obj!);
  });

  app.put(item, async (req, reply) => {
    const t = itemTarget(def, req);
    check(req, 'update', def, t);
    const ctx = admission(deps, req);
    const out = await auditedWrite(req, 200, (opts) => replaceResource(store, def, req.body, t, Object.assign(ctx, opts)));
    sendWarnings(reply, ctx);
    return out;
  });

  app.patch(item, async (req, reply) => {
    const t = itemTarget(def, req);
    check(req, 'patch', def, t);
    const ctx = admission(deps, req);
    const out = await auditedWrite(req, 200, (opts) => patchResource(store, def, req.body, t, Object.assign(ctx, opts)));
    sendWarnings(reply, ctx);
    return out;
  });

  app.delete(item, async (req, reply) => {
    const t = itemTarget(def, req);
    check(req, 'delete', def, t);
    const version = versionParam(req.query as Query);
    const ctx = admission(deps, req);
    const out = await auditedWrite(req, 200, (opts) => deleteResource(store, def, t, version, Object.assign(ctx, opts)));
    sendWarnings(reply, ctx);
    return out;
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: `${item}/status`,
      handler: async (req) => {
        const { target: t, current } = await scopeForNode(store, principalOf(req), def, itemTarget(def, req));
        check(req, 'status', def, t);
        const mode = method === 'PUT' ? 'replace' : 'merge';
        const body = agentStatusBody(principalOf(req), def, req.body, mode, current);
        return auditedWrite(req, 200, (opts) => writeStatus(store, def, body, t, mode, opts, deps.clock.now()));
      },
    });
  }
}

export function registerResourceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  for (const def of KINDS) registerKind(app, deps, def);
}
