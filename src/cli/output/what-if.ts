// `weft explain` output: the server's what-if answer (docs/api.md, "What-if") in sentences.
import type { WhatIfAnswer, WorkloadRefs } from '../../client/index.js';
import { formatIndices } from './columns.js';

export interface WhatIfContext {
  /** The workload's GPU request as `weft get` prints it, e.g. "2x8". */
  gpus: string;
  /** Its phase, for a stored workload. */
  phase?: string;
  now: number;
}

export function renderWhatIf(a: WhatIfAnswer, ctx: WhatIfContext): string {
  const ref = `${a.workload.kind.toLowerCase()}/${a.workload.name}`;
  const out = [`${ref} in project ${a.workload.project}: ${a.replicas} replica(s), ${ctx.gpus} GPUs${ctx.phase ? `, phase ${ctx.phase}` : ''}.`];
  if (a.asked === 'copy' && ctx.phase !== undefined) out.push('It is not waiting; the answer below is for a copy submitted now.');
  const why = a.scheduling as { explanation?: string; message?: string } | undefined;
  if (why?.explanation) out.push(`Now: ${why.explanation}.`);
  else if (why?.message) out.push(`Now: ${why.message}.`);
  const placed = (): void => {
    for (const p of a.placements) out.push(`  replica ${p.replica} → ${p.node}${p.gpus.length ? ` GPUs ${formatIndices(p.gpus)}` : ''}`);
  };
  if (a.outcome === 'now') {
    out.push('It would start now, on:');
    placed();
  } else if (a.outcome === 'preempts') {
    out.push(`It would preempt ${refs(a.preempts!)}${a.preempts!.reasons.length ? ` (${a.preempts!.reasons.join('; ')})` : ''}, and start once they have stopped.`);
  } else if (a.outcome === 'later') {
    const at = Date.parse(a.startsAt!);
    out.push(`It would start in about ${formatIn(at - ctx.now)} (at ${a.startsAt}), on:`);
    placed();
    if (a.waitsFor) out.push(`Waiting for: ${refs(a.waitsFor)} to finish.`);
  } else {
    out.push('It would not start, even after everything with a known end has finished.');
  }
  if (a.ahead) out.push(`Placed first (ahead in line): ${refs(a.ahead)}.`);
  if (a.assumptions.length > 0) out.push(`Assumes: ${a.assumptions.join(' ')}`);
  return out.join('\n');
}

/** "job/a, job/b and 2 workload(s) in other projects" (the first four named). */
function refs(r: WorkloadRefs): string {
  const names = r.named.map((w) => `${w.kind.toLowerCase()}/${w.name}`);
  const shown = names.length <= 4 ? names : [...names.slice(0, 4), `${names.length - 4} more`];
  if (r.others > 0) shown.push(`${r.others} workload(s) in other projects`);
  return shown.length <= 1 ? (shown[0] ?? 'nothing') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)!}`;
}

/** 250000 → "4m 10s"; 7200000 → "2h 0m". */
export function formatIn(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}
