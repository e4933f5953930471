// What-if (`weft explain`): where and when would this workload start? Asked of a picture of the
// live fleet (scheduling-picture.ts, the loop's own rules: queues, tenants, isolation, priority
// classes, max runtimes), in three steps, each the loop's own code:
//   1. a scheduling cycle now, with every pending gang — placed: where; not: the "why pending"
//      the loop would write (status.scheduling);
//   2. not placed: the preemption the loop would start for it (its victims);
//   3. neither: the scheduler run forward on virtual time, as what runs ends at its start plus
//      its declared run time (forward.ts) — when it would start, on what, waiting for whom.
// Nothing is written. Owners in other projects than the caller's are counted, never named.
import type { Resource } from '../../model/metadata.js';
import type { WhatIfAnswer, WhatIfPlacement, WorkloadRefs } from '../../model/what-if.js';
import { createPolicy, schedule, seededRng, typicalPods, type GangDecision, type PodShape, type ReplicaPlacement } from '../../scheduler/index.js';
import { podShape } from '../gang.js';
import { schedulingStatus } from '../placement-commit.js';
import { planPreemptions } from '../preemption.js';
import { workloadKeyOf, type SchedulingPicture } from '../scheduling-picture.js';
import type { PlacementDemand, WorkloadAdapter } from '../workloads/types.js';
import { simulateForward, type Holding, type QueuedGang } from './forward.js';

export interface WhatIfOptions {
  picture: SchedulingPicture;
  adapters: ReadonlyMap<string, WorkloadAdapter>;
  /** The workload asked about: stored, or a manifest as admission would store it. */
  workload: Resource;
  /** A stored workload still waiting keeps its place in line; anything else is asked about as a fresh copy. */
  stored: boolean;
  policy: string;
  now: Date;
  /** How long a workload's replicas run once started (declared); undefined = unknown. */
  runMs: (w: Resource) => number | undefined;
  /** Projects whose workloads may be named in the answer; 'all' for cluster readers. */
  readable: 'all' | ReadonlySet<string>;
}

export function evaluateWhatIf(o: WhatIfOptions): WhatIfAnswer {
  const { picture, workload, now } = o;
  const adapter = o.adapters.get(workload.kind);
  if (!adapter) throw new Error(`no scheduling adapter for kind ${workload.kind}`);
  const targetKey = workloadKeyOf(workload);
  const own = o.stored ? picture.demandOf(workload, adapter, now) : null;
  const asked = own ? 'pending' : 'copy';
  const demand = own ?? picture.demandOf(freshCopy(workload, now), adapter, now);
  if (!demand) throw new Error(`${targetKey}: nothing to place`);
  const others: { d: PlacementDemand; owner: string }[] = [];
  for (const [key, w] of picture.workloads) {
    const a = o.adapters.get(w.kind);
    const d = key !== targetKey && a ? picture.demandOf(w, a, now) : null;
    if (d) others.push({ d, owner: key });
  }
  const target = picture.gangOf('what-if', demand);
  const gangs = others.map(({ d }, i) => picture.gangOf(String(i), d));
  const shapes: PodShape[] = [...others.map(({ d }) => d), demand].flatMap((d) => Array(Math.min(d.replicas.length, 64)).fill(podShape(d.resources)) as PodShape[]);
  // weft keeps its stranding term here rather than replaying the few shapes in view to decide on it.
  const policy = createPolicy(o.policy, { typicalPods: typicalPods(shapes), stranding: true, imageLocality: true });
  const counted = picture.count(now);
  const snap = picture.fleet.snapshot();
  const refs = (owners: readonly string[]): WorkloadRefs => namedOrCounted(owners, o.readable);
  const answer: WhatIfAnswer = {
    workload: { kind: workload.kind, project: workload.metadata.project ?? '', name: workload.metadata.name },
    evaluatedAt: now.toISOString(),
    asked,
    replicas: demand.replicas.length,
    outcome: 'never',
    placements: [],
    assumptions: [],
  };

  // 1. A cycle now, as the loop runs it.
  const rng = seededRng(1);
  const decision = snap.whatIf((s) => {
    const config = { policy, backfill: picture.backfill(), ...(counted ? { queues: counted.usage.clone() } : {}) };
    return schedule(s, [...gangs, target], config, now.getTime(), rng).decisions.find((d) => d.gangId === target.id)!;
  });
  if (decision.placed) return { ...answer, outcome: 'now', startsAt: answer.evaluatedAt, placements: placementsOf(picture, decision.placements) };
  answer.scheduling = explained(demand, decision, now);

  // 2. The preemption the loop would start for it.
  const [nomination] = planPreemptions({
    fleet: picture.fleet,
    workloads: picture.workloads,
    priorityOf: (w) => picture.priorityOf(w),
    preemptible: (w) => picture.preemptible(w),
    unplaced: [{ demand, gang: target }],
    waiting: () => false,
    config: { policy, explain: false },
    ...(counted ? { queues: counted } : {}),
    now: now.getTime(),
    rng,
  });
  if (nomination) {
    answer.outcome = 'preempts';
    answer.preempts = { ...refs(nomination.victims.map((v) => workloadKeyOf(v.workload))), reasons: [...new Set(nomination.victims.map((v) => v.reason ?? ''))].filter(Boolean) };
    answer.assumptions.push('It starts once its victims have stopped (their grace periods), on what they free.');
    return answer;
  }

  // 3. Forward in time, as running work ends.
  const holdings: Holding[] = [];
  let unknownEnds = 0;
  for (const a of picture.fleet.activeAllocations()) {
    const r = picture.fleet.replicaOf(a);
    if (!r) continue;
    const ref = a.spec.workload as { kind: string; name: string };
    const owner = `${ref.kind}/${a.metadata.project ?? ''}/${ref.name}`;
    const endsAt = expectedEnd(a, picture.workloads.get(owner), o.runMs, now.getTime());
    if (endsAt === null) unknownEnds++;
    holdings.push({ ...r, endsAt, owner });
  }
  const queued: QueuedGang[] = others.map(({ d, owner }, i) => ({ gang: gangs[i]!, durationMs: o.runMs(d.workload) ?? null, owner }));
  const ahead = snap.whatIf(() => simulateForward({ snap, holdings, queued, target, now: now.getTime(), policy, ...(counted ? { queues: counted.usage } : {}) }));
  answer.assumptions.push(
    `${holdings.length - unknownEnds} running allocation(s) end at their declared run times` +
      (unknownEnds > 0 ? `; ${unknownEnds} declare none and are assumed to keep running.` : '.'),
  );
  if (ahead.placedAhead.length > 0) answer.ahead = refs(ahead.placedAhead);
  if (ahead.startsAt === null) return answer;
  return {
    ...answer,
    outcome: 'later',
    startsAt: new Date(ahead.startsAt).toISOString(),
    placements: placementsOf(picture, ahead.placements),
    ...(ahead.waitedFor.length > 0 ? { waitsFor: refs(ahead.waitedFor) } : {}),
  };
}

/** The workload as if just submitted: no status, not suspended, its own uid. */
function freshCopy(w: Resource, now: Date): Resource {
  const spec = { ...w.spec };
  delete spec['suspend'];
  return { ...w, metadata: { ...w.metadata, uid: `what-if:${w.metadata.uid ?? w.metadata.name}`, creationTimestamp: now.toISOString() }, spec, status: {} };
}

function explained(demand: PlacementDemand, decision: GangDecision, now: Date): Record<string, unknown> {
  const { lastCycle: _now, ...status } = schedulingStatus({ demand, unplaced: decision.unplaced, decision }, now);
  return status;
}

function placementsOf(picture: SchedulingPicture, placements: readonly ReplicaPlacement[]): WhatIfPlacement[] {
  return placements.map((p) => {
    const gpus = picture.fleet.gpusOf(p.nodeName);
    return { replica: p.replica, node: p.nodeName, gpus: p.gpus.map((i) => gpus[i]?.index ?? i) };
  });
}

/** Epoch ms an allocation is expected to end: now when stopping, else its start + its workload's run time. */
function expectedEnd(a: Resource, w: Resource | undefined, runMs: (w: Resource) => number | undefined, now: number): number | null {
  const st = (a.status ?? {}) as { phase?: string; startedAt?: string };
  if (st.phase === 'Stopping') return now;
  const ms = w ? runMs(w) : undefined;
  if (ms === undefined) return null;
  const started = st.startedAt ? Date.parse(st.startedAt) : now;
  return Math.max(now, started + ms);
}

function namedOrCounted(owners: readonly string[], readable: 'all' | ReadonlySet<string>): WorkloadRefs {
  const out: WorkloadRefs = { named: [], others: 0 };
  for (const key of new Set(owners)) {
    const [kind, project, ...rest] = key.split('/');
    if (readable === 'all' || readable.has(project!)) out.named.push({ kind: kind!, project: project!, name: rest.join('/') });
    else out.others++;
  }
  return out;
}
