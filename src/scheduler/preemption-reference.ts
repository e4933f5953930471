// The plain preemption search, one full what-if `schedule()` per question: the specification the
// fast search in preemption.ts is checked against (same candidates, same order, same answers).
// Too slow for large fleets (seconds for a multi-node gang among 10,000 running gangs): for tests
// and `bench/preemption.mjs --search plain` only.
import type { SchedulerConfig } from './cycle.js';
import { candidatesFor, cheapestSingle, fitChecker, planOf, type PreemptionOptions, type PreemptionPlan, type RunningGang } from './preemption.js';
import type { Rng } from './rng.js';
import type { Snapshot } from './snapshot.js';
import type { GangRequest } from './types.js';

export function findVictimsReference(
  snap: Snapshot,
  gang: GangRequest,
  running: readonly RunningGang[],
  config: SchedulerConfig,
  now: number,
  rng: Rng,
  opts: PreemptionOptions = {},
): PreemptionPlan | null {
  const queues = opts.queues ?? config.queues;
  const candidates = candidatesFor(snap, gang, running, queues, now);
  if (candidates.length === 0) return null;
  const fits = fitChecker(snap, gang, config, queues, now, rng);
  // Release cheapest first until the gang fits.
  const chosen = [];
  for (const c of candidates) {
    chosen.push(c);
    if (fits(chosen)) break;
  }
  if (!fits(chosen)) return null;
  // Newest first, put back every victim the gang fits without.
  for (let i = chosen.length - 1; i >= 0; i--) {
    const without = chosen.filter((_, j) => j !== i);
    if (without.length > 0 && fits(without)) chosen.splice(i, 1);
  }
  const { best, cost } = cheapestSingle(chosen, candidates, (c) => fits([c]) !== null);
  return planOf(gang, best, cost, fits(best)!);
}
