// The autoscaling decision on a manual clock: the formula, the bounds, both stabilisation windows,
// the custom metric, scale to zero and back; then the controller writing status.desiredReplicas
// where the rollout plan reads it.
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceAutoscaling } from '../model/kinds/service.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { decideScale, emptyScaleState, type LoadSample, type ScaleState } from './autoscaler.js';
import { AutoscalerController, type TrafficSource } from './autoscaler-controller.js';
import { ManualClock } from './clock.js';
import { desiredReplicas } from './workloads/service-rollout.js';

const load = (inFlight: number, metric?: number): LoadSample => ({ inFlight, inFlightNow: inFlight, ...(metric !== undefined ? { metric } : {}) });

/** Feeds decisions one second apart, carrying state and the replica count forward. */
function run(a: ServiceAutoscaling, bounds: { min: number; max: number }, start: number, loads: LoadSample[]): number[] {
  const clock = new ManualClock();
  let state: ScaleState = emptyScaleState();
  let current = start;
  const out: number[] = [];
  for (const l of loads) {
    const d = decideScale({ autoscaling: a, ...bounds, current, load: l, now: clock.now().getTime() }, state);
    state = d.state;
    current = d.desired;
    out.push(current);
    clock.advance(1000);
  }
  return out;
}

describe('decideScale', () => {
  it('asks for ceil(inFlight / target), clamped to [min, max]', () => {
    const a = { targetInFlight: 5, scaleDownStabilizationSeconds: 0 };
    expect(run(a, { min: 1, max: 10 }, 1, [load(0)])).toEqual([1]);
    expect(run(a, { min: 1, max: 10 }, 1, [load(11)])).toEqual([3]);
    expect(run(a, { min: 1, max: 10 }, 1, [load(500)])).toEqual([10]);
    expect(run(a, { min: 2, max: 10 }, 2, [load(1)])).toEqual([2]);
    expect(run(a, { min: 1, max: 10 }, 1, [load(10)])).toEqual([2]);
  });

  it('scales down only to the highest recommendation of the scale-down window', () => {
    const a = { targetInFlight: 1, scaleDownStabilizationSeconds: 3 };
    // 8 in flight, then idle: the count stays at 8 until the busy second leaves the 3 s window.
    expect(run(a, { min: 1, max: 10 }, 1, [load(8), load(0), load(0), load(0), load(0)])).toEqual([8, 8, 8, 1, 1]);
    // Load coming back inside the window keeps it up.
    expect(run(a, { min: 1, max: 10 }, 1, [load(8), load(0), load(0), load(4), load(0), load(0), load(0)])).toEqual([8, 8, 8, 4, 4, 4, 1]);
  });

  it('scales up only to the lowest recommendation of the scale-up window', () => {
    const a = { targetInFlight: 1, scaleUpStabilizationSeconds: 2, scaleDownStabilizationSeconds: 0 };
    // A one-second spike does nothing; load that lasts the whole window does.
    expect(run(a, { min: 1, max: 10 }, 1, [load(1), load(6), load(1), load(6), load(6), load(6)])).toEqual([1, 1, 1, 1, 6, 6]);
  });

  it('a short lull does not scale down (default window 300 s)', () => {
    const a = { targetInFlight: 2 };
    const loads = [load(8), ...Array.from({ length: 200 }, () => load(0))];
    expect(run(a, { min: 1, max: 10 }, 1, loads).at(-1)).toBe(4);
  });

  it('takes the larger of the in-flight and the custom metric recommendations', () => {
    const a = { targetInFlight: 10, metric: { name: 'queue_depth', target: 4 }, scaleDownStabilizationSeconds: 0 };
    expect(run(a, { min: 1, max: 10 }, 1, [load(5, 20)])).toEqual([5]);
    expect(run(a, { min: 1, max: 10 }, 1, [load(30, 2)])).toEqual([3]);
    // No fresh metric: in flight alone decides.
    expect(run(a, { min: 1, max: 10 }, 1, [load(30)])).toEqual([3]);
  });

  it('scales to zero after the idle period only when min is 0, and back at once on a request', () => {
    const a = { targetInFlight: 4, scaleToZeroAfterSeconds: 3, scaleDownStabilizationSeconds: 0, scaleUpStabilizationSeconds: 60 };
    const idle = [load(1), load(0), load(0), load(0), load(0)];
    expect(run(a, { min: 0, max: 5 }, 1, idle)).toEqual([1, 1, 1, 0, 0]);
    expect(run(a, { min: 1, max: 5 }, 1, idle)).toEqual([1, 1, 1, 1, 1]);
    // At zero, one held request brings one replica despite the 60 s scale-up window.
    expect(run(a, { min: 0, max: 5 }, 0, [load(0), load(1), load(1)])).toEqual([0, 1, 1]);
    // Without scaleToZeroAfterSeconds a Service at min 0 that has load never goes back to zero.
    expect(run({ targetInFlight: 4, scaleDownStabilizationSeconds: 0 }, { min: 0, max: 5 }, 0, [load(3), load(0), load(0)])).toEqual([1, 1, 1]);
  });

  it('explains its decision in one sentence', () => {
    const d = decideScale({ autoscaling: { targetInFlight: 5 }, min: 1, max: 10, current: 1, load: load(19.5), now: 0 }, emptyScaleState());
    expect(d.desired).toBe(4);
    expect(d.reason).toContain('19.5 requests in flight (target 5 per replica)');
  });
});

class FixedTraffic implements TrafficSource {
  value: LoadSample = load(0);
  sample(): LoadSample {
    return this.value;
  }
}

describe('AutoscalerController', () => {
  let store: Store;
  afterEach(async () => {
    await store?.close();
  });

  it('writes status.desiredReplicas, which the rollout plan then follows, and records an event', async () => {
    store = await openStore({});
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'p' }, spec: {} });
    const spec = { resources: { cpu: '1' }, replicas: { min: 1, max: 6 }, autoscaling: { targetInFlight: 2, scaleDownStabilizationSeconds: 10 } };
    await store.create({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 's', project: 'p' }, spec });
    await store.create({ apiVersion: 'weft/v1', kind: 'Service', metadata: { name: 'fixed', project: 'p' }, spec: { resources: { cpu: '1' }, replicas: { min: 1, max: 6 } } });
    const clock = new ManualClock();
    const traffic = new FixedTraffic();
    const ctl = new AutoscalerController({ store, clock, traffic });
    const get = async (name = 's') => (await store.get({ kind: 'Service', project: 'p', name }))!;

    expect(await ctl.tick()).toEqual([]);
    clock.advance(1_000);
    traffic.value = load(9);
    expect(await ctl.tick()).toEqual(['p/s']);
    expect(desiredReplicas(await get())).toBe(5);
    expect(desiredReplicas(await get('fixed'))).toBe(1); // not autoscaled: untouched
    expect((await get()).status?.autoscaling).toMatchObject({ recommendation: 5 });

    traffic.value = load(0);
    clock.advance(5_000);
    expect(await ctl.tick()).toEqual([]); // inside the scale-down window
    clock.advance(6_000);
    expect(await ctl.tick()).toEqual(['p/s']);
    expect(desiredReplicas(await get())).toBe(1);

    const events = (await store.list('Event', { project: 'p' })).items.map((e) => (e.spec as { reason: string }).reason).sort();
    expect(events).toEqual(['ScaledDown', 'ScaledUp']);

    // Autoscaling switched off: the count goes back to spec.replicas.min.
    traffic.value = load(9);
    clock.advance(1_000);
    await ctl.tick();
    expect(desiredReplicas(await get())).toBe(5);
    const svc = await get();
    await store.update({ ...svc, spec: { ...svc.spec, autoscaling: undefined, replicas: { min: 2, max: 6 } } });
    await ctl.tick();
    expect((await get()).status?.desiredReplicas).toBeUndefined();
    expect(desiredReplicas(await get())).toBe(2);
  });
});
