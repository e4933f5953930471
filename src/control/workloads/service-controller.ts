// The Service controller: retires replicas the rollout plan (service-rollout.ts) no longer wants
// and reports phase and conditions. New replicas are asked for by the adapter, not here.
//   Pending      nothing ready yet, never was available
//   Progressing  replicas coming up, or a rolling update under way within its bounds
//   Available    desired replicas of the current generation ready, nothing old left
//   Degraded     was available, now fewer ready than desired - maxUnavailable
import type { ServiceSpec } from '../../model/kinds/service.js';
import type { Resource } from '../../model/metadata.js';
import type { StoreTx } from '../../store/types.js';
import { attemptOf, phaseOf } from './allocations.js';
import { applyDecision } from './apply.js';
import { readConditions, setCondition } from './conditions.js';
import type { WorkloadEvent } from './apply.js';
import type { PassResult } from './reconciler.js';
import { generationOf, isReady, planRollout, rolloutBounds } from './service-rollout.js';

export type ServicePhase = 'Pending' | 'Progressing' | 'Available' | 'Degraded';

export async function reconcileService(tx: StoreTx, svc: Resource, allocs: Resource[], now: Date): Promise<PassResult> {
  // Fresh and nothing placed yet: stay out of the scheduling loop's way (see job-machine.ts).
  if (svc.status === undefined && allocs.length === 0) return { changed: false };
  const spec = svc.spec as unknown as ServiceSpec;
  const gen = generationOf(svc);
  const plan = planRollout(svc, allocs);
  const stops = plan.retire.map((alloc) => ({ alloc, reason: attemptOf(alloc) === gen ? 'ScaledDown' : 'RolloutReplaced' }));

  const retiredReady = plan.retire.filter(isReady).length;
  const ready = plan.ready - retiredReady;
  const readyNew = plan.readyNew - plan.retire.filter((a) => isReady(a) && attemptOf(a) === gen).length;
  const oldLive = plan.oldLive - plan.retire.filter((a) => attemptOf(a) !== gen).length;
  const st: Record<string, unknown> = { ...(svc.status ?? {}) };
  const wasAvailable = typeof st.availableTime === 'string';
  const { maxUnavailable } = rolloutBounds(spec);
  let phase: ServicePhase;
  if (oldLive === 0 && readyNew >= plan.desired) phase = 'Available';
  else if (!wasAvailable) phase = ready === 0 ? 'Pending' : 'Progressing';
  else if (ready < plan.desired - maxUnavailable) phase = 'Degraded';
  else phase = 'Progressing';

  const previous = st.phase;
  const events: WorkloadEvent[] = [];
  if (phase !== previous) {
    events.push({
      type: phase === 'Degraded' ? 'Warning' : 'Normal',
      reason: phase,
      message: `${ready}/${plan.desired} replicas ready${oldLive > 0 ? `, ${oldLive} of an older generation` : ''}`,
    });
  }
  if (phase === 'Available' && !wasAvailable) st.availableTime = now.toISOString();
  st.phase = phase;
  st.replicas = plan.desired;
  st.readyReplicas = ready;
  st.updatedReplicas = plan.newLive - plan.retire.filter((a) => attemptOf(a) === gen).length;
  st.observedGeneration = gen;
  st.restarts = allocs.filter((a) => phaseOf(a) === 'Failed' || phaseOf(a) === 'Lost').length;
  let conditions = readConditions(svc.status);
  conditions = setCondition(conditions, phase === 'Available'
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasReady' }
    : { type: 'Available', status: 'False', reason: phase === 'Degraded' ? 'ReplicasUnavailable' : 'NotYetReady', message: `${ready}/${plan.desired} ready` }, now);
  conditions = setCondition(conditions, oldLive > 0 || readyNew < plan.desired
    ? { type: 'Progressing', status: 'True', reason: oldLive > 0 ? 'RollingUpdate' : 'ReplicasStarting', message: `generation ${gen}: ${readyNew}/${plan.desired} ready` }
    : { type: 'Progressing', status: 'False', reason: 'RolloutComplete' }, now);
  st.conditions = conditions;

  const changed = await applyDecision(tx, svc, { status: st, stops, events }, now);
  return { changed };
}
