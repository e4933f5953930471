// List and watch of a collection, narrowed to what the caller may see.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError } from '../../model/errors.js';
import type { KindDef } from '../../model/kind.js';
import { API_VERSION, type Resource } from '../../model/metadata.js';
import type { ListOptions } from '../../store/types.js';
import { authorize, listScope, nodeLabelSelector } from '../rbac.js';
import { listQuery, type Query } from '../params.js';
import { serveWatch } from '../watch.js';
import { principalOf, type RouteDeps } from './context.js';

export interface ListBody {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: Resource[];
}

/** Continue tokens for lists narrowed in memory (Projects, Users): "n." + base64url(last name). */
function pageInMemory(items: Resource[], limit: number | undefined, cont: string | undefined): { items: Resource[]; continue?: string } {
  items.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  let start = 0;
  if (cont !== undefined) {
    const m = /^n\.([A-Za-z0-9_-]+)$/.exec(cont);
    if (!m) throw new BadRequestError('continue: is not a continue token from a previous page', [{ field: 'continue', message: 'is not a continue token from a previous page' }]);
    const after = Buffer.from(m[1]!, 'base64url').toString('utf8');
    start = items.findIndex((o) => o.metadata.name > after);
    if (start < 0) start = items.length;
  }
  if (limit === undefined || start + limit >= items.length) return { items: items.slice(start) };
  const page = items.slice(start, start + limit);
  return { items: page, continue: `n.${Buffer.from(page[page.length - 1]!.metadata.name).toString('base64url')}` };
}

export async function serveCollection(deps: RouteDeps, def: KindDef, req: FastifyRequest, reply: FastifyReply, project: string | undefined): Promise<ListBody | void> {
  const p = principalOf(req);
  const q = listQuery(req.query as Query);
  authorize(p, q.watch ? 'watch' : 'list', def, project === undefined ? {} : { project });

  // Narrowing: one project from the URL (already authorized), else what the caller's roles allow.
  const scope = listScope(p, def);
  const opts: ListOptions = {};
  let accept: (o: Resource) => boolean = () => true;
  let names: Set<string> | undefined;
  if (project !== undefined) {
    opts.project = project;
    accept = (o) => o.metadata.project === project;
  } else if ('projects' in scope) {
    const allowed = new Set(scope.projects);
    opts.projects = scope.projects;
    accept = (o) => o.metadata.project !== undefined && allowed.has(o.metadata.project);
  } else if ('names' in scope) {
    const allowedNames = new Set(scope.names);
    names = allowedNames;
    accept = (o) => allowedNames.has(o.metadata.name);
  }
  if (q.labelSelector !== undefined) opts.labelSelector = q.labelSelector;
  // A node agent sees only the allocations bound to its own node, whatever it asked for.
  const forced = nodeLabelSelector(p, def);
  if (forced !== undefined) {
    opts.labelSelector = q.labelSelector !== undefined ? `${q.labelSelector},${forced}` : forced;
    const inScope = accept;
    accept = (o) => inScope(o) && (o.spec as { node?: unknown }).node === p.name;
  }

  if (q.watch) {
    return serveWatch(deps.store, deps.hub, req, reply, {
      kind: def.kind,
      ...opts,
      ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : lastEventId(req)),
      accept,
    });
  }

  const body = (items: Resource[], resourceVersion: string, cont?: string): ListBody => ({
    apiVersion: API_VERSION,
    kind: `${def.kind}List`,
    metadata: cont !== undefined ? { resourceVersion, continue: cont } : { resourceVersion },
    items,
  });
  if (opts.projects !== undefined && opts.projects.length === 0) {
    return body([], await deps.store.currentResourceVersion());
  }
  if (names !== undefined) {
    const all = await deps.store.list(def.kind, opts);
    const page = pageInMemory(all.items.filter(accept), q.limit, q.continue);
    return body(page.items, all.resourceVersion, page.continue);
  }
  const res = await deps.store.list(def.kind, { ...opts, ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.continue !== undefined ? { continue: q.continue } : {}) });
  // The store already narrowed by project; filtering again costs little and guards the boundary.
  return body(res.items.filter(accept), res.resourceVersion, res.continue);
}

/** Browsers' EventSource resends the last id it saw as Last-Event-ID when it reconnects. */
function lastEventId(req: FastifyRequest): { resourceVersion?: string } {
  const h = req.headers['last-event-id'];
  if (typeof h === 'string' && /^[0-9]{1,19}$/.test(h)) return { resourceVersion: h };
  return {};
}
