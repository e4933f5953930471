// Service autoscaling, the controller: every period, for each Service with spec.autoscaling, read
// its load from the gateway of this process, decide (autoscaler.ts) and write the count to
// status.desiredReplicas — where the rollout plan (workloads/service-rollout.ts) reads it, so the
// scheduling loop places new replicas and the Service controller retires surplus ones.
//
// It runs on the leader only, so in a multi-replica deployment the load it sees is what the
// leader's own gateway carries (docs/serving.md). Recommendations are kept in memory, as the
// HPA keeps them: a new leader starts with empty windows, which can only delay a scale-down.
import { sleep } from '../model/abort.js';
import { ConflictError, NotFoundError } from '../model/errors.js';
import type { ServiceSpec } from '../model/kinds/service.js';
import type { Resource } from '../model/metadata.js';
import type { Store } from '../store/types.js';
import { decideScale, emptyScaleState, type LoadSample, type ScaleState } from './autoscaler.js';
import type { Clock } from './clock.js';
import type { Controller } from './control-plane.js';
import { recordEvent } from './events.js';
import { desiredReplicas } from './workloads/service-rollout.js';

/** Where load comes from: the gateway in this process implements it. */
export interface TrafficSource {
  /** Load of one Service since the previous call for it (each call starts a new interval). */
  sample(project: string, service: string, metricName: string | undefined): LoadSample;
}

export interface AutoscalerOptions {
  store: Store;
  clock: Clock;
  traffic: TrafficSource;
  /** Real-time gap between decisions (default 1000 ms). */
  periodMs?: number;
  log?: (msg: string) => void;
}

const keyOf = (svc: Resource): string => `${svc.metadata.project ?? ''}/${svc.metadata.name}`;

export class AutoscalerController implements Controller {
  private readonly states = new Map<string, { uid: string; state: ScaleState }>();

  constructor(private readonly opts: AutoscalerOptions) {}

  async start(signal: AbortSignal): Promise<void> {
    const period = this.opts.periodMs ?? 1000;
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        if (!signal.aborted) this.opts.log?.(`autoscaler: ${(err as Error).message}`);
      }
      await sleep(period, signal);
    }
  }

  /** One decision for every autoscaled Service; returns the Services whose count changed. */
  async tick(): Promise<string[]> {
    const all = (await this.opts.store.list('Service')).items.filter((s) => !s.metadata.deletionTimestamp);
    const services = all.filter((s) => (s.spec as unknown as ServiceSpec).autoscaling !== undefined);
    // Autoscaling switched off: hand the count back to spec.replicas.min.
    for (const s of all) if ((s.spec as unknown as ServiceSpec).autoscaling === undefined && s.status?.autoscaling !== undefined) await this.release(s);
    const seen = new Set(services.map(keyOf));
    for (const k of this.states.keys()) if (!seen.has(k)) this.states.delete(k);
    const changed: string[] = [];
    for (const svc of services) if (await this.scale(svc)) changed.push(keyOf(svc));
    return changed;
  }

  private async release(svc: Resource): Promise<void> {
    const { desiredReplicas: _d, autoscaling: _a, ...rest } = svc.status ?? {};
    try {
      await this.opts.store.update({ ...svc, status: rest }, { resourceVersion: svc.metadata.resourceVersion });
    } catch (err) {
      if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
    }
  }

  private async scale(svc: Resource): Promise<boolean> {
    const spec = svc.spec as unknown as ServiceSpec;
    const autoscaling = spec.autoscaling!;
    const key = keyOf(svc);
    const kept = this.states.get(key);
    const prev = kept && kept.uid === svc.metadata.uid ? kept.state : emptyScaleState();
    const load = this.opts.traffic.sample(svc.metadata.project ?? '', svc.metadata.name, autoscaling.metric?.name);
    const now = this.opts.clock.now();
    const min = spec.replicas?.min ?? 1;
    const current = desiredReplicas(svc);
    const d = decideScale({ autoscaling, min, max: spec.replicas?.max ?? min, current, load, now: now.getTime() }, prev);
    this.states.set(key, { uid: svc.metadata.uid, state: d.state });
    if (d.desired === current) return false;
    try {
      await this.opts.store.transaction(async (tx) => {
        const fresh = await tx.get({ kind: 'Service', project: svc.metadata.project, name: svc.metadata.name });
        if (!fresh || fresh.metadata.uid !== svc.metadata.uid) throw new NotFoundError(`service ${key} is gone`);
        const status = {
          ...(fresh.status ?? {}),
          desiredReplicas: d.desired,
          autoscaling: { lastScaleTime: now.toISOString(), recommendation: d.recommended, reason: d.reason },
        };
        await tx.update({ ...fresh, status }, { resourceVersion: fresh.metadata.resourceVersion });
        if (d.desired !== current) {
          const up = d.desired > current;
          await recordEvent(tx, fresh, { type: 'Normal', reason: up ? 'ScaledUp' : 'ScaledDown', message: `${current} → ${d.desired} replicas: ${d.reason}`, source: 'autoscaler' }, now);
        }
      });
    } catch (err) {
      // Someone wrote the Service meanwhile, or it went away: the next period decides again.
      if (err instanceof ConflictError || err instanceof NotFoundError) return false;
      throw err;
    }
    if (d.desired !== current) this.opts.log?.(`autoscaler: service ${key} ${current} → ${d.desired}: ${d.reason}`);
    return d.desired !== current;
  }
}
