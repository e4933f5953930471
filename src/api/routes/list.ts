// List and watch of a collection, narrowed to what the caller may see.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError } from '../../model/errors.js';
import type { KindDef } from '../../model/kind.js';
import { API_VERSION, type Resource } from '../../model/metadata.js';
import type { ListOptions, ListOrder } from '../../store/types.js';
import { authorize, listScope, nodeLabelSelector, type Principal } from '../rbac.js';
import { listQuery, type Query } from '../params.js';
import { withHeartbeats } from '../node-heartbeats.js';
import { serveWatch } from '../watch.js';
import { principalOf, type RouteDeps } from './context.js';

export interface ListBody {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: Resource[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: Resource, b: Resource): number => cmp(a.metadata.name, b.metadata.name);
/** Newest first; creationTimestamps are all toISOString() text, so text order is time order. */
const byNewest = (a: Resource, b: Resource): number => cmp(b.metadata.creationTimestamp ?? '', a.metadata.creationTimestamp ?? '') || byName(a, b);

function badContinue(message: string): BadRequestError {
  return new BadRequestError(`continue: ${message}`, [{ field: 'continue', message }]);
}

/**
 * Continue tokens for lists narrowed in memory (Projects, Users), one prefix per order so a token
 * from one order is refused by the other rather than read as a position it never meant:
 * name order "n." + base64url(last name); newest order "t." + base64url(JSON [creationTimestamp, name]).
 */
function pageInMemory(items: Resource[], order: ListOrder, limit: number | undefined, cont: string | undefined): { items: Resource[]; continue?: string } {
  items.sort(order === 'newest' ? byNewest : byName);
  let start = 0;
  if (cont !== undefined) {
    const m = /^([nt])\.([A-Za-z0-9_-]+)$/.exec(cont);
    if (!m) throw badContinue('is not a continue token from a previous page');
    if ((m[1] === 't') !== (order === 'newest')) {
      throw badContinue(`was issued for order=${m[1] === 't' ? 'newest' : 'name'}, not order=${order}; start again without continue`);
    }
    const text = Buffer.from(m[2]!, 'base64url').toString('utf8');
    let after: (o: Resource) => boolean;
    if (order === 'newest') {
      let pos: unknown;
      try {
        pos = JSON.parse(text);
      } catch {
        throw badContinue('is not a continue token from a previous page');
      }
      if (!Array.isArray(pos) || pos.length !== 2 || typeof pos[0] !== 'string' || typeof pos[1] !== 'string') throw badContinue('is not a continue token from a previous page');
      const [ts, name] = pos as [string, string];
      after = (o) => {
        const t = o.metadata.creationTimestamp ?? '';
        return t < ts || (t === ts && o.metadata.name > name);
      };
    } else {
      after = (o) => o.metadata.name > text;
    }
    start = items.findIndex(after);
    if (start < 0) start = items.length;
  }
  if (limit === undefined || start + limit >= items.length) return { items: items.slice(start) };
  const page = items.slice(start, start + limit);
  const last = page[page.length - 1]!;
  const token = order === 'newest'
    ? `t.${Buffer.from(JSON.stringify([last.metadata.creationTimestamp ?? '', last.metadata.name])).toString('base64url')}`
    : `n.${Buffer.from(last.metadata.name).toString('base64url')}`;
  return { items: page, continue: token };
}

/** How one caller's list or watch of a collection is narrowed: in the store query, and again per object. */
export interface CollectionScope {
  opts: ListOptions;
  accept: (o: Resource) => boolean;
  /** Set when the caller may see only these names (Projects, Users): narrowed in memory. */
  names?: Set<string>;
}

/**
 * Authorizes `verb` on the collection and narrows it to what `p` may see: one project from the
 * URL (already authorized), else what the caller's roles allow; then the label and name
 * selectors; a node agent only ever sees the allocations bound to its own node. Lists, watches
 * and the console's combined stream all go through here, so they can never disagree.
 */
export function collectionScope(p: Principal, verb: 'list' | 'watch', def: KindDef, project: string | undefined, q: { labelSelector?: string; name?: string }): CollectionScope {
  authorize(p, verb, def, project === undefined ? {} : { project });
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
  if (q.name !== undefined) {
    // fieldSelector=metadata.name=NAME: the store narrows by name; accept checks it again so
    // neither the list nor the watch can hand out another object should a layer forget it.
    const name = q.name;
    opts.name = name;
    const inScope = accept;
    accept = (o) => inScope(o) && o.metadata.name === name;
  }
  const forced = nodeLabelSelector(p, def);
  if (forced !== undefined) {
    opts.labelSelector = q.labelSelector !== undefined ? `${q.labelSelector},${forced}` : forced;
    const inScope = accept;
    accept = (o) => inScope(o) && (o.spec as { node?: unknown }).node === p.name;
  }
  return names !== undefined ? { opts, accept, names } : { opts, accept };
}

export async function serveCollection(deps: RouteDeps, def: KindDef, req: FastifyRequest, reply: FastifyReply, project: string | undefined): Promise<ListBody | void> {
  const q = listQuery(req.query as Query);
  const { opts, accept, names } = collectionScope(principalOf(req), q.watch ? 'watch' : 'list', def, project, q);

  if (q.watch) {
    return serveWatch(deps.store, deps.hub, req, reply, {
      kind: def.kind,
      ...opts,
      ...(q.resourceVersion !== undefined ? { resourceVersion: q.resourceVersion } : lastEventId(req)),
      accept,
      present: deps.present,
    });
  }

  const body = async (items: Resource[], resourceVersion: string, cont?: string): Promise<ListBody> => ({
    apiVersion: API_VERSION,
    kind: `${def.kind}List`,
    metadata: cont !== undefined ? { resourceVersion, continue: cont } : { resourceVersion },
    items: (await withHeartbeats(deps.store, def, items)).map(deps.present),
  });
  if (opts.projects !== undefined && opts.projects.length === 0) {
    return body([], await deps.store.currentResourceVersion());
  }
  if (names !== undefined) {
    const all = await deps.store.list(def.kind, opts);
    const page = pageInMemory(all.items.filter(accept), q.order ?? 'name', q.limit, q.continue);
    return body(page.items, all.resourceVersion, page.continue);
  }
  const res = await deps.store.list(def.kind, {
    ...opts,
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.continue !== undefined ? { continue: q.continue } : {}),
    ...(q.order !== undefined ? { order: q.order } : {}),
  });
  // The store already narrowed by project; filtering again costs little and guards the boundary.
  return body(res.items.filter(accept), res.resourceVersion, res.continue);
}

/** Browsers' EventSource resends the last id it saw as Last-Event-ID when it reconnects. */
function lastEventId(req: FastifyRequest): { resourceVersion?: string } {
  const h = req.headers['last-event-id'];
  if (typeof h === 'string' && /^[0-9]{1,19}$/.test(h)) return { resourceVersion: h };
  return {};
}
