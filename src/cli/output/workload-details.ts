// The parts of `weft describe` that only workloads have: where their replicas are (the
// Allocations of each attempt), their conditions, and why they are still pending.
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { Resource } from '../../model/metadata.js';
import { formatAge } from '../duration.js';
import { formatAllocatedGpus } from './columns.js';
import { renderTable } from './table.js';

/** Status fields these sections show in their own form (tables, the locality line), so describe leaves them out of its Status YAML. */
export const SHOWN_APART: ReadonlySet<string> = new Set(['conditions', 'placement', 'locality']);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const text = (v: unknown, fallback = ''): string => (v === undefined || v === null || v === '' ? fallback : String(v));

export function renderWorkloadDetails(w: Resource, allocs: Resource[]): string[] {
  const out: string[] = [];
  const st = obj(w.status);
  const sched = obj(st.scheduling);
  const phase = text(st.phase, 'Pending');
  if (sched.message && (phase === 'Pending' || phase === 'Admitted' || phase === 'Suspended')) {
    const extra: string[] = [];
    if (typeof sched.queuePosition === 'number') extra.push(`queue position ${sched.queuePosition}`);
    if (sched.lastCycle) extra.push(`last tried ${formatAge(text(sched.lastCycle))} ago`);
    // The scheduler's one-sentence explanation (topology, quota, queue, reservation) under the node counts.
    const said = typeof sched.explanation === 'string' ? `\n${' '.repeat(14)}${sched.explanation}` : '';
    out.push(`${'Why pending:'.padEnd(14)}${text(sched.message)}${said}${extra.length ? `\n${' '.repeat(14)}(${extra.join(', ')})` : ''}`);
  }
  const loc = obj(st.locality);
  if (typeof loc.within === 'string') {
    const where = loc.achieved === true ? `one ${loc.within} (${text(loc.domain)})` : `not within one ${loc.within}`;
    out.push(`${'Locality:'.padEnd(14)}${where}, ${text(loc.mode)}`);
  }
  const conditions = Array.isArray(st.conditions) ? st.conditions.map(obj) : [];
  out.push(
    conditions.length === 0
      ? `${'Conditions:'.padEnd(14)}<none>`
      : `Conditions:\n${indent(
          renderTable(
            ['TYPE', 'STATUS', 'REASON', 'SINCE', 'MESSAGE'],
            conditions.map((c) => [text(c.type), text(c.status), text(c.reason), formatAge(text(c.lastTransitionTime) || undefined), text(c.message)]),
          ),
        )}`,
  );
  out.push(
    allocs.length === 0
      ? `${'Allocations:'.padEnd(14)}<none>`
      : `Allocations:\n${indent(
          renderTable(
            ['REPLICA', 'ATTEMPT', 'NODE', 'GPUS', 'PHASE', 'STARTED', 'MESSAGE'],
            allocs.map((a) => {
              const s = obj(a.status);
              return [
                text(a.spec.replica, '0'),
                text(a.spec.attempt, '0'),
                text(a.spec.node),
                formatAllocatedGpus(a.spec.gpus),
                text(s.phase, 'Bound'),
                s.startedAt ? `${formatAge(text(s.startedAt))} ago` : '-',
                text(s.message),
              ];
            }),
          ),
        )}`,
  );
  return out;
}

function indent(t: string): string {
  return t
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

/**
 * Workloads whose controller keeps no status.placement (Services) get one from their active
 * allocations, so `weft get` can show NODE(S) for every workload kind the same way.
 */
export function withPlacement(items: Resource[], allocs: Resource[]): Resource[] {
  const byUid = new Map<string, { replica: number; node: string }[]>();
  for (const a of allocs) {
    if (!isActiveAllocation(a)) continue;
    const uid = text(obj(a.spec.workload).uid);
    byUid.set(uid, [...(byUid.get(uid) ?? []), { replica: Number(a.spec.replica ?? 0), node: text(a.spec.node) }]);
  }
  return items.map((w) => {
    if (Array.isArray(obj(w.status).placement)) return w;
    const placement = byUid.get(w.metadata.uid);
    return placement ? { ...w, status: { ...(w.status ?? {}), placement } } : w;
  });
}
