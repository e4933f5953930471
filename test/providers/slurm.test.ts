// The Slurm provider passes the provider contract: a real server (in memory) with a real
// one-node Slurm cluster registered (test/slurm/daemons.ts), each replica a task of a Slurm job
// submitted through slurmrestd. Skipped, saying why, where Slurm is not installed.
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { until } from '../../src/control/testing/until.js';
import { runProviderContract, shellReplica } from '../../src/providers/contract/index.js';
import { SLURM_PROVIDER } from '../../src/providers/slurm/index.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer } from '../../src/server/start.js';
import { clusterManifest, slurmAbsent, startSlurm } from '../slurm/daemons.js';

const NOT_READY_AFTER_MS = 40_000;
const absent = slurmAbsent();

if (absent) {
  describe('provider contract: slurm', () => it.skip(absent, () => undefined));
} else {
  runProviderContract({
    provider: SLURM_PROVIDER,
    liveness: 'provider',
    notReadyAfterMs: NOT_READY_AFTER_MS,
    async start() {
      const slurm = await startSlurm();
      const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: 'memory://', logLevel: 'silent' } });
      const server = await startWeftServer(config);
      const client = new WeftClient({ server: server.url, token: server.bootstrapToken! });
      // Its JWT from a Secret (the other Slurm tests read it from a file).
      await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: 'slurm-ops' }, spec: {} });
      await client.create({ apiVersion: 'weft/v1', kind: 'Secret', metadata: { name: 'slurm-jwt', project: 'slurm-ops' }, spec: { data: { token: readFileSync(slurm.tokenFile, 'utf8') } } });
      await client.create(clusterManifest('contract', slurm, { auth: { type: 'jwt', user: slurm.user, secretRef: { project: 'slurm-ops', name: 'slurm-jwt', key: 'token' } } }));
      const node = `contract-${slurm.node}`;
      await until('the Slurm node in Weft', async () => ((await client.get('Node', node).catch(() => undefined))?.status?.state === 'Ready' ? true : undefined));
      return {
        client,
        node,
        replica: shellReplica,
        async restart() {
          // Restarting slurmd while it launches a job's tasks fails that launch (Slurm's own
          // race, not Weft's): restart once every running job's tasks run.
          await until('every running job past its task launch', async () => {
            const jobs = slurm.run('/usr/bin/squeue', ['-h', '-t', 'R', '-o', '%i']).stdout.split('\n').filter(Boolean);
            const steps = slurm.run('/usr/bin/squeue', ['-h', '-s', '-o', '%i']).stdout;
            return jobs.every((j) => steps.includes(`${j}.0`)) || undefined;
          });
          await slurm.restartDaemons();
        },
        silence: () => Promise.reject(new Error('a Slurm node is witnessed by slurmrestd, not by a heartbeat of its own')),
        async close() {
          await server.stop();
          await slurm.stop();
        },
      };
    },
  });
}
