// Reading the audit log. There is deliberately no route that changes or removes an entry.
// Cluster admins see everything; project-admins see the entries of the projects they
// administer; everyone else gets 403.
import type { FastifyInstance } from 'fastify';
import { ForbiddenError } from '../../model/errors.js';
import { verifyAudit, type CheckpointBook } from '../../control/audit/checkpoints.js';
import type { AuditQuery } from '../../store/types.js';
import { isClusterAdmin, roleIn, type Principal } from '../rbac.js';
import { badParam, MAX_LIMIT, nameParam, queryParam, type Query } from '../params.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';
import { residencyReport } from '../../control/residency-report.js';
import { auditExport } from '../../control/audit-export.js';
import { Readable } from 'node:stream';

const DAY_MS = 24 * 3600 * 1000;

function timeParam(q: Query, key: string): Date | undefined {
  const v = queryParam(q, key);
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v))) throw badParam(key, 'must be an RFC 3339 timestamp');
  return new Date(v);
}

export function auditQuery(q: Query): AuditQuery {
  const out: AuditQuery = {};
  const project = queryParam(q, 'project');
  if (project !== undefined) out.project = nameParam(project, 'project');
  const user = queryParam(q, 'user');
  if (user !== undefined) out.user = nameParam(user, 'user');
  const since = queryParam(q, 'since');
  if (since !== undefined) {
    if (Number.isNaN(Date.parse(since))) throw badParam('since', 'must be an RFC 3339 timestamp');
    out.since = new Date(since).toISOString();
  }
  const limit = queryParam(q, 'limit');
  if (limit !== undefined) {
    if (!/^[0-9]+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) throw badParam('limit', `must be an integer from 1 to ${MAX_LIMIT}`);
    out.limit = Number(limit);
  }
  const after = queryParam(q, 'after');
  if (after !== undefined) {
    if (!/^[0-9]{1,19}$/.test(after)) throw badParam('after', 'must be an entry id (digits)');
    out.after = after;
  }
  return out;
}

/** Projects whose entries `p` may read, or 'all'. */
function adminOf(p: Principal): 'all' | string[] {
  if (isClusterAdmin(p)) return 'all';
  if (p.kind !== 'user') return [];
  return [...new Set(p.roles.flatMap((b) => (b.project && roleIn(p, b.project) === 'project-admin' ? [b.project] : [])))];
}

export function registerAuditRoutes(app: FastifyInstance, { store, clock, checkpoints }: RouteDeps & { checkpoints?: CheckpointBook }): void {
  app.get(`${API_PREFIX}/audit`, async (req) => {
    const p = principalOf(req);
    const q = auditQuery(req.query as Query);
    const scope = adminOf(p);
    if (scope !== 'all') {
      if (scope.length === 0) throw new ForbiddenError(`${p.kind} "${p.name}" may not read the audit log (cluster admins and project-admins only)`);
      if (q.project !== undefined && !scope.includes(q.project)) throw new ForbiddenError(`${p.kind} "${p.name}" may not read the audit log of project "${q.project}"`);
      if (q.project === undefined) q.projects = scope;
    }
    const items = await store.audit.list(q);
    const limit = q.limit ?? 100;
    return { items, ...(items.length === limit ? { next: items[items.length - 1]!.id } : {}) };
  });

  // Where a project's work ran, from the usage ledger, checked against its residency (control/residency-report.ts).
  app.get(`${API_PREFIX}/audit/residency`, async (req) => {
    const p = principalOf(req);
    const q = req.query as Query;
    const text = queryParam(q, 'project');
    if (text === undefined) throw badParam('project', 'is required');
    const project = nameParam(text, 'project');
    const scope = adminOf(p);
    if (scope !== 'all' && !scope.includes(project)) throw new ForbiddenError(`${p.kind} "${p.name}" may not read the residency report of project "${project}" (cluster admins and its project-admins only)`);
    const now = clock.now();
    const to = timeParam(q, 'to') ?? now;
    const from = timeParam(q, 'from') ?? new Date(to.getTime() - 30 * DAY_MS);
    if (to.getTime() <= from.getTime()) throw badParam('to', 'must be after from');
    return residencyReport(store, project, from, to, now);
  });

  // A period of the chain as JSON Lines an auditor can re-check offline (control/audit-export.ts).
  app.get(`${API_PREFIX}/audit/export`, async (req, reply) => {
    const p = principalOf(req);
    if (!isClusterAdmin(p)) throw new ForbiddenError(`${p.kind} "${p.name}" may not export the audit log (cluster admins only)`);
    const q = req.query as Query;
    const now = clock.now();
    const to = timeParam(q, 'to') ?? now;
    const from = timeParam(q, 'from') ?? new Date(to.getTime() - 30 * DAY_MS);
    if (to.getTime() <= from.getTime()) throw badParam('to', 'must be after from');
    const lines = (async function* () {
      for await (const line of auditExport(store, from, to, now)) yield `${JSON.stringify(line)}\n`;
    })();
    return reply.type('application/x-ndjson').send(Readable.from(lines));
  });

  app.get(`${API_PREFIX}/audit/verify`, async (req) => {
    const p = principalOf(req);
    if (!isClusterAdmin(p)) throw new ForbiddenError(`${p.kind} "${p.name}" may not verify the audit log (cluster admins only)`);
    return verifyAudit(store, checkpoints);
  });
}
