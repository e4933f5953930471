// A long queue must not turn into a write storm (issue 22, item 9): the scheduling loop writes a
// waiting workload's "why pending" (and its FailedScheduling Event) only when the reasons change,
// not when its place in the queue or the fleet's counts move. The position is kept in memory
// and put back in by readers (queue-positions.ts).
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { openStore } from '../store/index.js';
import type { Store, WatchEvent } from '../store/types.js';
import { ManualClock } from './clock.js';
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { QueuePositions } from './queue-positions.js';
import type { CycleStats } from './scheduling-loop.js';
import { until } from './testing/live-plane.js';

const P = 'team';
const WAITING = 30;

const job = (name: string): ResourceInput => ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name, project: P }, spec: { replicas: 1, resources: { gpu: { count: 1 } } } });

/** Every change committed after `from`, up to the store's version now. */
async function changesSince(store: Store, from: string): Promise<WatchEvent[]> {
  const upTo = BigInt(await store.currentResourceVersion());
  const out: WatchEvent[] = [];
  if (BigInt(from) >= upTo) return out;
  const ac = new AbortController();
  for await (const ev of store.watch({ resourceVersion: from, signal: ac.signal })) {
    out.push(ev);
    if (BigInt(ev.object.metadata.resourceVersion) >= upTo) ac.abort();
  }
  return out;
}

const label = (e: WatchEvent): string => `${e.object.kind}/${e.object.metadata.name}`;

describe('pending work on a full fleet', () => {
  let store: Store;
  let cp: ControlPlane | undefined;
  afterEach(async () => {
    await cp?.stop();
    await store?.close();
  });

  it('writes nothing per cycle while the fleet is still, and only what moved when a GPU frees up', async () => {
    store = await openStore();
    await store.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    let node = await store.create({
      apiVersion: 'weft/v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { cpu: '64', memory: '512Gi', gpus: Array.from({ length: 4 }, (_, i) => ({ index: i, uuid: `GPU-n1-${i}`, model: 'H100-80GB' })) },
    });
    const positions = new QueuePositions();
    const cycles: CycleStats[] = [];
    cp = startControlPlane({ store, clock: new ManualClock(), cycleIntervalMs: 20, positions, onCycle: (c) => cycles.push(c) });
    await cp.leading;
    for (let i = 0; i < 4; i++) await store.create(job(`run-${i}`));
    await until('the fleet full', async () => ((await store.list('Allocation')).items.length === 4 ? true : undefined));
    for (let i = 0; i < WAITING; i++) await store.create(job(`wait-${String(i).padStart(2, '0')}`));
    const waiting = async (): Promise<Resource[]> => (await store.list('Job', { project: P })).items.filter((j) => j.metadata.name.startsWith('wait-'));
    await until('every waiting job explained', async () => ((await waiting()).every((j) => j.status?.scheduling) ? true : undefined));
    await until('the loop at rest', async () => (cycles.slice(-3).length === 3 && cycles.slice(-3).every((c) => c.quiet) ? true : undefined));

    // Still fleet. Nodes that cannot take a GPU job arrive: each is a full cycle over the whole
    // queue that must write nothing (the reasons stay the same, only counts move).
    const still = await store.currentResourceVersion();
    const fullBefore = cycles.filter((c) => !c.quiet).length;
    for (let i = 0; i < 3; i++) {
      await store.create({ apiVersion: 'weft/v1', kind: 'Node', metadata: { name: `cpu-${i}` }, spec: { cpu: '64', memory: '512Gi' } });
      await until('a full cycle', async () => (cycles.filter((c) => !c.quiet).length > fullBefore + i ? true : undefined));
    }
    // Heartbeats change nothing a cycle decides on: no full cycle at all.
    const beforeBeats = cycles.length;
    for (let beat = 0; beat < 3; beat++) {
      node = await store.update({ ...node, status: { ...node.status, lastHeartbeatTime: new Date(Date.now() + beat).toISOString() } });
    }
    await until('cycles after the heartbeats', async () => (cycles.length > beforeBeats + 5 ? true : undefined));
    expect(cycles.slice(beforeBeats).filter((c) => !c.quiet)).toEqual([]);
    expect((await changesSince(store, still)).map(label)).toEqual(['Node/cpu-0', 'Node/cpu-1', 'Node/cpu-2', 'Node/n1', 'Node/n1', 'Node/n1']);
    // The stored status carries no queue position; the live one is 29 for the last in line.
    const last = (await waiting()).at(-1)!;
    expect(JSON.stringify(last.status?.scheduling)).not.toContain('ahead');
    expect(positions.get(last)).toEqual({ ahead: WAITING - 1 });
    expect(String((positions.present(last).status?.scheduling as { explanation: string }).explanation)).toMatch(new RegExp(`; ${WAITING - 1} gangs ahead$`));

    // One running job ends: the head of the queue is placed. Only that happens in the store —
    // the others' positions move in memory.
    const moved = await store.currentResourceVersion();
    const [alloc] = (await store.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=run-0' })).items;
    await store.update({ ...alloc!, status: { ...alloc!.status, phase: 'Succeeded' } });
    await until('the head placed', async () => ((await store.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=wait-00' })).items.length === 1 ? true : undefined));
    await until('the loop at rest', async () => (cycles.slice(-3).length === 3 && cycles.slice(-3).every((c) => c.quiet) ? true : undefined));
    const written = (await changesSince(store, moved)).map(label);
    expect(written.filter((w) => w.startsWith('Job/') || w.startsWith('Event/'))).toEqual(['Job/wait-00']);
    expect(positions.get(last)).toEqual({ ahead: WAITING - 2 });
  }, 60_000);
});
