// What-if (`weft explain`): where and when would a workload start, asked of the live fleet with
// the scheduling loop's own rules (control/what-if/evaluate.ts). Nothing is written.
//
//   GET  /api/v1/projects/{p}/{jobs|services|devenvironments}/{name}/explain   a stored workload
//   POST /api/v1/explain   body: a workload manifest, evaluated as if the caller submitted it
//
// A stored workload needs read access to its project; a manifest goes through the same
// defaults, validation and admission (policies, quota, budgets, references) as a create by the
// caller, who must be allowed to create it; policies' warnings come back as Warning headers.
// Workloads of projects the caller may not read are only counted.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, NotFoundError, ValidationError } from '../../model/errors.js';
import type { KindDef } from '../../model/kind.js';
import { isWorkloadKind } from '../../model/kind-names.js';
import type { Resource } from '../../model/metadata.js';
import { resolveKind } from '../../model/registry.js';
import { SIM_DURATION_ANNOTATION, parseSimDuration } from '../../providers/sim/duration.js';
import { maxRuntimeMs } from '../../control/gang.js';
import { isPlainObject } from '../../control/merge-patch.js';
import { admitOnly, getResource } from '../../control/resources.js';
import { SchedulingPicture } from '../../control/scheduling-picture.js';
import { evaluateWhatIf } from '../../control/what-if/evaluate.js';
import type { WhatIfAnswer } from '../../model/what-if.js';
import { WORKLOAD_KIND_DEFS } from '../../control/workload.js';
import { WORKLOAD_ADAPTERS } from '../../control/workloads/index.js';
import { nameParam } from '../params.js';
import { authorize, readableProjects, type Principal } from '../rbac.js';
import { API_PREFIX, principalOf, type RouteDeps } from './context.js';
import { admission, sendWarnings } from './resources.js';

type Params = Record<string, unknown>;

export interface WhatIfDeps extends RouteDeps {
  /** The placement policy the scheduling loop uses (default weft). */
  policy?: string;
}

export function registerWhatIfRoutes(app: FastifyInstance, deps: WhatIfDeps): void {
  for (const def of WORKLOAD_KIND_DEFS) {
    app.get(`${API_PREFIX}/projects/:project/${def.plural}/:name/explain`, async (req) => {
      const params = req.params as Params;
      const target = { project: nameParam(params.project, 'project'), name: nameParam(params.name, 'name') };
      authorize(principalOf(req), 'get', def, target);
      const workload = await getResource(deps.store, def, target);
      return answer(deps, req, workload, true);
    });
  }
  app.post(`${API_PREFIX}/explain`, async (req, reply) => {
    const def = workloadDefOf(req.body);
    const project = (req.body as { metadata: { project?: unknown } }).metadata.project;
    if (typeof project !== 'string' || project === '') throw ValidationError.field('metadata.project', 'is required: the project the workload would be submitted to');
    const name = (req.body as { metadata: { name?: unknown } }).metadata.name;
    authorize(principalOf(req), 'create', def, { project, ...(typeof name === 'string' ? { name } : {}) });
    const ctx = admission(deps, req);
    const admitted = await admitOnly(deps.store, def, req.body, { project }, ctx);
    sendWarnings(reply, ctx);
    const workload = { ...admitted, metadata: { ...admitted.metadata, project, resourceVersion: '0', generation: 1 } } as Resource;
    return answer(deps, req, workload, false);
  });
}

/** The manifest's kind, which must be a workload kind. */
function workloadDefOf(body: unknown): KindDef {
  if (!isPlainObject(body)) throw new BadRequestError('the body must be a workload manifest: {apiVersion, kind, metadata, spec}');
  if (typeof body.kind !== 'string') throw ValidationError.field('kind', 'is required: Job, Service or DevEnvironment');
  const def = resolveKind(body.kind);
  if (!def || !isWorkloadKind(def.kind)) throw ValidationError.field('kind', `"${body.kind}" is not a workload kind (${WORKLOAD_KIND_DEFS.map((d) => d.kind).join(', ')})`);
  if (!isPlainObject(body.metadata)) throw ValidationError.field('metadata', 'is required and must be an object');
  return def;
}

async function answer(deps: WhatIfDeps, req: FastifyRequest, workload: Resource, stored: boolean): Promise<WhatIfAnswer> {
  const picture = await SchedulingPicture.load(deps.store, new Set(WORKLOAD_ADAPTERS.keys()));
  if (!WORKLOAD_ADAPTERS.has(workload.kind)) throw new NotFoundError(`${workload.kind} is not scheduled`);
  return evaluateWhatIf({
    picture,
    adapters: WORKLOAD_ADAPTERS,
    workload,
    stored,
    policy: deps.policy ?? 'weft',
    now: new Date(),
    runMs: declaredRunMs,
    readable: readableOf(principalOf(req)),
  });
}

function readableOf(p: Principal): 'all' | ReadonlySet<string> {
  const r = readableProjects(p);
  return r === 'all' ? r : new Set(r);
}

/** How long a workload runs once started: its sim-duration annotation (simulated nodes), else its max runtime. */
function declaredRunMs(w: Resource): number | undefined {
  const ann = w.metadata.annotations?.[SIM_DURATION_ANNOTATION];
  return (ann === undefined ? undefined : parseSimDuration(ann)) ?? maxRuntimeMs(w);
}
