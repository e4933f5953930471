// What reservations did in a replay, from where gangs ran on booked nodes (ReplayBookings.runs):
//
//   reserved      booked GPUs × the window (within the replay)
//   owner used    GPU-time of the owner's work asking for the reservation (it runs nowhere else)
//   held before   booked GPUs × (start − booking time): capacity kept from work that might overrun
//   backfill      others' GPU-time on booked capacity before the start (gangs whose declared
//                 maxRuntime ends in time — the scheduler lets no other work there)
//   shared        others' GPU-time on booked capacity during the window (shareWhenIdle)
//
// "On booked capacity": on a node, others' GPUs beyond what no booking holds at that instant
// (its GPUs less those booked by windows still to come or open). Where a node holds a window and
// a booking still to come at once, others' use fills the open window's idle GPUs first. The idle
// reserved capacity is held-before + reserved − owner-used; recovered is backfill + shared of it.
import type { NodeInput } from '../../scheduler/index.js';
import type { BookedRun, ReplayBooking } from './booked.js';
import { round } from './metrics.js';
import type { ReplayResult } from './types.js';

export interface ReservationStats {
  id: string;
  start: number;
  end: number;
  gpus: number;
  reservedGpuHours: number;
  ownerGpuHours: number;
  heldBeforeGpuHours: number;
  backfillGpuHours: number;
  sharedGpuHours: number;
}

export interface ReservationSummary {
  bookings: ReservationStats[];
  total: Omit<ReservationStats, 'id' | 'start' | 'end'> & { idleGpuHours: number; recoveredGpuHours: number; recoveredPct: number; conflicts: number };
}

const H = 3_600_000;

export function reservationSummary(bookings: readonly ReplayBooking[], nodes: readonly NodeInput[], runs: readonly BookedRun[], asks: (gang: number) => number, end: number, conflicts: number): ReservationSummary {
  const clip = (t: number) => Math.min(Math.max(t, 0), end);
  const gpusOf = (b: ReplayBooking, node: string) => {
    const x = b.nodes.find((y) => y.node === node);
    return x ? (x.whole ? nodes.find((n) => n.name === node)!.gpus : x.gpus) : 0;
  };
  const stats: ReservationStats[] = bookings.map((b) => {
    const gpus = b.nodes.reduce((s, x) => s + gpusOf(b, x.node), 0);
    return { id: b.id, start: b.start, end: b.end, gpus, reservedGpuHours: (gpus * (clip(b.end) - clip(b.start))) / H, ownerGpuHours: 0, heldBeforeGpuHours: (gpus * (clip(b.start) - clip(b.bookedAt))) / H, backfillGpuHours: 0, sharedGpuHours: 0 };
  });
  const byNode = new Map<number, BookedRun[]>();
  for (const r of runs) byNode.set(r.node, [...(byNode.get(r.node) ?? []), r]);
  const nodeIndex = new Map(nodes.map((n, i) => [n.name, i]));
  const onNodes = new Set(bookings.flatMap((b) => b.nodes.map((x) => nodeIndex.get(x.node)!)));
  for (const node of onNodes) {
    const name = nodes[node]!.name;
    const here = bookings.map((b, k) => ({ b, k, gpus: gpusOf(b, name) })).filter((x) => x.gpus > 0);
    const mine = new Set(here.map((x) => x.k));
    const list = byNode.get(node) ?? [];
    const points = [...new Set([0, end, ...here.flatMap((x) => [x.b.bookedAt, x.b.start, x.b.end]), ...list.flatMap((r) => [r.from, r.to])].map(clip))].sort((a, b) => a - b);
    for (let p = 0; p + 1 < points.length; p++) {
      const [t0, t1] = [points[p]!, points[p + 1]!];
      const dt = (t1 - t0) / H;
      const before = here.filter((x) => x.b.bookedAt <= t0 && t0 < x.b.start);
      const open = here.filter((x) => x.b.start <= t0 && t0 < x.b.end);
      let others = 0;
      let owners = 0;
      for (const r of list) {
        if (!(r.from <= t0 && t0 < r.to)) continue;
        const k = asks(r.gang);
        if (mine.has(k)) {
          owners += r.gpus;
          if (open.some((x) => x.k === k)) stats[k]!.ownerGpuHours += r.gpus * dt;
        } else others += r.gpus;
      }
      const held = before.reduce((s, x) => s + x.gpus, 0);
      const win = open.reduce((s, x) => s + x.gpus, 0);
      const onBooked = Math.max(0, others - Math.max(0, nodes[node]!.gpus - held - win));
      if (onBooked === 0) continue;
      const shared = Math.min(onBooked, Math.max(0, win - owners));
      for (const x of open) stats[x.k]!.sharedGpuHours += ((shared * x.gpus) / win) * dt;
      if (held > 0) for (const x of before) stats[x.k]!.backfillGpuHours += (((onBooked - shared) * x.gpus) / held) * dt;
    }
  }
  const sum = (f: (s: ReservationStats) => number) => stats.reduce((a, s) => a + f(s), 0);
  const total = {
    gpus: sum((s) => s.gpus),
    reservedGpuHours: sum((s) => s.reservedGpuHours),
    ownerGpuHours: sum((s) => s.ownerGpuHours),
    heldBeforeGpuHours: sum((s) => s.heldBeforeGpuHours),
    backfillGpuHours: sum((s) => s.backfillGpuHours),
    sharedGpuHours: sum((s) => s.sharedGpuHours),
  };
  const idle = total.heldBeforeGpuHours + total.reservedGpuHours - total.ownerGpuHours;
  const recovered = total.backfillGpuHours + total.sharedGpuHours;
  const r4 = (s: ReservationStats): ReservationStats => ({ ...s, reservedGpuHours: round(s.reservedGpuHours), ownerGpuHours: round(s.ownerGpuHours), heldBeforeGpuHours: round(s.heldBeforeGpuHours), backfillGpuHours: round(s.backfillGpuHours), sharedGpuHours: round(s.sharedGpuHours) });
  return {
    bookings: stats.map(r4),
    total: {
      gpus: total.gpus,
      reservedGpuHours: round(total.reservedGpuHours), ownerGpuHours: round(total.ownerGpuHours), heldBeforeGpuHours: round(total.heldBeforeGpuHours),
      backfillGpuHours: round(total.backfillGpuHours), sharedGpuHours: round(total.sharedGpuHours),
      idleGpuHours: round(idle), recoveredGpuHours: round(recovered), recoveredPct: idle > 0 ? round((100 * recovered) / idle, 2) : 0, conflicts,
    },
  };
}

/** What the reservations cost: the same scenario and seed with and without them. */
export interface ReservationCost {
  utilisationPct: { with: number; without: number };
  arrivalWindowPct: { with: number; without: number };
  waitMeanSeconds: { with: number; without: number };
  waitP99Seconds: { with: number; without: number };
  jctMeanSeconds: { with: number; without: number };
  completed: { with: number; without: number };
  /** Each replay's end: the whole-replay utilisation divides by it, so it compares only where the ends match. */
  endHours: { with: number; without: number };
}

export function reservationCost(withR: ReplayResult, without: ReplayResult): ReservationCost {
  const pair = (f: (r: ReplayResult) => number) => ({ with: f(withR), without: f(without) });
  return {
    utilisationPct: pair((r) => r.utilisationPct),
    arrivalWindowPct: pair((r) => r.arrivalWindow.utilisationPct),
    waitMeanSeconds: pair((r) => r.overall.waitSeconds.mean),
    waitP99Seconds: pair((r) => r.overall.waitSeconds.p99),
    jctMeanSeconds: pair((r) => r.overall.jctSeconds.mean),
    completed: pair((r) => r.overall.completed),
    endHours: pair((r) => round(r.end / H, 4)),
  };
}

/** The report's Markdown section on reservations. */
export function reservationMarkdown(s: ReservationSummary, cost?: ReservationCost): string[] {
  const t = s.total;
  const lines = ['', `#### Reservations (${s.bookings.length})`, ''];
  if (cost) {
    const row = (what: string, p: { with: number; without: number }) => `| ${what} | ${p.with} | ${p.without} | ${round(p.with - p.without, 4)} |`;
    lines.push('| same scenario and seed | with reservations | without | difference |', '|---|---|---|---|');
    lines.push(row('mean GPU utilisation while gangs arrive %', cost.arrivalWindowPct), row('mean GPU utilisation over the replay % (to its own end)', cost.utilisationPct), row('replay ends at (h)', cost.endHours), row('wait mean (s)', cost.waitMeanSeconds), row('wait p99 (s)', cost.waitP99Seconds), row('JCT mean (s)', cost.jctMeanSeconds), row('gangs completed', cost.completed), '');
  }
  lines.push('| reservation | GPUs | window (h) | reserved GPU-h | owner used GPU-h | held before start GPU-h | backfill GPU-h | shared GPU-h |', '|---|---|---|---|---|---|---|---|');
  for (const b of s.bookings) lines.push(`| ${b.id} | ${b.gpus} | ${round(b.start / H, 3)}–${round(b.end / H, 3)} | ${b.reservedGpuHours} | ${b.ownerGpuHours} | ${b.heldBeforeGpuHours} | ${b.backfillGpuHours} | ${b.sharedGpuHours} |`);
  lines.push(`| all | ${t.gpus} | | ${t.reservedGpuHours} | ${t.ownerGpuHours} | ${t.heldBeforeGpuHours} | ${t.backfillGpuHours} | ${t.sharedGpuHours} |`);
  lines.push('', `Reserved but idle: ${t.idleGpuHours} GPU-h (held before the start, plus reserved less what the owners used); backfill and shareWhenIdle recovered ${t.recoveredGpuHours} GPU-h of it (${t.recoveredPct}%). Conflicts (work that may not be preempted found on an open window's capacity): ${t.conflicts}.`);
  return lines;
}
