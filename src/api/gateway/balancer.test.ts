// The balancer and the load accounting, without HTTP.
import { describe, expect, it } from 'vitest';
import { pickReplica } from './balancer.js';
import type { Replica } from './replicas.js';
import { ServiceTraffic } from './traffic.js';

const rep = (replica: number, outstanding: number): Replica => ({ name: `r-${replica}`, replica, endpoint: 'http://127.0.0.1:1', ready: true, everReady: true, outstanding, served: 0 });

describe('pickReplica', () => {
  it('picks the fewest outstanding, rotating among ties', () => {
    expect(pickReplica([])).toBeUndefined();
    expect(pickReplica([rep(0, 3), rep(1, 1), rep(2, 2)])?.name).toBe('r-1');
    const tied = [rep(2, 0), rep(0, 0), rep(1, 5)];
    expect([0, 1, 2, 3].map((t) => pickReplica(tied, t)?.name)).toEqual(['r-0', 'r-2', 'r-0', 'r-2']);
  });
});

describe('ServiceTraffic', () => {
  it('reports the time-weighted mean in flight between samples, never below the current count', () => {
    let now = 0;
    const t = new ServiceTraffic(() => now);
    t.sample('p', 's', undefined);
    const a = t.begin('p', 's');
    const b = t.begin('p', 's');
    now = 500;
    b();
    b(); // a second call is ignored
    now = 1000;
    expect(t.sample('p', 's', undefined)).toEqual({ inFlight: 1.5, inFlightNow: 1 });
    now = 2000;
    a();
    expect(t.inFlight('p', 's')).toBe(0);
    expect(t.sample('p', 's', undefined)).toEqual({ inFlight: 1, inFlightNow: 0 });
    now = 3000;
    expect(t.sample('p', 's', undefined)).toEqual({ inFlight: 0, inFlightNow: 0 });
  });

  it('keeps pushed metrics per service for a minute', () => {
    let now = 0;
    const t = new ServiceTraffic(() => now);
    t.pushMetric('p', 's', 'queue_depth', 7);
    expect(t.sample('p', 's', 'queue_depth').metric).toBe(7);
    expect(t.sample('p', 'other', 'queue_depth').metric).toBeUndefined();
    now = 61_000;
    expect(t.sample('p', 's', 'queue_depth').metric).toBeUndefined();
  });
});
