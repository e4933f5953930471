// The agent provider passes the provider contract: a real server (in memory, short node
// lifecycle limits) and a real `weft agent` process joined to it with a fake GPU inventory,
// running each replica as a process.
import { WeftClient } from '../../src/client/index.js';
import { AGENT_PROVIDER } from '../../src/providers/agent/index.js';
import { runProviderContract, shellReplica } from '../../src/providers/contract/index.js';
import { loadServerConfig } from '../../src/server/config.js';
import { startWeftServer } from '../../src/server/start.js';
import { killReplicas, startAgent, type AgentProc } from '../agent/helpers.js';
import { assertBuilt, interrupt, sandbox } from '../cli/helpers.js';

const NOT_READY_AFTER_MS = 3_000;

runProviderContract({
  provider: AGENT_PROVIDER,
  liveness: 'heartbeat',
  notReadyAfterMs: NOT_READY_AFTER_MS,
  async start() {
    assertBuilt();
    const config = loadServerConfig({
      command: 'server',
      env: {},
      flags: { port: '0', dataDir: 'memory://', logLevel: 'silent', nodeNotReadyAfter: `${NOT_READY_AFTER_MS}ms`, nodeLostAfter: '2s' },
    });
    const server = await startWeftServer(config);
    const client = new WeftClient({ server: server.url, token: server.bootstrapToken! });
    const box = sandbox();
    const node = 'agent-01';
    let agent: AgentProc | undefined = await startAgent(box, server.url, node, (await client.tokens.create({ join: true })).token);
    const stateDir = agent.stateDir;
    return {
      client,
      node,
      replica: shellReplica,
      async restart() {
        await interrupt(agent!.child);
        agent = await startAgent(box, server.url, node); // its saved node credential: no join token
      },
      async silence() {
        await interrupt(agent!.child);
        agent = undefined;
      },
      async close() {
        if (agent) await interrupt(agent.child);
        killReplicas(stateDir); // an agent that stops leaves its replicas running, by design
        await server.stop();
        box.cleanup();
      },
    };
  },
});
