// The plain preemption search, one full what-if `schedule()` per question: the specification the
// fast search in preemption.ts is checked against (same candidates, same order, same answers).
// Too slow for large fleets (seconds for a multi-node gang among 10,000 running gangs): for tests
// and `bench/preemption.mjs --search plain` only.
import { cheapestSingle, planOf, searchStart, type findVictims } from './preemption.js';

/** Same inputs and, by the tests, the same answers as findVictims; only the search differs. */
export const findVictimsReference: typeof findVictims = (snap, gang, running, config, now, rng, opts = {}) => {
  const start = searchStart(snap, gang, running, config, now, rng, opts);
  if (!start) return null;
  const { candidates, fits } = start;
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
};
