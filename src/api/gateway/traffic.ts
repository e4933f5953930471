// Load accounting for the gateway of this process: requests in flight per Service (held ones
// included, so a Service at zero sees the request that waits for it), a time-weighted mean of that
// between the autoscaler's samples, and the latest pushed custom metrics. The autoscaler reads it
// through TrafficSource; nothing here is persisted (docs/serving.md says what that means in HA).
import type { LoadSample } from '../../control/autoscaler.js';
import type { TrafficSource } from '../../control/autoscaler-controller.js';

/** Pushed metrics older than this are ignored: a pusher that died must not pin the count. */
export const METRIC_TTL_MS = 60_000;

interface ServiceLoad {
  inFlight: number;
  /** Integral of inFlight over time since the last sample (request·ms). */
  area: number;
  since: number;
  changedAt: number;
  metrics: Map<string, { value: number; at: number }>;
}

export class ServiceTraffic implements TrafficSource {
  private readonly services = new Map<string, ServiceLoad>();
  private turn = 0;

  constructor(private readonly now: () => number = Date.now) {}

  private load(project: string, service: string): ServiceLoad {
    const key = `${project}/${service}`;
    let l = this.services.get(key);
    if (!l) {
      const t = this.now();
      l = { inFlight: 0, area: 0, since: t, changedAt: t, metrics: new Map() };
      this.services.set(key, l);
    }
    return l;
  }

  private settle(l: ServiceLoad, t: number): void {
    l.area += l.inFlight * (t - l.changedAt);
    l.changedAt = t;
  }

  /** A request for the Service arrived (call `done` exactly once when it has finished). */
  begin(project: string, service: string): () => void {
    const l = this.load(project, service);
    this.settle(l, this.now());
    l.inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.settle(l, this.now());
      l.inFlight--;
    };
  }

  /** A counter the balancer rotates ties with. */
  nextTurn(): number {
    this.turn = (this.turn + 1) % Number.MAX_SAFE_INTEGER;
    return this.turn;
  }

  inFlight(project: string, service: string): number {
    return this.services.get(`${project}/${service}`)?.inFlight ?? 0;
  }

  pushMetric(project: string, service: string, name: string, value: number): void {
    this.load(project, service).metrics.set(name, { value, at: this.now() });
  }

  sample(project: string, service: string, metricName: string | undefined): LoadSample {
    const l = this.load(project, service);
    const t = this.now();
    this.settle(l, t);
    const span = t - l.since;
    const mean = span > 0 ? l.area / span : l.inFlight;
    l.area = 0;
    l.since = t;
    const m = metricName !== undefined ? l.metrics.get(metricName) : undefined;
    const fresh = m !== undefined && t - m.at <= METRIC_TTL_MS;
    // The peak matters more than the mean when load is rising: never report less than now.
    return { inFlight: Math.max(mean, l.inFlight), inFlightNow: l.inFlight, ...(fresh ? { metric: m.value } : {}) };
  }
}
