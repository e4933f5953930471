// The fleet summary in one statement: GPUs by model and site from the Nodes' hardware and the
// active allocations on them, Nodes by state, workloads counted by kind, project, phase and
// queue, and the GPUs they hold. Every GPU figure is the allocations' `milli`, the GPU weight
// placement wrote (model/allocation-rules.ts: a MIG instance its compute slices of 7). One
// statement means one snapshot, so the figures and the resourceVersion they carry agree with each
// other; grouping in SQL keeps the answer a few kilobytes whatever the size of the fleet.
import { DRAIN_ANNOTATION } from '../model/annotations.js';
import type { FleetSummary } from '../model/summary.js';
import type { Sql } from './driver.js';

export interface SummaryQuery {
  /** Workload kinds to count. */
  workloadKinds: readonly string[];
  /** Count workloads of these projects only; absent = every project. */
  projects?: readonly string[];
}

const SUMMARY_SQL = `
WITH held_gpu AS (
  -- Every GPU entry of every active allocation: what it holds, on which node's GPU.
  SELECT a.project, a.node, (g->>'index')::int AS gpu_index, coalesce(g->>'model', '') AS model,
         coalesce((g->>'milli')::int, 1000) AS milli
    FROM (SELECT project, body->'spec'->>'node' AS node, body->'spec'->'gpus' AS gpus FROM resources
           WHERE kind = 'Allocation' AND weft_allocation_active(body)) a
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(a.gpus) = 'array' THEN a.gpus ELSE '[]'::jsonb END) g
), used_gpu AS (
  SELECT node, gpu_index, sum(milli) AS milli FROM held_gpu GROUP BY 1, 2
), per_gpu AS (
  SELECT coalesce(n.body->'spec'->>'site', '') AS site,
         coalesce(g->>'model', '') AS model,
         LEAST(1000, coalesce(u.milli, 0)) AS used
    FROM resources n
    CROSS JOIN LATERAL jsonb_array_elements(
      CASE WHEN jsonb_typeof(n.body->'spec'->'gpus') = 'array' THEN n.body->'spec'->'gpus' ELSE '[]'::jsonb END) g
    LEFT JOIN used_gpu u ON u.node = n.name AND u.gpu_index = (g->>'index')::int
   WHERE n.kind = 'Node' AND n.project = ''
), gpus AS (
  SELECT site, model, count(*)::int AS total, coalesce(sum(used), 0)::int AS used_milli,
         coalesce(sum(1000 - used) FILTER (WHERE used > 0 AND used < 1000), 0)::int AS fragmented_milli,
         (count(*) FILTER (WHERE used = 0))::int AS free
    FROM per_gpu GROUP BY site, model
), nodes AS (
  SELECT coalesce(body->'status'->>'state', 'Unknown') AS state,
         coalesce(body->'spec'->'unschedulable' = 'true'::jsonb, false) AS cordoned,
         coalesce(body->'metadata'->'annotations' ? '${DRAIN_ANNOTATION}', false) AS draining,
         count(*)::int AS count
    FROM resources WHERE kind = 'Node' AND project = ''
   GROUP BY 1, 2, 3
), held AS (
  -- GPUs held by active allocations, by project and model.
  SELECT project, model, sum(milli)::int AS milli FROM held_gpu
   WHERE $2::jsonb IS NULL OR project IN (SELECT jsonb_array_elements_text($2::jsonb))
   GROUP BY 1, 2
), workloads AS (
  SELECT kind, project, coalesce(body->'status'->>'phase', 'Pending') AS phase,
         coalesce(body->'spec'->>'queue', '') AS queue, count(*)::int AS count
    FROM resources
   WHERE kind IN (SELECT jsonb_array_elements_text($1::jsonb))
     AND ($2::jsonb IS NULL OR project IN (SELECT jsonb_array_elements_text($2::jsonb)))
   GROUP BY 1, 2, 3, 4
)
SELECT (SELECT rv::text FROM weft_state) AS rv,
       (SELECT coalesce(jsonb_agg(gpus ORDER BY model, site), '[]'::jsonb) FROM gpus) AS gpus,
       (SELECT coalesce(jsonb_agg(nodes ORDER BY state, cordoned, draining), '[]'::jsonb) FROM nodes) AS nodes,
       (SELECT coalesce(jsonb_agg(workloads ORDER BY kind, project, phase, queue), '[]'::jsonb) FROM workloads) AS workloads,
       (SELECT coalesce(jsonb_agg(held ORDER BY project, model), '[]'::jsonb) FROM held) AS held`;

interface SummaryRow {
  rv: string;
  gpus: Array<{ site: string; model: string; total: number; used_milli: number; fragmented_milli: number; free: number }>;
  nodes: FleetSummary['nodes'];
  workloads: FleetSummary['workloads'];
  held: Array<{ project: string; model: string; milli: number }>;
}

export async function readSummary(sql: Sql, q: SummaryQuery, now: Date): Promise<FleetSummary> {
  const [row] = await sql.query<SummaryRow>(SUMMARY_SQL, [JSON.stringify(q.workloadKinds), q.projects === undefined ? null : JSON.stringify(q.projects)]);
  return {
    resourceVersion: row!.rv,
    generatedAt: now.toISOString(),
    gpus: row!.gpus.map((g) => ({
      model: g.model,
      site: g.site,
      total: g.total,
      allocated: g.used_milli / 1000,
      fragmented: g.fragmented_milli / 1000,
      free: g.free,
    })),
    nodes: row!.nodes,
    workloads: row!.workloads,
    held: row!.held.map((h) => ({ project: h.project, model: h.model, gpus: h.milli / 1000 })),
  };
}
