// Reservations over real HTTP: admission books them in the capacity calendar, refuses one that
// would overbook with 409 naming the earliest window where it fits, names the bad field of a
// malformed one, and extends one only while its nodes are free for the longer window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, project, startHarness, type Harness } from './helpers.js';

const P = 'vision';
const path = `/api/v1/projects/${P}/reservations`;
let h: Harness;

const node = (name: string) => ({ kind: 'Node', metadata: { name }, spec: { site: 'fra', cpu: '64', memory: '512Gi', gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB' })) } });
/** 2030-01-01 is a Tuesday. */
const at = (hour: number) => new Date(Date.UTC(2030, 0, 1, hour)).toISOString();
const reservation = (name: string, spec: Record<string, unknown>) => ({ kind: 'Reservation', metadata: { name }, spec: { model: 'H100-80GB', site: 'fra', ...spec } });

beforeAll(async () => {
  h = await startHarness();
  await mustCreate(h, '/api/v1/projects', project(P));
  for (const n of ['fra-1', 'fra-2']) await mustCreate(h, '/api/v1/nodes', node(n));
});
afterAll(async () => h?.close());

describe('reservation admission', () => {
  it('books capacity, and refuses an overbooking naming the earliest window where it fits', async () => {
    const booked = await mustCreate(h, path, reservation('tuesday', { gpus: 12, start: at(10), end: at(18) }));
    expect(booked.status).toMatchObject({ phase: 'Pending', booking: { nodes: [{ node: 'fra-1', gpus: 8 }, { node: 'fra-2', gpus: 4 }] } });

    const fits = await h.call('POST', path, { body: reservation('side', { gpus: 4, start: at(12), end: at(14) }) });
    expect(fits.status, fits.text).toBe(201);
    const over = await h.call('POST', path, { body: reservation('more', { gpus: 8, start: at(12), end: at(14) }) });
    expect(over.status).toBe(409);
    expect(over.body.detail).toBe('8 × H100-80GB in fra is booked out for Tue 1 Jan 12:00 to Tue 1 Jan 14:00 UTC; it fits from Tue 1 Jan 18:00 to Tue 1 Jan 20:00 UTC');
    expect((await h.call('GET', `${path}/more`)).status).toBe(404);

    const never = await h.call('POST', path, { body: reservation('huge', { gpus: 17, start: at(12), end: at(14) }) });
    expect(never.status).toBe(409);
    expect(never.body.detail).toContain('never fits: the fleet has 16 GPUs that match');

    const whole = await h.call('POST', path, { body: reservation('hosts', { nodes: 1, start: at(11), end: at(12) }) });
    expect(whole.status).toBe(409);
    expect(whole.body.detail).toContain('1 whole H100-80GB node in fra is booked out');
    expect(whole.body.detail).toContain('fits from Tue 1 Jan 18:00');
  });

  it('extends a reservation only while its nodes stay free for the longer window', async () => {
    await mustCreate(h, path, reservation('night', { gpus: 16, start: at(20), end: at(22) }));
    const longer = await h.call('PATCH', `${path}/tuesday`, { body: { spec: { end: at(19) } }, contentType: 'application/merge-patch+json' });
    expect(longer.status, longer.text).toBe(200);
    expect(longer.body.status.booking.nodes).toEqual([{ node: 'fra-1', gpus: 8 }, { node: 'fra-2', gpus: 4 }]);
    const tooLong = await h.call('PATCH', `${path}/tuesday`, { body: { spec: { end: at(21) } }, contentType: 'application/merge-patch+json' });
    expect(tooLong.status).toBe(409);
    expect(tooLong.body.detail).toContain('fits from');
    // Deleting releases the booking: the night may now start earlier.
    expect((await h.call('DELETE', `${path}/tuesday`)).status).toBe(200);
    expect((await h.call('POST', path, { body: reservation('evening', { gpus: 16, start: at(17), end: at(19) }) })).status).toBe(201);
  });

  it.each([
    ['no model with gpus', { gpus: 1, model: undefined, start: at(1), end: at(2) }, 'spec.model'],
    ['both gpus and nodes', { gpus: 1, nodes: 1, start: at(1), end: at(2) }, 'spec.gpus'],
    ['an end before the start', { gpus: 1, start: at(2), end: at(1) }, 'spec.end'],
    ['a window in the past', { gpus: 1, start: '2020-01-01T00:00:00Z', end: '2020-01-01T01:00:00Z' }, 'spec.end'],
    ['a start that is no time', { gpus: 1, start: 'tuesday', end: at(1) }, 'spec.start'],
  ])('names the field of %s', async (_what, spec, field) => {
    const bad = await h.call('POST', path, { body: reservation('bad', spec) });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].field).toBe(field);
  });

  it('applies the project quota to booked GPUs', async () => {
    await mustCreate(h, '/api/v1/projects', project('small', { quota: { gpu: { 'H100-80GB': 4 } } }));
    const over = await h.call('POST', '/api/v1/projects/small/reservations', { body: reservation('big', { gpus: 6, start: at(1), end: at(2) }) });
    expect(over.status).toBe(403);
    expect(over.body.issues[0]).toMatchObject({ field: 'spec.gpus' });
    expect(over.body.detail).toContain('may hold at most 4');
    expect((await h.call('POST', '/api/v1/projects/small/reservations', { body: reservation('fits', { gpus: 4, start: at(1), end: at(2) }) })).status).toBe(201);
  });

  it('lets a workload ask only for a reservation of its own project', async () => {
    const bad = await h.call('POST', `/api/v1/projects/${P}/jobs`, { body: job('j', { reservation: 'nope', resources: { gpu: { count: 1 } } }) });
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0]).toMatchObject({ field: 'spec.reservation', message: 'reservation "nope" does not exist in project "vision"' });
    expect((await h.call('POST', `/api/v1/projects/${P}/jobs`, { body: job('j', { reservation: 'night', resources: { gpu: { count: 1 } } }) })).status).toBe(201);
  });
});
