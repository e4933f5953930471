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
