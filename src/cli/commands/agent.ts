// `weft agent`: runs the node agent on this host until Ctrl-C. Stopping it leaves the replicas
// it started running; starting it again with the same --state-dir adopts them.
import { Command } from 'commander';
import { startAgent } from '../../agent/agent.js';
import { parseDurationSeconds } from '../duration.js';
import { CliError } from '../errors.js';

interface AgentCliOptions {
  server?: string;
  token?: string;
  replace?: boolean;
  name?: string;
  stateDir?: string;
  fakeGpus?: string;
  address?: string;
  heartbeatInterval: string;
  maxLogBytes: string;
  podmanSocket?: string;
  volumeRoot: string[];
  leaseAccountsRoot?: string;
  leaseCleanup?: string;
}

function parseMs(text: string, option: string): number {
  const ms = /^(\d+)ms$/.exec(text.trim());
  if (ms) return Number(ms[1]);
  try {
    return parseDurationSeconds(text) * 1000;
  } catch {
    throw new CliError(`${option}: "${text}" is not a duration (e.g. 500ms, 10s, 1m)`, 2);
  }
}

export function agentCommand(): Command {
  return new Command('agent')
    .description('run the node agent: register this host, run the replicas bound to it (Ctrl-C stops the agent, not the replicas)')
    .option('--server <url>', 'control plane URL (env: WEFT_SERVER)')
    .option('--token <token>', 'one-time join token from `weft token create --join` (env: WEFT_JOIN_TOKEN); not needed once the state dir holds a node credential')
    .option('--replace', 'with a cluster admin\'s token as --token: take over an existing Node of this name (its old credential is revoked)')
    .option('--name <name>', 'node name (default: the host name)')
    .option('--state-dir <dir>', 'node credential and replica records (default: .weft-agent/<name>)')
    .option('--fake-gpus <spec>', 'declare GPUs this host does not have, e.g. 8xH100-80GB (for tests; marked fake)')
    .option('--address <host>', 'address other replicas reach this host on', '127.0.0.1')
    .option('--heartbeat-interval <dur>', 'how often to report to the server', '10s')
    .option('--podman-socket <path>', "Podman's API socket for container replicas (env: WEFT_PODMAN_SOCKET; default /run/podman/podman.sock when it answers, else the agent runs podman's service itself)")
    .option('--volume-root <dir>', 'a host directory under which container replicas may mount Volumes (repeatable; none: no Volume is mounted here)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--lease-accounts-root <dir>', 'leases: make each user\'s account as DIR/USER/.ssh/authorized_keys instead of a real user (useradd)')
    .option('--lease-cleanup <command>', 'leases: shell command run when a lease ends (wipe scratch, reset GPUs, check GPU health); exit 0 = healthy, else the node stays cordoned with its last line of output')
    .option('--max-log-bytes <n>', 'output kept per replica and stream; beyond it a marker and nothing more', String(8 * 1024 * 1024))
    .action(async (opts: AgentCliOptions) => {
      const server = opts.server ?? process.env.WEFT_SERVER;
      if (!server) throw new CliError('--server is required (or set WEFT_SERVER)', 2);
      const maxLogBytes = Number(opts.maxLogBytes);
      if (!Number.isInteger(maxLogBytes) || maxLogBytes < 1024) throw new CliError(`--max-log-bytes: "${opts.maxLogBytes}" must be an integer ≥ 1024`, 2);
      const agent = await startAgent({
        server,
        token: opts.token ?? process.env.WEFT_JOIN_TOKEN,
        replace: opts.replace === true,
        name: opts.name,
        stateDir: opts.stateDir,
        fakeGpus: opts.fakeGpus,
        address: opts.address,
        heartbeatMs: parseMs(opts.heartbeatInterval, '--heartbeat-interval'),
        maxLogBytes,
        podmanSocket: opts.podmanSocket ?? process.env.WEFT_PODMAN_SOCKET,
        volumeRoots: opts.volumeRoot,
        lease: { ...(opts.leaseAccountsRoot ? { accountsRoot: opts.leaseAccountsRoot } : {}), ...(opts.leaseCleanup ? { cleanupHook: opts.leaseCleanup } : {}) },
      });
      console.log(`Weft agent running as node ${agent.name} (state in ${agent.stateDir}); Ctrl-C stops the agent, replicas keep running.`);
      await new Promise<void>((done) => {
        const stop = (): void => {
          void agent.stop().then(done, done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        void agent.done.then(done, done);
      });
    });
}
