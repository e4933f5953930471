// A real Slurm cluster registered with a real Weft server: its node and GPUs join the fleet as a
// Weft Node, and slurmrestd going away marks the Cluster unreachable without losing anything,
// until it returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { until } from '../../src/control/testing/until.js';
import type { Resource } from '../../src/model/metadata.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { slurmAbsent, startSlurm, type SlurmCluster } from './daemons.js';

const absent = slurmAbsent();
if (absent) console.warn(absent);

const CLUSTER = 'hpc';
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
    await client.create({
      apiVersion: 'weft/v1',
      kind: 'Cluster',
      metadata: { name: CLUSTER },
      spec: { provider: 'slurm', endpoint: slurm.endpoint, auth: { type: 'jwt', user: slurm.user, tokenFile: slurm.tokenFile }, partitions: ['gpu'], pollSeconds: 0.3 },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await slurm?.stop();
  });

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
