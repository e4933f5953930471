// Watch over Server-Sent Events: initial snapshot, live changes, resume from a resourceVersion,
// 410 for a compacted version, keep-alives, and resume across a server restart.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, mustCreate, openSse, project, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ watchHeartbeatMs: 200 });
  await mustCreate(h, '/api/v1/projects', project('w'));
});
afterAll(async () => h?.close());

const summary = (evs: { data: any }[]) => evs.map((e) => `${e.data.type} ${e.data.object.metadata.name}`);
/** A list reply's resourceVersion: a watch from it sees exactly the later changes. */
const listVersion = (r: { body: any }): string => r.body.metadata.resourceVersion;

describe('watch', () => {
  it('sends the current objects, then every change with its resourceVersion as id', async () => {
    await mustCreate(h, '/api/v1/projects/w/jobs', job('a'));
    await mustCreate(h, '/api/v1/projects/w/jobs', job('b'));
    const s = await openSse(`${h.url}/api/v1/projects/w/jobs?watch=true`, h.adminToken);
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toContain('text/event-stream');
    const initial = await s.waitFor(2);
    expect(summary(initial).sort()).toEqual(['ADDED a', 'ADDED b']);
    expect(initial[0]!.id).toBeUndefined();
    expect(initial[1]!.id).toBe(s.headers.get('x-resource-version'));

    const c = await mustCreate(h, '/api/v1/projects/w/jobs', job('c'));
    const m = await h.call('PATCH', '/api/v1/projects/w/jobs/a', { body: { metadata: { labels: { x: 'y' } } } });
    const d = await h.call('DELETE', '/api/v1/projects/w/jobs/b');
    const evs = (await s.waitFor(5)).slice(2);
    expect(summary(evs)).toEqual(['ADDED c', 'MODIFIED a', 'DELETED b']);
    expect(evs.map((e) => e.id)).toEqual([c.metadata.resourceVersion, m.body.metadata.resourceVersion, d.body.metadata.resourceVersion ?? evs[2]!.id]);
    expect(evs[1]!.data.object.metadata.labels).toEqual({ x: 'y' });
    s.close();
  });

  it('resumes after a resourceVersion with exactly the later changes, honouring the label selector', async () => {
    const first = await mustCreate(h, '/api/v1/projects/w/jobs', job('r1', {}, { team: 'x' }));
    await mustCreate(h, '/api/v1/projects/w/jobs', job('r2', {}, { team: 'y' }));
    await mustCreate(h, '/api/v1/projects/w/jobs', job('r3', {}, { team: 'x' }));
    const s = await openSse(`${h.url}/api/v1/projects/w/jobs?watch=true&labelSelector=team%3Dx&resourceVersion=${first.metadata.resourceVersion}`, h.adminToken);
    expect(summary(await s.waitFor(1))).toEqual(['ADDED r3']);
    await mustCreate(h, '/api/v1/projects/w/jobs', job('r4', {}, { team: 'x' }));
    expect(summary(await s.waitFor(2))).toEqual(['ADDED r3', 'ADDED r4']);
    s.close();

    // Last-Event-ID, as a browser's EventSource sends on reconnect, works the same way.
    const again = await openSse(`${h.url}/api/v1/projects/w/jobs?watch=true&labelSelector=team%3Dx`, h.adminToken, { 'last-event-id': first.metadata.resourceVersion });
    expect(summary(await again.waitFor(2))).toEqual(['ADDED r3', 'ADDED r4']);
    again.close();
  });

  it('narrows to one object with fieldSelector=metadata.name: its snapshot, then only its changes', async () => {
    await mustCreate(h, '/api/v1/projects/w/jobs', job('fw-a'));
    await mustCreate(h, '/api/v1/projects/w/jobs', job('fw-b'));
    const sel = `fieldSelector=${encodeURIComponent('metadata.name=fw-a')}`;
    // The name must reach the store's list and watch, not only the filter in front of the stream:
    // following one Job must not read and discard every other Job's changes.
    const asked: string[] = [];
    const { list, watch } = h.store;
    h.store.list = (kind, o) => (asked.push(`list ${o?.name}`), list.call(h.store, kind, o));
    h.store.watch = (o) => (asked.push(`watch ${o.name}`), watch.call(h.store, o));
    let s: Awaited<ReturnType<typeof openSse>>;
    try {
      s = await openSse(`${h.url}/api/v1/projects/w/jobs?watch=true&${sel}`, h.adminToken);
    } finally {
      h.store.list = list;
      h.store.watch = watch;
    }
    expect(asked).toEqual(['list fw-a', 'watch fw-a']);
    try {
      expect(s.status).toBe(200);
      const initial = await s.waitFor(1);
      expect(summary(initial)).toEqual(['ADDED fw-a']);
      expect(initial[0]!.id).toBe(s.headers.get('x-resource-version'));
      await h.call('PATCH', '/api/v1/projects/w/jobs/fw-b', { body: { metadata: { labels: { x: 'y' } } } });
      await mustCreate(h, '/api/v1/projects/w/jobs', job('fw-a-2'));
      const m = await h.call('PATCH', '/api/v1/projects/w/jobs/fw-a', { body: { metadata: { labels: { x: 'z' } } } });
      await h.call('DELETE', '/api/v1/projects/w/jobs/fw-b');
      const d = await h.call('DELETE', '/api/v1/projects/w/jobs/fw-a');
      // Recreated last: once it arrives, every sibling change above has had its chance to leak.
      const again = await mustCreate(h, '/api/v1/projects/w/jobs', job('fw-a'));
      const evs = await s.waitFor(4);
      expect(summary(evs)).toEqual(['ADDED fw-a', 'MODIFIED fw-a', 'DELETED fw-a', 'ADDED fw-a']);
      expect(evs.slice(1).map((e) => e.id)).toEqual([m.body.metadata.resourceVersion, d.body.metadata.resourceVersion, again.metadata.resourceVersion]);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.events).toHaveLength(4);
    } finally {
      s.close();
    }

    // Resuming from a version reads the missed changes for that name only.
    const from = listVersion(await h.call('GET', `/api/v1/projects/w/jobs?${sel}`));
    await h.call('PATCH', '/api/v1/projects/w/jobs/fw-a-2', { body: { metadata: { labels: { x: 'y' } } } });
    await h.call('PATCH', '/api/v1/projects/w/jobs/fw-a', { body: { metadata: { labels: { x: 'again' } } } });
    await h.call('DELETE', '/api/v1/projects/w/jobs/fw-a-2');
    await h.call('DELETE', '/api/v1/projects/w/jobs/fw-a');
    const resumed = await openSse(`${h.url}/api/v1/projects/w/jobs?watch=true&${sel}&resourceVersion=${from}`, h.adminToken);
    try {
      expect(summary(await resumed.waitFor(2))).toEqual(['MODIFIED fw-a', 'DELETED fw-a']);
      await new Promise((r) => setTimeout(r, 100));
      expect(resumed.events).toHaveLength(2);
    } finally {
      resumed.close();
    }
  });

  it('a cross-project watch by name shows a tenant only its own project\'s object of that name', async () => {
    for (const p of ['fw-mine', 'fw-theirs']) {
      await mustCreate(h, '/api/v1/projects', project(p));
      await mustCreate(h, `/api/v1/projects/${p}/jobs`, job('fw-same'));
    }
    const token = await h.user('fw-viewer', [{ role: 'viewer', project: 'fw-mine' }]);
    const s = await openSse(`${h.url}/api/v1/jobs?watch=true&fieldSelector=${encodeURIComponent('metadata.name=fw-same')}`, token);
    try {
      expect(s.status).toBe(200);
      await h.call('PATCH', '/api/v1/projects/fw-theirs/jobs/fw-same', { body: { metadata: { labels: { x: '1' } } } });
      await h.call('PATCH', '/api/v1/projects/fw-mine/jobs/fw-same', { body: { metadata: { labels: { x: '2' } } } });
      await h.call('DELETE', '/api/v1/projects/fw-theirs/jobs/fw-same');
      await h.call('DELETE', '/api/v1/projects/fw-mine/jobs/fw-same');
      const evs = await s.waitFor(3);
      expect(evs.map((e) => `${e.data.type} ${e.data.object.metadata.project}/${e.data.object.metadata.name}`)).toEqual([
        'ADDED fw-mine/fw-same',
        'MODIFIED fw-mine/fw-same',
        'DELETED fw-mine/fw-same',
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(s.events).toHaveLength(3);
    } finally {
      s.close();
    }
  });

  it('sends keep-alive comments on a quiet stream', async () => {
    const rv = (await h.call('GET', '/api/v1/sites')).body.metadata.resourceVersion;
    const s = await openSse(`${h.url}/api/v1/sites?watch=true&resourceVersion=${rv}`, h.adminToken);
    await new Promise((r) => setTimeout(r, 700));
    expect(s.comments.length).toBeGreaterThan(0);
    expect(s.events).toHaveLength(0);
    s.close();
  });

  it('answers 410 Gone for a compacted resourceVersion', async () => {
    const old = await mustCreate(h, '/api/v1/projects/w/jobs', job('g1'));
    for (let i = 0; i < 5; i++) await h.call('PATCH', '/api/v1/projects/w/jobs/g1', { body: { metadata: { labels: { i: String(i) } } } });
    await h.store.compact(2);
    const r = await h.call('GET', `/api/v1/projects/w/jobs?watch=true&resourceVersion=${Number(old.metadata.resourceVersion) - 1}`);
    expect(r.status).toBe(410);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body.code).toBe('Gone');
  });

  it('ends open streams when the server closes', async () => {
    const other = await startHarness();
    const s = await openSse(`${other.url}/api/v1/jobs?watch=true`, other.adminToken);
    await other.close();
    await s.ended;
  });
});

describe('watch resume across a restart', () => {
  it('a second server on the same data directory delivers exactly the changes after the remembered version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-watch-'));
    try {
      const a = await startHarness({ dataDir: dir });
      await mustCreate(a, '/api/v1/projects', project('rs'));
      await mustCreate(a, '/api/v1/projects/rs/jobs', job('before'));
      const s = await openSse(`${a.url}/api/v1/projects/rs/jobs?watch=true`, a.adminToken);
      const seen = await s.waitFor(1);
      const remembered = seen[0]!.id!;
      s.close();
      await mustCreate(a, '/api/v1/projects/rs/jobs', job('while-away-1'));
      await a.call('PATCH', '/api/v1/projects/rs/jobs/before', { body: { metadata: { labels: { v: '2' } } } });
      await a.close();

      const b = await startHarness({ dataDir: dir });
      const resumed = await openSse(`${b.url}/api/v1/projects/rs/jobs?watch=true&resourceVersion=${remembered}`, b.adminToken);
      expect(summary(await resumed.waitFor(2))).toEqual(['ADDED while-away-1', 'MODIFIED before']);
      await mustCreate(b, '/api/v1/projects/rs/jobs', job('after'));
      expect(summary(await resumed.waitFor(3))).toEqual(['ADDED while-away-1', 'MODIFIED before', 'ADDED after']);
      await new Promise((r) => setTimeout(r, 300));
      expect(resumed.events).toHaveLength(3);
      resumed.close();
      await b.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
