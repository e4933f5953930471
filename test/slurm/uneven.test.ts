// An uneven gang on Slurm: a node with 4 H100s and 4 A100s, a 2-replica Job asking for 3 GPUs
// each. The 6 GPUs cannot all be H100s, so the replicas get different GPUs; submitted with
// replica 0's request for both tasks, Slurm would be asked for 6 H100s and refuse. Each replica
// must run with its own GPUs, and its own rank.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { until } from '../../src/control/testing/until.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { sandbox, type Sandbox } from '../cli/helpers.js';
import { clusterManifest, slurmAbsent, startSlurm, type SlurmCluster } from './daemons.js';

const absent = slurmAbsent();
if (absent) console.warn(absent);

const P = 'mixed';

describe.skipIf(absent !== undefined)('a gang whose replicas get different GPUs on a Slurm node', () => {
  let slurm: SlurmCluster;
  let server: RunningWeft;
  let client: WeftClient;
  let box: Sandbox | undefined;
  beforeAll(async () => {
    slurm = await startSlurm({ gpus: [{ type: 'h100', count: 4 }, { type: 'a100', count: 4 }] });
    const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent' } });
    server = await startWeftServer(config);
    client = new WeftClient({ server: server.url, token: server.bootstrapToken! });
    await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await client.create(clusterManifest('hpc', slurm));
    await until('the Slurm node in Weft', async () => ((await client.get('Node', `hpc-${slurm.node}`).catch(() => undefined))?.status?.state === 'Ready' ? true : undefined));
  }, 60_000);
  afterAll(async () => {
    box?.cleanup();
    await server?.stop();
    await slurm?.stop();
  });

  it('runs each replica as its own step with its own GPUs and rank', async () => {
    const cmd = 'echo "rank=$RANK local=$LOCAL_RANK world=$WORLD_SIZE gpus=$CUDA_VISIBLE_DEVICES"';
    await client.create({
      apiVersion: 'weft/v1',
      kind: 'Job',
      metadata: { name: 'uneven', project: P },
      spec: { replicas: 2, backoffLimit: 0, command: ['sh', '-c', cmd], resources: { cpu: '1', memory: '256Mi', gpu: { count: 3 } } },
    });
    await until('the job ended', async () => {
      const phase = (await client.get('Job', 'uneven', { project: P })).status?.phase as string | undefined;
      return phase === 'Succeeded' || phase === 'Failed' ? phase : undefined;
    }, 60_000).then((phase) => expect(phase).toBe('Succeeded'));
    const allocs = (await client.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=uneven' })).items.sort((a, b) => (a.spec as { replica: number }).replica - (b.spec as { replica: number }).replica);
    const count = (a: (typeof allocs)[number], model: string): number => (a.spec as { gpus: { model: string }[] }).gpus.filter((g) => g.model === model).length;
    const h100s = allocs.map((a) => count(a, 'H100-80GB'));
    const a100s = allocs.map((a) => count(a, 'A100'));
    // The gang is uneven: its replicas hold different GPU models.
    expect(h100s[0]).not.toBe(h100s[1]);
    const shown = slurm.run('/usr/bin/scontrol', ['show', 'job', String(allocs[0]!.status?.slurmJobId)]).stdout;
    expect(shown).toContain(`TresPerNode=gres:gpu:a100:${a100s[0]! + a100s[1]!},gres:gpu:h100:${h100s[0]! + h100s[1]!}`);

    box = sandbox();
    const env = { WEFT_SERVER: server.url, WEFT_TOKEN: server.bootstrapToken! };
    const seen: number[] = [];
    for (const [replica, a] of allocs.entries()) {
      const out = (await box.weft(['logs', 'uneven', '-p', P, '--replica', String(replica)], { env })).stdout.trim();
      const m = /^rank=(\d) local=(\d) world=2 gpus=([\d,]+)$/.exec(out);
      expect(m, out).not.toBeNull();
      expect(Number(m![1])).toBe(replica);
      expect(Number(m![2])).toBe(replica);
      // Slurm's indices of the replica's own GPUs: H100s are 0-3 and A100s 4-7 on this node.
      const visible = m![3]!.split(',').map(Number);
      expect(visible.filter((i) => i < 4)).toHaveLength(count(a, 'H100-80GB'));
      expect(visible.filter((i) => i >= 4)).toHaveLength(count(a, 'A100'));
      seen.push(...visible);
    }
    expect(new Set(seen).size).toBe(6); // no GPU given to both
  });
});
