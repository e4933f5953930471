// The sim provider passes the provider contract: a real server (embedded store in a temporary
// directory, so a restart keeps everything) with one simulated node; "restarting what executes
// the replicas" restarts the whole server, which is where they run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeftClient } from '../../src/client/index.js';
import { SIM_DURATION_ANNOTATION, SIM_EXIT_CODE_ANNOTATION } from '../../src/model/sim-annotations.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer, type RunningWeft } from '../../src/server/start.js';
import { runProviderContract } from '../../src/providers/contract/index.js';
import { SIMULATED_LABEL, SIM_PROVIDER } from '../../src/providers/sim/index.js';

runProviderContract({
  provider: SIM_PROVIDER,
  liveness: 'provider',
  notReadyAfterMs: 40_000,
  async start() {
    const dir = mkdtempSync(join(tmpdir(), 'weft-sim-contract-'));
    const config = loadServerConfig({ command: 'server', env: {}, flags: { port: '0', dataDir: dir, logLevel: 'silent' } });
    let server: RunningWeft = await startWeftServer(config);
    const token = server.bootstrapToken!;
    let client = new WeftClient({ server: server.url, token });
    const node = 'sim-01';
    await client.create({
      apiVersion: 'weft/v1',
      kind: 'Node',
      metadata: { name: node, labels: { [SIMULATED_LABEL]: 'true' } },
      spec: { cpu: '64', memory: '512Gi', provider: SIM_PROVIDER, gpus: Array.from({ length: 8 }, (_, i) => ({ index: i, model: 'H100-80GB', uuid: `GPU-sim-${node}-${i}` })) },
    });
    return {
      get client() {
        return client;
      },
      node,
      replica: ({ runsMs, exitCode }) => ({
        annotations: {
          ...(runsMs !== null ? { [SIM_DURATION_ANNOTATION]: `${runsMs}ms` } : {}),
          [SIM_EXIT_CODE_ANNOTATION]: String(exitCode),
        },
        // A Job without a declared duration "runs" for its maxRuntimeSeconds; a long one here.
        ...(runsMs === null ? { spec: { maxRuntimeSeconds: 86_400 } } : {}),
      }),
      async restart() {
        await server.stop();
        server = await startWeftServer(config);
        client = new WeftClient({ server: server.url, token });
      },
      async silence() {
        throw new Error('a simulated node falls silent only with its server');
      },
      async close() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
