// Slurm's accounting (slurmdbd on MariaDB) as the record of jobs Slurm users submit themselves:
// a job that ran and ended while Weft's server was stopped — one Weft had seen start, one it
// never saw — is metered from its real start and end in slurmdbd once the server is back; a
// Weft job that ended meanwhile is not taken for a Slurm user's. And a real `sacct --parsable2`
// export from that slurmdbd replays in `weft sim`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { getUsage } from '../../src/client/usage.js';
import { until } from '../../src/control/testing/until.js';
import type { Resource } from '../../src/model/metadata.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { parseSacct } from '../../src/sim/replay/sacct.js';
import { sandbox } from '../cli/helpers.js';
import { clusterManifest, slurmAbsent, startSlurm, type SlurmCluster } from './daemons.js';
import { leftBehind } from './processes.js';

const absent = slurmAbsent({ accounting: true });
if (absent) console.warn(absent);

const CLUSTER = 'hpc';
const P = 'physics-lab';
const OWN = 'ml';
const SACCT_FIELDS = 'JobID,Account,Partition,Submit,Start,End,NNodes,NCPUS,AllocTRES,Timelimit,State';

describe.skipIf(absent !== undefined)('Slurm accounting (slurmdbd) as the record of jobs submitted straight to Slurm', () => {
  let slurm: SlurmCluster;
  let server: RunningWeft | undefined;
  let client: WeftClient;
  let token: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'weft-slurm-acct-'));
  const startServer = async (): Promise<void> => {
    const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: join(dataDir, 'data'), logLevel: 'silent' } });
    server = await startWeftServer(config);
    token ||= server.bootstrapToken!;
    client = new WeftClient({ server: server.url, token });
  };
  beforeAll(async () => {
    // slurmctld forgets an ended job 2 s after it ends, so only slurmdbd remembers it.
    slurm = await startSlurm({ accounting: true, minJobAge: 2 });
    await startServer();
    for (const name of [P, OWN]) await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name }, spec: {} });
    await client.create(clusterManifest(CLUSTER, slurm, { accounts: [{ account: 'physics', project: P }] }));
  }, 90_000);
  afterAll(async () => {
    await server?.stop();
    await slurm?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const allocations = async (project: string, workload: string): Promise<Resource[]> => (await client.list('Allocation', { project, labelSelector: `weft.dev/workload=${workload}` })).items;
  const sbatch = (args: string[]): number => {
    const r = slurm.run('/usr/bin/sbatch', ['--parsable', '-A', 'physics', '-n', '1', '--mem=100', ...args], 'slurm');
    expect(r.status, r.stderr).toBe(0);
    return Number(r.stdout.trim());
  };
  /** Slurm's own start and end of a job, from sacct (UTC, whole seconds). */
  const sacctTimes = (id: number): { start: string; end: string } => {
    const r = slurm.run('/usr/bin/sacct', ['-n', '-X', '-P', '-j', String(id), '-o', 'Start,End'], undefined, { TZ: 'UTC' });
    const [start, end] = r.stdout.trim().split('|');
    return { start: `${start}.000Z`, end: `${end}.000Z` };
  };

  it('meters jobs that ran and ended while the server was stopped with their real times from slurmdbd', async () => {
    const cluster = await until('the Cluster reading slurmdbd', async () => {
      const c = await client.get('Cluster', CLUSTER);
      return (c.status?.accounting as { source?: string } | undefined)?.source === 'slurmdbd' ? c : undefined;
    });
    expect((cluster.status?.accounting as { message: string }).message).toContain('slurmdbd');
    const box = sandbox();
    try {
      const listed = await box.weft(['get', 'clusters', '-o', 'wide'], { env: { WEFT_SERVER: server!.url, WEFT_TOKEN: token } });
      expect(listed.stdout).toMatch(/ACCOUNTING[\s\S]*\bslurmdbd\b/);
    } finally {
      box.cleanup();
    }

    // One external job Weft sees start, and a Weft job, both still running when the server stops.
    const seen = sbatch(['--gres=gpu:h100:2', '--wrap', 'sleep 6']);
    await until('the sbatch job mirrored', async () => (await allocations(P, `${CLUSTER}-slurm-${seen}`)).find((a) => a.status?.phase === 'Running'));
    await client.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'own', project: OWN }, spec: { replicas: 1, backoffLimit: 0, command: ['sleep', '4'], resources: { cpu: '1', memory: '100Mi', gpu: { count: 1 } } } });
    const own = await until('the Weft job running in Slurm', async () => (await allocations(OWN, 'own')).find((a) => a.status?.phase === 'Running'));
    await server!.stop();
    server = undefined;

    // While Weft is stopped: a job it never sees runs and ends, and every job leaves slurmctld's list.
    const unseen = sbatch(['--gres=gpu:h100:3', '--wrap', 'sleep 3']);
    const ids = [seen, unseen, own.status?.slurmJobId as number];
    await until('every job ended and gone from slurmctld', async () => ids.every((id) => slurm.run('/usr/bin/scontrol', ['show', 'job', String(id)]).status !== 0) || undefined, 60_000);

    await startServer();
    for (const [id, gpus] of [[seen, 2], [unseen, 3]] as const) {
      const done = await until(`job ${id} ended in Weft`, async () => (await allocations(P, `${CLUSTER}-slurm-${id}`)).find((a) => a.status?.phase === 'Succeeded'), 30_000);
      const real = sacctTimes(id);
      expect(done.status?.startedAt).toBe(real.start);
      expect(done.status?.finishedAt).toBe(real.end);
      expect((done.spec as { gpus: unknown[] }).gpus).toHaveLength(gpus);
    }
    const usage = await getUsage(client, { project: P, by: 'project', from: new Date(Date.now() - 3_600_000).toISOString() });
    const seconds = (id: number): number => (Date.parse(sacctTimes(id).end) - Date.parse(sacctTimes(id).start)) / 1000;
    expect(usage.rows.find((r) => r.key === P)?.gpuHours).toBeCloseTo((2 * seconds(seen) + 3 * seconds(unseen)) / 3600, 6);

    // Weft's own job ended by its exit code, and was not mirrored as a Slurm user's.
    await until('the Weft job Succeeded', async () => ((await client.get('Job', 'own', { project: OWN })).status?.phase === 'Succeeded' ? true : undefined));
    const mirrored = (await client.list('Job', { project: P })).items.map((j) => j.metadata.name);
    expect(mirrored.sort()).toEqual([`${CLUSTER}-slurm-${seen}`, `${CLUSTER}-slurm-${unseen}`].sort());
  });

  it('replays a real sacct --parsable2 export of those jobs in weft sim', () => {
    const r = slurm.run('/usr/bin/sacct', ['--allusers', '--parsable2', '--starttime', 'now-1hour', '--endtime', 'now', '--format', SACCT_FIELDS]);
    expect(r.status, r.stderr).toBe(0);
    const { gangs } = parseSacct(r.stdout);
    const external = gangs.filter((g) => g.queue === 'physics');
    expect(external).toHaveLength(2);
    expect(external.map((g) => g.gang.resources.gpu)).toEqual([{ kind: 'whole', count: 2 }, { kind: 'whole', count: 3 }]);
    // run time = End − Start, at least what each job slept
    expect(external[0]!.durationMs).toBeGreaterThanOrEqual(6_000);
    expect(external[1]!.durationMs).toBeGreaterThanOrEqual(3_000);
    // Weft's own job (the "weft" comment is Slurm's, the account the Slurm user's default)
    expect(gangs.some((g) => g.gang.resources.gpu?.kind === 'whole' && g.gang.resources.gpu.count === 1)).toBe(true);
  });

  it('leaves no process of the cluster behind once stopped, though a job was running', async () => {
    sbatch(['--wrap', 'srun sleep 300']);
    await until('its step running', async () => slurm.run('/usr/bin/squeue', ['-h', '-s', '-o', '%i']).stdout.includes('.0') || undefined);
    const conf = slurm.conf;
    await server?.stop();
    server = undefined;
    await slurm.stop();
    expect(leftBehind(conf)).toEqual([]);
  });
});
