// The Alibaba pod CSV in time: each pod arrives at its creation_time and, once started, runs for
// as long as it ran in the trace (deletion_time − scheduled_time; deletion_time − creation_time
// for pods the trace never scheduled). Times in the CSV are seconds from the start of the trace.
// The queue is the pod's QoS class (LS, BE, Burstable, Guaranteed); the trace declares no quotas,
// so fairness is reported against equal entitlements unless queues are given.
import { parseAlibabaPods } from '../alibaba.js';
import { parseCsv } from '../csv.js';
import type { ReplayGang } from './types.js';

export interface TimedPodsOptions {
  /** Keep only the first N pods by creation time. */
  limit?: number;
  /** Priority per QoS class (e.g. {LS: 10}); absent classes get 0. */
  priorityByQos?: Readonly<Record<string, number>>;
  /** QoS classes whose pods may be preempted (e.g. BE): they may use idle shareWhenIdle reservations. */
  preemptibleQos?: readonly string[];
}

function seconds(row: Record<string, string>, col: string, where: string): number | null {
  const raw = row[col];
  if (raw === undefined) throw new Error(`${where}: column ${col} is missing (time mode needs creation_time, deletion_time, scheduled_time)`);
  if (raw === '') return null;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${where}: ${col} "${raw}" is not a number of seconds`);
  return v;
}

export function parseAlibabaTimedPods(text: string, opts: TimedPodsOptions = {}): ReplayGang[] {
  const rows = parseCsv(text);
  const pods = parseAlibabaPods(text);
  const gangs = pods.map((pod, i): ReplayGang => {
    const row = rows[i]!;
    const where = `pod row ${i + 2}`;
    const created = seconds(row, 'creation_time', where);
    if (created === null) throw new Error(`${where}: creation_time is empty`);
    const deleted = seconds(row, 'deletion_time', where);
    const scheduled = seconds(row, 'scheduled_time', where);
    const startedInTrace = scheduled ?? created;
    const duration = deleted === null ? null : Math.max(0, deleted - startedInTrace) * 1000;
    const queue = row['qos'] || 'default';
    const priority = opts.priorityByQos?.[queue];
    return {
      gang: { ...pod.gang, queue, ...(priority === undefined ? {} : { priority }), ...(opts.preemptibleQos?.includes(queue) ? { preemptible: true } : {}) },
      queue,
      submitAt: created * 1000,
      durationMs: duration,
      shape: pod.shape,
    };
  });
  const ordered = gangs.map((g, i) => ({ g, i })).sort((a, b) => a.g.submitAt - b.g.submitAt || a.i - b.i).map((x) => x.g);
  return opts.limit === undefined ? ordered : ordered.slice(0, opts.limit);
}
