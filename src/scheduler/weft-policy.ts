// weft, our default policy: FGD's fragmentation gradient over a measure that also counts
// CPU-stranded GPU capacity, with a best-fit tie-break for GPU shares — when the workload's own
// mix, replayed on the fleet, shows that this pays; FGD's own rule otherwise.
//
// Why. Two changes to FGD, each aimed at GPU capacity FGD leaves idle on the Alibaba trace
// (docs/benchmarks.md has the numbers):
//  1. GPUs stranded by CPU. FGD rates each typical pod alone, so it lets CPU-only pods and
//     CPU-heavy GPU pods drain a node's CPU while its GPUs are still idle; those GPUs then stay
//     idle whatever arrives. The measure (stranding.ts) adds λ × the idle milli-GPU that the
//     node's free CPU cannot feed at the typical CPU-per-GPU ratio, so the gradient steers both
//     CPU-only and GPU pods away from stranding.
//  2. Share placement among equals. FGD's integer score often rates several GPUs of a node the
//     same and then takes the lowest index, whatever that leaves behind. Among equal scores weft
//     takes the GPU the share fills most tightly, keeping larger holes for larger shares; the
//     node's score carries the same key, so nodes tied on the integer score are ranked by it too.
// Everything else is FGD's: the integer sigmoid score (whose ties hand many choices to the fixed
// tie-break order, which we measured to be worth keeping), lowest-index whole GPUs, and only the
// workload's own shapes — no per-trace constants, nothing about future arrivals.
//
// When. On most mixes both changes win, but where the whole mix asks for more CPU per GPU than the
// fleet has, or where many tasks are tied to scarce GPU models, the stranding term loses to plain
// FGD. So before placing on a fleet weft replays the mix it has learned (the whole distribution of
// shapes, `mix`) on an empty copy of that fleet with and without the term (weft-calibration.ts) and
// keeps it only when it allocates more; otherwise weft places exactly as FGD does. The verdict is
// made once per (mix, fleet); `stranding` fixes it instead (the live loop works it out in slices).
// On mixes with GPU shares the replay also tries the term over share-fill weights (share-fill.ts:
// room kept for a share counts by how likely its hole is filled), kept where it beats FGD and, if
// the plain term does too, the plain term.
import type { Policy } from './policy.js';
import type { ScoreContext, Scorer } from './scorers/scorer.js';
import type { Snapshot } from './snapshot.js';
import type { TypicalPod } from './typical-pods.js';
import { fgdVariant, shareFillVariant, strandingVariant, strandingVerdict } from './weft-calibration.js';

export interface WeftOptions {
  /** The learned distribution of all shapes (typicalPods(shapes, 1)); defaults to the typical pods. */
  mix?: readonly TypicalPod[];
  /** Count CPU-stranded capacity (true) or place as FGD (false); absent: decided by replaying the mix per fleet. */
  stranding?: boolean;
  /** With the term: weigh the measure's shares by share fill (true); only read with `stranding`. */
  shareFill?: boolean;
}

export function weftPolicy(typical: readonly TypicalPod[], opts: WeftOptions = {}): Policy {
  const withTerm = strandingVariant(typical);
  const without = fgdVariant(typical, 'weft');
  let filled: Policy | undefined;
  const withShareFill = () => (filled ??= shareFillVariant(typical));
  if (opts.stranding !== undefined) return !opts.stranding ? without : opts.shareFill ? withShareFill() : withTerm;
  const mix = opts.mix ?? typical;
  const chosen = new WeakMap<Snapshot, Policy>();
  const pick = (snap: Snapshot): Policy => {
    let p = chosen.get(snap);
    if (!p) {
      const v = strandingVerdict(mix, typical, snap);
      chosen.set(snap, (p = !v.pays ? without : v.shareFill ? withShareFill() : withTerm));
    }
    return p;
  };
  const scorer: Scorer = {
    name: 'weft',
    nodeLocal: true,
    score: (ctx: ScoreContext, nodes, count, out) => pick(ctx.snap).scorers[0]!.scorer.score(ctx, nodes, count, out),
  };
  return {
    name: 'weft',
    scorers: [{ scorer, weight: 1 }],
    sharePicker: { name: 'weft-gpu', pick: (snap, n, req, rng) => pick(snap).sharePicker.pick(snap, n, req, rng) },
    selection: 'max-score',
  };
}
