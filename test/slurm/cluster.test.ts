// A real Slurm cluster registered with a real Weft server: its node and GPUs join the fleet as a
// Weft Node; a Weft Job placed there runs as one Slurm job (one task per replica) whose output
// reaches `weft logs`; cancelling from Weft cancels in Slurm; a node failure in Slurm restarts
// the gang by Weft's policy; and slurmrestd going away marks the Cluster unreachable without
// losing anything, until it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { getUsage } from '../../src/client/usage.js';
import { explainManifest } from '../../src/client/explain.js';
import { until } from '../../src/control/testing/until.js';
import { isActiveAllocation } from '../../src/model/allocation-rules.js';
import type { Resource, ResourceInput } from '../../src/model/metadata.js';
import { sandbox, type Sandbox } from '../cli/helpers.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { clusterManifest, slurmAbsent, startSlurm, type SlurmCluster } from './daemons.js';

const absent = slurmAbsent();
if (absent) console.warn(absent);

const CLUSTER = 'hpc';
const P = 'science';
const reachable = (c: Resource): string | undefined =>
  ((c.status?.conditions ?? []) as { type: string; status: string }[]).find((x) => x.type === 'Reachable')?.status;

describe.skipIf(absent !== undefined)('a Slurm cluster registered with Weft', () => {
  let slurm: SlurmCluster;
  let server: RunningWeft;
  let client: WeftClient;
  beforeAll(async () => {
    slurm = await startSlurm();
    const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent' } });
    server = await startWeftServer(config);
    client = new WeftClient({ server: server.url, token: server.bootstrapToken! });
    await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await client.create(clusterManifest(CLUSTER, slurm, { partitions: ['gpu'], accounts: [{ account: 'physics', project: P }] }));
  }, 60_000);
  afterAll(async () => {
    box?.cleanup();
    await server?.stop();
    await slurm?.stop();
  });
  let box: Sandbox | undefined;

  const job = (name: string, spec: Record<string, unknown>): ResourceInput => ({
    apiVersion: 'weft/v1',
    kind: 'Job',
    metadata: { name, project: P },
    spec: { replicas: 1, backoffLimit: 0, resources: { cpu: '1', memory: '256Mi', gpu: { count: 1 } }, ...spec },
  });
  const job5 = (name: string, gpus: number): ResourceInput => job(name, { command: ['true'], resources: { cpu: '1', memory: '256Mi', gpu: { count: gpus } } });
  const phase = async (name: string): Promise<string | undefined> => (await client.get('Job', name, { project: P })).status?.phase as string | undefined;
  const allocations = async (name: string): Promise<Resource[]> =>
    (await client.list('Allocation', { project: P, labelSelector: `weft.dev/workload=${name}` })).items;
  const slurmJob = (id: number): string => slurm.run('/usr/bin/scontrol', ['show', 'job', String(id)]).stdout;

  it('shows the Slurm node as a Weft Node with its GPUs from GRES and its state from Slurm', async () => {
    const node = await until('the Slurm node in Weft', async () => {
      const n = await client.get('Node', `${CLUSTER}-${slurm.node}`).catch(() => undefined);
      return n?.status?.state === 'Ready' ? n : undefined;
    });
    const spec = node.spec as { provider: string; cpu: string; memory: string; gpus: { index: number; model: string }[] };
    expect(spec.provider).toBe('slurm');
    expect(spec.cpu).toBe('16');
    expect(spec.memory).toBe('65536Mi');
    expect(spec.gpus.map((g) => g.model)).toEqual(Array(8).fill('H100-80GB'));
    expect(node.status?.slurmState).toBe('idle');
    expect(node.metadata.labels?.['weft.dev/cluster']).toBe(CLUSTER);
    const cluster = await until('the Cluster reachable', async () => {
      const c = await client.get('Cluster', CLUSTER);
      return reachable(c) === 'True' && c.status?.gpus === 8 ? c : undefined;
    });
    expect(cluster.status?.nodes).toBe(1);
    // No slurmdbd here (slurmrestd serves no slurmdb API): ended jobs are read from slurmctld.
    const accounting = await until('the accounting source', async () => (await client.get('Cluster', CLUSTER)).status?.accounting as { source: string; message: string } | undefined);
    expect(accounting.source).toBe('slurmctld');
    expect(accounting.message).toContain('openapi/dbv0.0.38');
  });

  it('follows a drain in Slurm: the node is Cordoned in Weft, and Ready again when resumed', async () => {
    const name = `${CLUSTER}-${slurm.node}`;
    expect(slurm.run('/usr/bin/scontrol', ['update', `NodeName=${slurm.node}`, 'State=DRAIN', 'Reason=maintenance']).status).toBe(0);
    const drained = await until('the node Cordoned', async () => {
      const n = await client.get('Node', name);
      return n.status?.state === 'Cordoned' ? n : undefined;
    });
    expect(drained.status?.message).toBe('Slurm: maintenance');
    expect(slurm.run('/usr/bin/scontrol', ['update', `NodeName=${slurm.node}`, 'State=RESUME']).status).toBe(0);
    await until('the node Ready again', async () => ((await client.get('Node', name)).status?.state === 'Ready' ? true : undefined));
  });

  it('runs a 2-replica Job as one Slurm job pinned to the node, with torchrun variables, and its logs in weft logs', async () => {
    const cmd = 'echo "rank=$RANK world=$WORLD_SIZE local=$LOCAL_RANK gpus=$CUDA_VISIBLE_DEVICES master=$MASTER_ADDR"';
    await client.create(job('train', { replicas: 2, command: ['sh', '-c', cmd], resources: { cpu: '2', memory: '512Mi', gpu: { count: 2 } } }));
    await until('the job Succeeded', async () => ((await phase('train')) === 'Succeeded' ? true : undefined), 60_000);
    const allocs = await allocations('train');
    expect(allocs.map((a) => a.status?.phase)).toEqual(['Succeeded', 'Succeeded']);
    const ids = new Set(allocs.map((a) => a.status?.slurmJobId));
    expect(ids.size).toBe(1); // the gang is one Slurm job
    const shown = slurmJob([...ids][0] as number);
    expect(shown).toMatch(/NumNodes=1 NumCPUs=4 NumTasks=2 CPUs\/Task=2/);
    expect(shown).toContain(`ReqNodeList=${slurm.node}`);
    expect(shown).toMatch(/TresPerTask=gres:gpu:h100:2/);

    box = sandbox();
    const env = { WEFT_SERVER: server.url, WEFT_TOKEN: server.bootstrapToken! };
    const logs = await Promise.all([0, 1].map((r) => box!.weft(['logs', 'train', '-p', P, '--replica', String(r)], { env })));
    const lines = logs.map((l) => l.stdout.trim());
    expect(lines[0]).toBe('rank=0 world=2 local=0 gpus=0,1 master=127.0.0.1');
    expect(lines[1]).toBe('rank=1 world=2 local=1 gpus=2,3 master=127.0.0.1');
  });

  it('cancels the Slurm job when the Job is cancelled in Weft', async () => {
    await client.create(job('long', { command: ['sleep', '3600'] }));
    const running = await until('running in Slurm', async () => (await allocations('long')).find((a) => a.status?.phase === 'Running'));
    const id = running.status?.slurmJobId as number;
    expect(slurmJob(id)).toContain('JobState=RUNNING');
    await client.patch('Job', 'long', { spec: { suspend: true } }, { project: P });
    await until('the replica Stopped', async () => ((await allocations('long'))[0]?.status?.phase === 'Stopped' ? true : undefined));
    expect(slurmJob(id)).toContain('JobState=CANCELLED');
  });

  it('restarts the gang by Weft\'s policy when its Slurm node fails', async () => {
    await client.create(job('fragile', { command: ['sleep', '3600'], backoffLimit: 1 }));
    const first = await until('running in Slurm', async () => (await allocations('fragile')).find((a) => a.status?.phase === 'Running'));
    expect(slurm.run('/usr/bin/scontrol', ['update', `NodeName=${slurm.node}`, 'State=DOWN', 'Reason=power']).status).toBe(0);
    const lost = await until('the replica Lost', async () => (await allocations('fragile')).find((a) => a.metadata.name === first.metadata.name && a.status?.phase === 'Lost'));
    expect(lost.status?.message).toContain('NODE_FAIL');
    // Back in service (ReturnToService=2 may already have done it when slurmd registered again).
    slurm.run('/usr/bin/scontrol', ['update', `NodeName=${slurm.node}`, 'State=RESUME']);
    const again = await until('attempt 1 running', async () => (await allocations('fragile')).find((a) => (a.spec as { attempt: number }).attempt === 1 && a.status?.phase === 'Running'), 60_000);
    expect(again.status?.slurmJobId).not.toBe(first.status?.slurmJobId);
    await client.delete('Job', 'fragile', { project: P });
    // Its GPU is free again before the next test counts the node's free GPUs.
    await until('the deleted gang ended', async () => ((await allocations('fragile')).some(isActiveAllocation) ? undefined : true), 60_000);
  });

  it('shows a job submitted with sbatch as read-only external usage in the project of its account, and meters it', async () => {
    const sub = slurm.run('/usr/bin/sbatch', ['--parsable', '-A', 'physics', '-n', '1', '--mem=100', '--gres=gpu:h100:3', '--wrap', 'sleep 5'], 'slurm');
    expect(sub.status, sub.stderr).toBe(0);
    const id = Number(sub.stdout.trim());
    const name = `${CLUSTER}-slurm-${id}`;
    const mirrored = await until('the sbatch job in Weft', async () => (await allocations(name)).find((a) => a.status?.phase === 'Running'));
    expect(mirrored.spec).toMatchObject({ node: `${CLUSTER}-${slurm.node}`, provider: 'slurm' });
    expect((mirrored.spec as { gpus: unknown[] }).gpus).toHaveLength(3);
    const job = await client.get('Job', name, { project: P });
    expect(job.metadata.labels?.['weft.dev/external']).toBe('slurm');
    // Read-only in Weft: it changes in Slurm.
    const refused = await client.patch('Job', name, { spec: { suspend: true } }, { project: P }).catch((e: unknown) => e as { status?: number; message: string });
    expect((refused as { status?: number }).status).toBe(409);
    expect((refused as Error).message).toContain(`slurm job ${id}`);
    // What-if sees the GPUs Slurm's own job holds: 5 of the 8 fit now, 6 do not.
    const fits = await explainManifest(client, job5('what-if-5', 5));
    expect(fits.outcome, JSON.stringify(fits)).toBe('now');
    expect(fits.placements[0]?.node).toBe(`${CLUSTER}-${slurm.node}`);
    expect((await explainManifest(client, job5('what-if-6', 6))).outcome).not.toBe('now');

    const done = await until('the sbatch job ended', async () => (await allocations(name)).find((a) => a.status?.phase === 'Succeeded'), 60_000);
    const seconds = (Date.parse(String(done.status?.finishedAt)) - Date.parse(String(done.status?.startedAt))) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(5);
    expect(slurmJob(id)).toContain(`StartTime=${new Date(Date.parse(String(done.status?.startedAt))).toISOString().slice(0, 19)}`);
    const usage = await getUsage(client, { project: P, by: 'project', from: new Date(Date.now() - 3_600_000).toISOString() });
    const row = usage.rows.find((r) => r.key === P)!;
    // Its 3 GPUs for its Slurm run time (and the other jobs of this file before it).
    expect(row.gpuHours).toBeGreaterThanOrEqual((3 * seconds) / 3600);
  });

  it('marks the Cluster unreachable while slurmrestd is down, keeps its node, and recovers', async () => {
    const name = `${CLUSTER}-${slurm.node}`;
    await slurm.stopRest();
    const down = await until('the Cluster unreachable', async () => {
      const c = await client.get('Cluster', CLUSTER);
      return reachable(c) === 'False' ? c : undefined;
    });
    const condition = (down.status?.conditions as { type: string; reason: string; message: string }[]).find((c) => c.type === 'Reachable')!;
    expect(condition.reason).toBe('Unreachable');
    expect(condition.message).toContain(slurm.endpoint);
    const node = await client.get('Node', name);
    expect(node.status?.state).toBe('Ready'); // nothing is known to have changed in Slurm
    expect(down.status?.gpus).toBe(8);
    await slurm.startRest();
    await until('the Cluster reachable again', async () => (reachable(await client.get('Cluster', CLUSTER)) === 'True' ? true : undefined));
  });

  it('refuses a Cluster with a bad field, naming it', async () => {
    const err = await client
      .create({ apiVersion: 'weft/v1', kind: 'Cluster', metadata: { name: 'bad' }, spec: { provider: 'slurm', endpoint: 'ftp://x', auth: { type: 'local' } } })
      .catch((e: unknown) => e as { status?: number; message: string });
    expect((err as { status?: number }).status).toBe(422);
    expect((err as Error).message).toContain('endpoint');
  });
});
