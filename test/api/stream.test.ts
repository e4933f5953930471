// Many watches on one stream (GET /api/v1/stream) over real HTTP: each watch delivers what the
// same watch on its own would, narrowed to what the caller may see; a watch that is not allowed,
// or too old, ends alone; malformed requests are refused whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, openSse, project, startHarness, type Harness, type SseStream } from './helpers.js';

let h: Harness;
let member: string;
let node: string;

const streamUrl = (watches: unknown[], summary = false): string =>
  `${h.url}/api/v1/stream?watches=${encodeURIComponent(JSON.stringify(watches))}${summary ? '&summary=true' : ''}`;

async function versionOf(path: string): Promise<string> {
  return (await h.call('GET', path)).body.metadata.resourceVersion as string;
}

/** The frames seen so far, as "watch type project/name" (or "SUMMARY" / "watch ERROR status"). */
function seen(s: SseStream): string[] {
  return s.events.map(({ data: d }) =>
    d.type === 'SUMMARY' ? 'SUMMARY' : d.type === 'ERROR' ? `${d.watch ?? 'summary'} ERROR ${d.object.status}` : `${d.watch} ${d.type} ${d.object.metadata.project ?? ''}/${d.object.metadata.name}`,
  );
}

beforeAll(async () => {
  h = await startHarness();
  for (const p of ['own', 'other']) await mustCreate(h, '/api/v1/projects', project(p));
  member = await h.user('mia', [{ role: 'member', project: 'own' }]);
  const join = await h.call('POST', '/api/v1/tokens', { body: { join: true } });
  const reg = await h.call('POST', '/api/v1/nodes/register', { token: join.body.token, body: { name: 'n1', spec: { cpu: '8', memory: '16Gi' } } });
  node = reg.body.token;
});
afterAll(async () => h?.close());

describe('one stream, many watches', () => {
  it('delivers each watch\'s changes under its id, narrowed like the watch on its own', async () => {
    const rv = await versionOf('/api/v1/jobs');
    const s = await openSse(
      streamUrl([
        { id: 'all-jobs', kind: 'jobs', resourceVersion: rv },
        { id: 'own-labelled', kind: 'Job', project: 'own', labelSelector: 'tier=gold', resourceVersion: rv },
        { id: 'one', kind: 'jobs', project: 'own', fieldSelector: 'metadata.name=b', resourceVersion: rv },
        { id: 'projects', kind: 'projects', resourceVersion: rv },
      ]),
      member,
    );
    expect(s.status).toBe(200);
    await mustCreate(h, '/api/v1/projects/other/jobs', job('secret'));
    await mustCreate(h, '/api/v1/projects/own/jobs', job('a', {}, { tier: 'gold' }));
    await mustCreate(h, '/api/v1/projects/own/jobs', job('b'));
    await h.call('PATCH', '/api/v1/projects/own', { body: { spec: { displayName: 'Own' } } });
    await h.call('PATCH', '/api/v1/projects/other', { body: { spec: { displayName: 'Other' } } });
    await s.waitFor(5);
    await new Promise((r) => setTimeout(r, 300)); // anything that should not come has had time to
    expect(seen(s).sort()).toEqual(['all-jobs ADDED own/a', 'all-jobs ADDED own/b', 'one ADDED own/b', 'own-labelled ADDED own/a', 'projects MODIFIED /own'].sort());
    s.close();
  });

  it('ends a watch the caller may not make with its own 403, and keeps the others', async () => {
    const rv = await versionOf('/api/v1/jobs');
    const s = await openSse(
      streamUrl([
        { id: 'theirs', kind: 'jobs', project: 'other', resourceVersion: rv },
        { id: 'users', kind: 'users', resourceVersion: rv },
        { id: 'mine', kind: 'jobs', project: 'own', resourceVersion: rv },
      ]),
      member,
    );
    await s.waitFor(1);
    await mustCreate(h, '/api/v1/projects/other/jobs', job('hidden'));
    await mustCreate(h, '/api/v1/projects/own/jobs', job('shown'));
    await s.waitFor(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen(s)).toEqual(['theirs ERROR 403', 'mine ADDED own/shown']);
    s.close();
  });

  it('shows a node agent only the allocations bound to it, whatever it asked for', async () => {
    const rv = await versionOf('/api/v1/allocations');
    const s = await openSse(streamUrl([{ id: 'allocs', kind: 'allocations', resourceVersion: rv }]), node);
    expect(s.status).toBe(200);
    const alloc = (name: string, onNode: string) => ({
      kind: 'Allocation',
      metadata: { name, labels: { 'weft.dev/node': onNode } },
      spec: { workload: { kind: 'Job', name: 'x', uid: '00000000-0000-0000-0000-000000000000' }, replica: 0, attempt: 0, node: onNode, gpus: [], cpuMilli: 1000, memoryBytes: 0 },
    });
    await mustCreate(h, '/api/v1/projects/own/allocations', alloc('elsewhere', 'n2'));
    await mustCreate(h, '/api/v1/projects/own/allocations', alloc('here', 'n1'));
    await s.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen(s)).toEqual(['allocs ADDED own/here']);
    s.close();
  });

  it('carries the fleet summary for users, and refuses it to nodes in a frame of its own', async () => {
    const s = await openSse(streamUrl([], true), member);
    await s.waitFor(1);
    expect(s.events[0]!.data).toMatchObject({ type: 'SUMMARY', object: { gpus: expect.any(Array), workloads: expect.any(Array) } });
    // A tenant's summary counts only its own projects' workloads.
    expect(new Set(s.events[0]!.data.object.workloads.map((w: { project: string }) => w.project))).toEqual(new Set(['own']));
    s.close();
    const n = await openSse(streamUrl([], true), node);
    await n.waitFor(1);
    expect(seen(n)).toEqual(['summary ERROR 403']);
    await n.ended;
  });

  it('ends a watch resumed from a compacted version with 410, so the client relists', async () => {
    const old = await mustCreate(h, '/api/v1/projects/own/jobs', job('g1'));
    for (let i = 0; i < 5; i++) await h.call('PATCH', '/api/v1/projects/own/jobs/g1', { body: { metadata: { labels: { i: String(i) } } } });
    await h.store.compact(2);
    const s = await openSse(streamUrl([{ id: 'old', kind: 'jobs', project: 'own', resourceVersion: String(Number(old.metadata.resourceVersion) - 1) }]), h.adminToken);
    await s.waitFor(1);
    expect(seen(s)).toEqual(['old ERROR 410']);
    await s.ended; // nothing left to follow
  });

  it.each([
    ['not JSON', 'watches=%5Bnope', 'watches'],
    ['too many watches', `watches=${encodeURIComponent(JSON.stringify(Array.from({ length: 65 }, (_, i) => ({ id: `w${i}`, kind: 'jobs', resourceVersion: '1' }))))}`, 'watches'],
    ['an unknown kind', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'gizmos', resourceVersion: '1' }]))}`, 'watches[0].kind'],
    ['no resourceVersion', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'jobs' }]))}`, 'watches[0].resourceVersion'],
    ['a repeated id', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'jobs', resourceVersion: '1' }, { id: 'a', kind: 'nodes', resourceVersion: '1' }]))}`, 'watches[1].id'],
    ['a bad label selector', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'jobs', labelSelector: 'a==b==c(', resourceVersion: '1' }]))}`, 'watches[0].labelSelector'],
    ['a bad field selector', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'jobs', fieldSelector: 'spec.queue=x', resourceVersion: '1' }]))}`, 'watches[0].fieldSelector'],
    ['an unknown field', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'jobs', resourceVersion: '1', colour: 'red' }]))}`, 'watches[0].colour'],
    ['a project on a cluster-scoped kind', `watches=${encodeURIComponent(JSON.stringify([{ id: 'a', kind: 'nodes', project: 'own', resourceVersion: '1' }]))}`, 'watches[0].project'],
    ['nothing to stream', '', 'watches'],
  ])('refuses %s with a 400 naming the field', async (_what, query, field) => {
    const r = await h.call('GET', `/api/v1/stream?${query}`);
    expect(r.status, r.text).toBe(400);
    expect(r.body.issues.map((i: { field: string }) => i.field)).toEqual([field]);
  });

  it('carries many watches without warning of a listener leak', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const rv = await versionOf('/api/v1/jobs');
      const s = await openSse(streamUrl(Array.from({ length: 24 }, (_, i) => ({ id: `w${i}`, kind: 'jobs', project: 'own', resourceVersion: rv }))), h.adminToken);
      await mustCreate(h, '/api/v1/projects/own/jobs', job('many'));
      await s.waitFor(24);
      s.close();
      await new Promise((r) => setTimeout(r, 100));
      expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('requires a token', async () => {
    expect((await h.call('GET', `/api/v1/stream?summary=true`, { token: null })).status).toBe(401);
  });
});
