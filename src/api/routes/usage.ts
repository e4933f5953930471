// Metering over HTTP: usage reports, monthly invoices and an OpenCost-compatible allocation
// export. Project readers see their own projects only; cluster readers see every project; node
// tokens see none. Nothing here writes.
import type { FastifyInstance } from 'fastify';
import { ForbiddenError, NotFoundError } from '../../model/errors.js';
import { parseAggregate, parseWindow } from '../../control/metering/opencost.js';
import { USAGE_GROUPINGS, type UsageBy, type UsageStep } from '../../control/metering/report.js';
import { invoiceFor, openCostFor, usageFor } from '../../control/metering/service.js';
import type { UsageQuery } from '../../store/types.js';
import { badParam, nameParam, queryParam, type Query } from '../params.js';
import { readableProjects, type Principal } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';

function time(q: Query, key: string): Date | undefined {
  const v = queryParam(q, key);
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badParam(key, `"${v}" is not an RFC 3339 timestamp`);
  return new Date(t);
}

/** Narrows a query to what `p` may read; throws 403 for a project it may not. */
function scope(p: Principal, project: string | undefined): Pick<UsageQuery, 'project' | 'projects'> {
  const readable = readableProjects(p);
  const who = `${p.kind} "${p.name}"`;
  if (project !== undefined) {
    if (readable !== 'all' && !readable.includes(project)) throw new ForbiddenError(`${who} may not read the usage of project "${project}"`);
    return { project };
  }
  if (readable === 'all') return {};
  if (readable.length === 0) throw new ForbiddenError(`${who} may not read usage (no project role)`);
  return { projects: readable };
}

export function registerUsageRoutes(app: FastifyInstance, { store, clock }: RouteDeps): void {
  app.get(`${API_PREFIX}/usage`, async (req) => {
    const q = req.query as Query;
    const p = principalOf(req);
    const projectText = queryParam(q, 'project');
    const project = projectText === undefined ? undefined : nameParam(projectText, 'project');
    const now = clock.now();
    const to = time(q, 'to') ?? now;
    const from = time(q, 'from') ?? new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1));
    if (to.getTime() <= from.getTime()) throw badParam('to', 'must be after from');
    const by = (queryParam(q, 'by') ?? 'project') as UsageBy;
    if (!USAGE_GROUPINGS.includes(by)) throw badParam('by', `must be one of ${USAGE_GROUPINGS.join(', ')}`);
    const step = queryParam(q, 'step') as UsageStep | undefined;
    if (step !== undefined && step !== 'hour' && step !== 'day') throw badParam('step', 'must be hour or day');
    return usageFor(store, { from, to, now, by, ...(step ? { step } : {}), ...scope(p, project) });
  });

  app.get(`${API_PREFIX}/projects/:project/invoices/:month`, async (req) => {
    const params = req.params as { project: string; month: string };
    const project = nameParam(params.project, 'project');
    scope(principalOf(req), project);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(params.month)) throw badParam('month', `"${params.month}" is not a month in YYYY-MM form`);
    if (!(await store.get({ kind: 'Project', name: project }))) throw new NotFoundError(`project "${project}" not found`);
    return invoiceFor(store, project, params.month, clock.now());
  });

  app.get(`${API_PREFIX}/opencost/allocation`, async (req) => {
    const q = req.query as Query;
    const p = principalOf(req);
    const now = clock.now();
    const { from, to } = parseWindow(queryParam(q, 'window') ?? '1d', now.getTime());
    const aggregate = parseAggregate(queryParam(q, 'aggregate'));
    return openCostFor(store, { from, to, now, aggregate, ...scope(p, undefined) });
  });
}
