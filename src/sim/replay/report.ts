// Writes a replay's outputs: summary.json (everything but the per-gang rows), queues.csv,
// timeline.csv, gangs.csv, utilisation.svg and summary.md.
import { toCsv } from '../csv.js';
import { reportWriter } from '../report/write.js';
import { reservationMarkdown, type ReservationCost } from './booked-report.js';
import { round } from './metrics.js';
import { utilisationSvg } from './svg.js';
import type { QueueStats, ReplayResult } from './types.js';

export interface ReplayReportInput {
  title: string;
  /** Where the fleet and workload came from, for the record. */
  sources: Record<string, string>;
  result: ReplayResult;
  /** The load knob, when the arrivals or run times were scaled (load.ts). */
  load?: { offeredBefore: number; offeredAfter: number; factor: number; by: string };
  /** With reservations: the same scenario and seed replayed without them. */
  reservationCost?: ReservationCost;
}

const sec = (ms: number | null) => (ms === null ? '' : round(ms / 1000, 3));

function queueRow(q: QueueStats): (string | number)[] {
  return [
    q.queue, q.submitted, q.started, q.completed, q.unfinished, q.preemptions,
    q.waitSeconds.mean, q.waitSeconds.p50, q.waitSeconds.p90, q.waitSeconds.p99,
    q.jctSeconds.mean, q.jctSeconds.p50, q.jctSeconds.p90, q.jctSeconds.p99,
    q.gpuHours, q.lostGpuHours, q.share, q.entitled, q.fairness ?? '',
  ];
}

const QUEUE_HEADER = [
  'queue', 'submitted', 'started', 'completed', 'unfinished', 'preemptions',
  'wait_mean_s', 'wait_p50_s', 'wait_p90_s', 'wait_p99_s', 'jct_mean_s', 'jct_p50_s', 'jct_p90_s', 'jct_p99_s',
  'gpu_hours', 'lost_gpu_hours', 'share', 'entitled', 'fairness',
];

export function replayMarkdown(title: string, r: ReplayResult, load?: ReplayReportInput['load'], cost?: ReservationCost): string {
  const lines = [
    `### ${title}`,
    '',
    ...(load
      ? [
          `Offered GPU load scaled from ${round(100 * load.offeredBefore, 3)}% to ${round(100 * load.offeredAfter, 3)}% of capacity (${load.by === 'poisson' ? `Poisson arrivals, mean gap ${round(load.factor, 3)} s` : `${load.by === 'arrivals' ? 'gaps between arrivals' : 'run times'} × ${round(load.factor, 6)}`}); ` +
            `mean GPU utilisation while gangs arrive ${r.arrivalWindow.utilisationPct.toFixed(2)}%.`,
          '',
        ]
      : []),
    `Policy ${r.policy}, seed ${r.seed}; ${r.capacityGpus} GPUs; ${round(r.end / 3_600_000, 3)} h of virtual time; ` +
      `mean GPU utilisation ${r.utilisationPct.toFixed(2)}%; ${r.overall.preemptions} preemptions; Jain's index ${r.jainIndex ?? '—'}` +
      (r.notArrived > 0 ? `; ${r.notArrived} gangs due after the end left out.` : '.'),
    '',
    '| queue | gangs | done | unfinished | wait p50 / p90 / p99 (s) | JCT p50 / p90 / p99 (s) | preemptions | GPU-h | share | entitled | share ÷ entitled |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const q of [...r.byQueue, r.overall]) {
    const w = q.waitSeconds;
    const j = q.jctSeconds;
    lines.push(
      `| ${q.queue} | ${q.submitted} | ${q.completed} | ${q.unfinished} | ${w.p50} / ${w.p90} / ${w.p99} | ${j.p50} / ${j.p90} / ${j.p99} | ${q.preemptions} | ${q.gpuHours} | ${q.share} | ${q.entitled} | ${q.fairness ?? '—'} |`,
    );
  }
  if (r.reservations) lines.push(...reservationMarkdown(r.reservations, cost));
  const never = r.gangs.filter((g) => g.startedAt === null);
  if (never.length > 0) {
    lines.push('', `${never.length} gang(s) never started; the scheduler's last word on the first few:`, '');
    for (const g of never.slice(0, 5)) lines.push(`- ${g.id} (${g.queue}): ${g.lastReason ?? 'no cycle ran after it arrived'}`);
  }
  return lines.join('\n') + '\n';
}

/** Returns the paths written. */
export function writeReplayReport(dir: string, input: ReplayReportInput): string[] {
  const { put, written } = reportWriter(dir);
  const r = input.result;
  const { gangs, timeline, ...rest } = r;
  put('summary.json', JSON.stringify({ title: input.title, sources: input.sources, ...(input.load ? { load: input.load } : {}), ...(input.reservationCost ? { reservationCost: input.reservationCost } : {}), ...rest, timelineBuckets: timeline.length, gangCount: gangs.length }, null, 2) + '\n');
  put('queues.csv', toCsv(QUEUE_HEADER, [...r.byQueue, r.overall].map(queueRow)));
  put(
    'timeline.csv',
    toCsv(
      ['t_s', 'utilisation_pct', 'allocated_gpus', 'pending', 'running', ...r.queues.map((q) => `gpus_${q}`)],
      timeline.map((p) => [sec(p.t), round(p.utilisationPct), round(p.allocatedGpus), round(p.pending), round(p.running), ...p.byQueue.map((x) => round(x))]),
    ),
  );
  put(
    'gangs.csv',
    toCsv(
      ['id', 'queue', 'priority', 'gpus', 'submit_s', 'start_s', 'finish_s', 'wait_s', 'jct_s', 'attempts', 'preemptions', 'nodes', 'pending_reason'],
      gangs.map((g) => [
        g.id, g.queue, g.priority, g.gpus, sec(g.submitAt), sec(g.startedAt), sec(g.finishedAt),
        g.startedAt === null ? '' : sec(g.startedAt - g.submitAt), g.finishedAt === null ? '' : sec(g.finishedAt - g.submitAt),
        g.attempts, g.preemptions, g.nodes.join(' '), g.lastReason ?? '',
      ]),
    ),
  );
  put('utilisation.svg', utilisationSvg(r, input.title));
  put('summary.md', replayMarkdown(input.title, r, input.load, input.reservationCost));
  return written;
}
