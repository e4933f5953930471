// One line per chaos run: what was written and what survived. Printed as JSON to stdout and, when
// WEFT_CHAOS_REPORT names a file, appended there (`npm run chaos` collects them; the figures in
// docs/reliability.md come from such a file). `npm test` runs a short version of the scenarios
// that fit its time (one fault each); WEFT_CHAOS=long (set by `npm run chaos`) runs every scenario,
// longer and with more faults.
import { appendFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { expect } from 'vitest';

export const LONG = process.env.WEFT_CHAOS === 'long';

/** Picks the short (npm test) or the long (npm run chaos) figure. */
export function scale(short: number, long: number): number {
  return LONG ? long : short;
}

export interface ChaosReport {
  scenario: string;
  engine: 'pglite' | 'postgres';
  /** How many faults were injected (kills, restarts, freezes). */
  faults: number;
  acknowledgedWrites: number;
  /** Attempts refused (5xx) or cut off while the fault lasted; retried until acknowledged. */
  unacknowledgedAttempts: number;
  lostWrites: number;
  auditEntriesMissing: number;
  doubleBookedGpus: number;
  /** Longest time from a leader's death to the next leader, where there was a takeover. */
  takeoverMs?: number;
  /** Longest time from a restart (of the server, or of what it waited for) to /readyz 200. */
  timeToReadyMs?: number;
  /** Anything scenario-specific worth a figure (e.g. the longest /readyz 503 window). */
  notes?: Record<string, number | string>;
}

export function report(r: ChaosReport): void {
  const line = JSON.stringify({ ...r, long: LONG, loadavg1: Number(loadavg()[0]!.toFixed(2)), at: new Date().toISOString() });
  console.log(`chaos: ${line}`);
  const file = process.env.WEFT_CHAOS_REPORT;
  if (file) appendFileSync(file, `${line}\n`);
}

/**
 * The suite's verdict on a run: nothing acknowledged may be lost, no GPU held twice, and every
 * acknowledged write audited (each entry commits in its write's own transaction).
 */
export function expectNoLoss(r: ChaosReport, details: { lost: string[]; audit: string[]; doubleBooked: string[] }): void {
  expect(r.acknowledgedWrites, 'the run acknowledged nothing: it proves nothing').toBeGreaterThan(0);
  expect(details.lost, 'acknowledged writes lost').toEqual([]);
  expect(details.doubleBooked, 'GPUs double-booked').toEqual([]);
  expect(details.audit, 'acknowledged writes without an audit entry').toEqual([]);
}
