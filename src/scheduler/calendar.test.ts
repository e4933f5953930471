// The capacity calendar's two promises, property-tested: whatever is asked, in whatever order,
// booking only what fit() returns never overbooks a node; and the window offered on a refusal
// fits (booking it overbooks nothing) and is the earliest such window.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapacityCalendar, type Booking, type CalendarNode, type CapacityAsk } from './calendar.js';

const HOUR = 3_600_000;

/** Every node, at every instant where load can change, holds at most its GPUs; a whole-node booking holds it alone. */
function overbooked(nodes: readonly CalendarNode[], bookings: readonly Booking[]): string | null {
  for (const n of nodes) {
    const on = bookings.flatMap((b) => b.nodes.filter((x) => x.node === n.name).map((x) => ({ ...x, start: b.start, end: b.end, id: b.id })));
    for (const t of on.map((x) => x.start)) {
      const live = on.filter((x) => x.start <= t && t < x.end);
      const gpus = live.reduce((s, x) => s + x.gpus, 0);
      if (gpus > n.gpus) return `${n.name} holds ${gpus} of ${n.gpus} GPUs at ${t}`;
      if (live.some((x) => x.whole) && live.length > 1) return `${n.name} is booked whole beside another booking at ${t}`;
    }
  }
  return null;
}

const nodeArb = fc.record({ gpus: fc.constantFrom(0, 4, 8), model: fc.constantFrom('H100', 'A100'), site: fc.constantFrom('fra', 'ams') });
const askArb = fc.record({
  start: fc.integer({ min: 0, max: 48 }),
  hours: fc.integer({ min: 1, max: 24 }),
  gpus: fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined }),
  nodes: fc.integer({ min: 1, max: 3 }),
  model: fc.constantFrom('H100', 'A100'),
  site: fc.option(fc.constantFrom('fra', 'ams'), { nil: undefined }),
});

function toAsk(a: { start: number; hours: number; gpus: number | undefined; nodes: number; model: string; site: string | undefined }): CapacityAsk {
  const base = { start: a.start * HOUR, end: (a.start + a.hours) * HOUR, model: a.model, ...(a.site ? { site: a.site } : {}) };
  return a.gpus !== undefined ? { ...base, gpus: a.gpus } : { ...base, nodes: a.nodes };
}

describe('capacity calendar', () => {
  it('is never overbooked, and a refusal offers the earliest window that really fits', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 6 }), fc.array(askArb, { minLength: 1, maxLength: 25 }), (specs, asks) => {
        const nodes: CalendarNode[] = specs.map((s, i) => ({ name: `n${i}`, site: s.site, gpus: s.gpus, ...(s.gpus > 0 ? { model: s.model } : {}) }));
        const cal = new CapacityCalendar(nodes);
        const horizon = 400 * HOUR;
        asks.forEach((a, i) => {
          const ask = toAsk(a);
          const placed = cal.fit(ask);
          if (placed) {
            cal.add({ id: `b${i}`, start: ask.start, end: ask.end, nodes: placed });
            expect(overbooked(nodes, cal.all())).toBeNull();
            return;
          }
          const w = cal.earliest(ask, horizon);
          if (!w) {
            // Nothing fits before the horizon: then not even the empty fleet has the capacity, or
            // bookings run past the horizon.
            return;
          }
          expect(w.start).toBeGreaterThan(ask.start);
          expect(w.end - w.start).toBe(ask.end - ask.start);
          // Every whole hour between the ask and the offer is still too full (bookings are on whole hours).
          for (let s = ask.start; s < w.start; s += HOUR) expect(cal.fit({ ...ask, start: s, end: s + (ask.end - ask.start) })).toBeNull();
          // Booking the offer keeps the calendar sound, and books what was asked.
          const trial = new CapacityCalendar(nodes, [...cal.all(), { id: 'offer', start: w.start, end: w.end, nodes: w.nodes }]);
          expect(overbooked(nodes, trial.all())).toBeNull();
          if (ask.gpus !== undefined) expect(w.nodes.reduce((s, n) => s + n.gpus, 0)).toBe(ask.gpus);
          else expect(w.nodes.filter((n) => n.whole)).toHaveLength(ask.nodes!);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('earliest() sweeps to the same window as trying every booking end in turn (property)', () => {
    // The plain search the sweep replaces: the asked start, then every booking end, first that fits.
    const byScan = (cal: CapacityCalendar, ask: CapacityAsk, until: number, skip?: string) => {
      const length = ask.end - ask.start;
      const starts = [ask.start, ...cal.all().filter((b) => b.id !== skip && b.end > ask.start && b.end < until).map((b) => b.end)].sort((a, b) => a - b);
      for (const s of starts) {
        const nodes = cal.fit({ ...ask, start: s, end: s + length }, skip);
        if (nodes) return { start: s, end: s + length, nodes };
      }
      return null;
    };
    // Minutes, not hours: windows that touch, overlap by a little or sit a minute apart.
    const minute = 60_000;
    const bookingArb = fc.record({ start: fc.integer({ min: 0, max: 600 }), minutes: fc.integer({ min: 1, max: 240 }), gpus: fc.integer({ min: 1, max: 8 }), whole: fc.boolean(), node: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(bookingArb, { maxLength: 30 }), fc.array(askArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 300 }), (bs, asks, scale) => {
        const nodes: CalendarNode[] = Array.from({ length: 5 }, (_, i) => ({ name: `n${i}`, site: i < 3 ? 'fra' : 'ams', model: 'H100', gpus: 8 }));
        const bookings: Booking[] = bs.map((b, i) => ({ id: `b${i}`, start: b.start * minute, end: (b.start + b.minutes) * minute, nodes: [{ node: `n${b.node}`, gpus: b.whole ? 8 : b.gpus, ...(b.whole ? { whole: true } : {}) }] }));
        const cal = new CapacityCalendar(nodes, bookings);
        for (const a of asks) {
          const ask = { ...toAsk({ ...a, model: 'H100' }), start: a.start * scale * minute, end: (a.start * scale + a.hours * 37) * minute };
          const until = ask.start + 2000 * minute;
          expect(cal.earliest(ask, until)).toEqual(byScan(cal, ask, until));
          expect(cal.earliest(ask, until, 'b0')).toEqual(byScan(cal, ask, until, 'b0'));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('books the emptiest nodes first, within the asked scope, and refuses past capacity', () => {
    const nodes: CalendarNode[] = [
      { name: 'a', site: 'fra', model: 'H100', gpus: 8 },
      { name: 'b', site: 'fra', model: 'H100', gpus: 8 },
      { name: 'c', site: 'ams', model: 'H100', gpus: 8 },
    ];
    const cal = new CapacityCalendar(nodes, [{ id: 'x', start: 0, end: 10 * HOUR, nodes: [{ node: 'a', gpus: 6 }] }]);
    expect(cal.fit({ start: 0, end: HOUR, gpus: 10, model: 'H100', site: 'fra' })).toEqual([
      { node: 'b', gpus: 8 },
      { node: 'a', gpus: 2 },
    ]);
    expect(cal.fit({ start: 0, end: HOUR, gpus: 11, model: 'H100', site: 'fra' })).toBeNull();
    expect(cal.earliest({ start: 0, end: HOUR, gpus: 11, model: 'H100', site: 'fra' }, 100 * HOUR)).toMatchObject({ start: 10 * HOUR, end: 11 * HOUR });
    expect(cal.fit({ start: 0, end: HOUR, nodes: 1, model: 'H100', site: 'fra' })).toEqual([{ node: 'b', gpus: 8, whole: true }]);
    expect(cal.capacity({ start: 0, end: HOUR, gpus: 1, model: 'H100' })).toBe(24);
  });
});
