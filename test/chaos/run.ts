// One chaos run from the test's side: the steady burst of GPU Jobs, double-booking samples, and
// the verdict once the fault is over — read everything back, print the report, fail on loss.
import { expect } from 'vitest';
import type { Rng } from '../../src/scheduler/rng.js';
import { gpuJob, unfinishedJobs } from './fleet.js';
import { auditMissing, burst, doubleBookedGpus, lostWrites, WriteLedger } from './ledger.js';
import { expectNoLoss, report, scale, type ChaosReport } from './report.js';
import { sleep, type ChaosServer } from './servers.js';

type Fields = Pick<ChaosReport, 'scenario' | 'engine' | 'faults' | 'takeoverMs' | 'timeToReadyMs' | 'notes'>;

export class ChaosRun {
  readonly ledger = new WriteLedger();
  /** GPUs seen held twice by active allocations (API view), and any the test adds (process view). */
  readonly doubleBooked = new Set<string>();
  private readonly stopWriting = new AbortController();
  private writing: Promise<number> | undefined;

  /** `server()` is whichever server requests should go to now. */
  constructor(private readonly server: () => ChaosServer) {}

  /** Starts the burst: Jobs j00000, j00001, … at `perSecond`, until finishBurst(). */
  startBurst(rng: Rng, perSecond = 40, concurrency = 8): void {
    this.writing = burst(this.ledger, this.server, {
      perSecond,
      concurrency,
      stop: this.stopWriting.signal,
      make: (i) => gpuJob(`j${String(i).padStart(5, '0')}`, rng),
    });
  }

  /** Adds the GPUs active allocations hold twice right now (a server that is down adds none). */
  async sample(): Promise<void> {
    for (const g of await doubleBookedGpus(this.server()).catch(() => [])) this.doubleBooked.add(g);
  }

  /** Ends the burst a second after the last fault, waits for its Jobs to finish, samples again. */
  async finishBurst(): Promise<string[]> {
    await sleep(1000);
    this.stopWriting.abort();
    await this.writing;
    const open = await unfinishedJobs(this.server(), scale(60_000, 240_000));
    await this.sample();
    return open;
  }

  /** Reads every acknowledged write back, reports, and fails the test on any loss. */
  async verdict(fields: Fields, open: string[] = []): Promise<ChaosReport> {
    const s = this.server();
    const lost = await lostWrites(s, this.ledger);
    const audit = await auditMissing(s, this.ledger);
    const r: ChaosReport = {
      ...fields,
      acknowledgedWrites: this.ledger.acked.length,
      unacknowledgedAttempts: this.ledger.unacknowledged,
      lostWrites: lost.length,
      auditEntriesMissing: audit.length,
      doubleBookedGpus: this.doubleBooked.size,
    };
    if (r.takeoverMs !== undefined) r.takeoverMs = Math.round(r.takeoverMs);
    if (r.timeToReadyMs !== undefined) r.timeToReadyMs = Math.round(r.timeToReadyMs);
    report(r);
    expect(this.ledger.refused).toEqual([]);
    expect(open, 'jobs never finished').toEqual([]);
    expectNoLoss(r, { lost, audit, doubleBooked: [...this.doubleBooked] });
    return r;
  }
}
