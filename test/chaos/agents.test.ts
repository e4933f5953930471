// Chaos: node agents that die or freeze. Two real `weft agent` processes (8 fake GPUs each) run
// Jobs of 4 GPUs whose replicas take 3 s to stop after SIGTERM, as a training job saving a
// checkpoint would; two more Jobs wait for room. One agent is killed with SIGKILL (then started
// again), or frozen with SIGSTOP past the NotReady and Lost deadlines (then SIGCONT). Its
// replicas keep running meanwhile; their allocations are declared Lost and the work goes
// elsewhere or waits. Besides the API's view (active allocations never overlap), the run samples
// which processes really use which GPU: no GPU may be used by two allocations' processes at once.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../cli/helpers.js';
import { killHard, killReplicas, startAgent, type AgentProc } from '../agent/helpers.js';
import { watchGpuProcesses } from './gpu-processes.js';
import { LONG, scale } from './report.js';
import { ChaosRun } from './run.js';
import { ChaosServer, sandboxes, sleep } from './servers.js';

const ROUNDS = scale(1, 4);
const P = 'agents';
/** Runs until stopped; on SIGTERM it takes 3 s to finish (a checkpoint), then exits 0. */
const SLOW_STOP = "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 3000)); setInterval(() => {}, 1000);";

const sandbox = sandboxes();
const agents: AgentProc[] = [];
/** Ends every agent started so far and the replicas they left running. */
async function killAgents(): Promise<void> {
  for (const a of agents.splice(0)) {
    if (a.child.signalCode === null && a.child.exitCode === null) a.child.kill('SIGCONT');
    await killHard(a.child);
    killReplicas(a.stateDir);
  }
}
afterAll(killAgents, 60_000);

async function phaseOf(server: ChaosServer, node: string): Promise<string | undefined> {
  const r = await server.call('GET', `/api/v1/nodes/${node}`);
  return r.status === 200 ? (r.body.status?.state as string | undefined) : undefined;
}

async function untilNode(server: ChaosServer, node: string, state: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await phaseOf(server, node).catch(() => undefined)) === state) return performance.now() - t0;
    await sleep(100);
  }
  throw new Error(`node ${node} not ${state} within ${timeoutMs} ms`);
}

async function setUp(prefix: string): Promise<{ server: ChaosServer; box: Sandbox; a1: AgentProc; a2: AgentProc; run: ChaosRun }> {
  const box = sandbox();
  const server = new ChaosServer(box, { dataDir: join(box.dir, 'data') }, '', ['--node-not-ready-after', '2s', '--node-lost-after', '2s']);
  await server.start();
  await server.readyAfterMs();
  await server.call('POST', '/api/v1/projects', { kind: 'Project', metadata: { name: P }, spec: {} });
  const started: AgentProc[] = [];
  // Node names of its own per run: fake GPU ids derive from them, and the process sampler must
  // not mistake another run's replicas for this one's.
  for (const name of [`${prefix}-a1`, `${prefix}-a2`]) {
    const join = await server.call('POST', '/api/v1/tokens', { join: true });
    started.push(await startAgent(box, server.url, name, join.body.token as string));
  }
  agents.push(...started);
  for (const a of started) await untilNode(server, a.name, 'Ready', 30_000);
  const run = new ChaosRun(() => server);
  const deadline = performance.now() + 60_000;
  for (let i = 0; i < 6; i++) {
    await run.ledger.create(() => server, `/api/v1/projects/${P}/jobs`, {
      kind: 'Job',
      metadata: { name: `train-${i}` },
      spec: { resources: { cpu: '100m', memory: '64Mi', gpu: { count: 4 } }, command: ['node', '-e', SLOW_STOP], backoffLimit: 100 },
    } as { metadata: { name: string } }, deadline);
  }
  return { server, box, a1: started[0]!, a2: started[1]!, run };
}

/** Ends the run: the agents go (with their replicas), then the verdict, physical doubles included. */
async function finish(scenario: string, server: ChaosServer, run: ChaosRun, faults: number, physical: string[], readyMs: number): Promise<void> {
  await run.sample();
  for (const d of physical) run.doubleBooked.add(d);
  await killAgents();
  await run.verdict({ scenario, engine: 'pglite', faults, timeToReadyMs: readyMs });
  await server.stop();
}

describe('chaos: node agents', () => {
  // npm test runs the freeze (the harder case: the agent comes back with its old state); npm run chaos both.
  it.skipIf(!LONG)(`agent kill -9 (${ROUNDS}x): its work is declared Lost, no GPU runs two allocations at once`, { timeout: scale(300_000, 600_000) }, async () => {
    const { server, box, a1, a2, run } = await setUp('killed');
    const physical = watchGpuProcesses(new Set([a1.name, a2.name]));
    let ready = 0;
    // The live process of each node: the victims alternate, and a restarted agent replaces its node's.
    const current = new Map([a1, a2].map((a) => [a.name, a]));
    for (let k = 0; k < ROUNDS; k++) {
      const victim = current.get(k % 2 === 0 ? a1.name : a2.name)!;
      await sleep(3000);
      await killHard(victim.child);
      await untilNode(server, victim.name, 'NotReady', 30_000);
      await sleep(3000); // past --node-lost-after: its allocations are Lost
      await run.sample();
      const restarted = await startAgent(box, server.url, victim.name);
      agents.push(restarted);
      current.set(victim.name, restarted);
      ready = Math.max(ready, await untilNode(server, victim.name, 'Ready', 30_000));
      await sleep(6000); // the stale replicas stop (3 s) while new work may land on the node
      await run.sample();
    }
    await finish('agent kill -9', server, run, ROUNDS, physical.stop(), ready);
  });

  it(`agent frozen past the NotReady and Lost deadlines (${ROUNDS}x), then resumed: no GPU runs two allocations at once`, { timeout: scale(300_000, 600_000) }, async () => {
    const { server, a1, a2, run } = await setUp('frozen');
    const physical = watchGpuProcesses(new Set([a1.name, a2.name]));
    let ready = 0;
    for (let k = 0; k < ROUNDS; k++) {
      const frozen = k % 2 === 0 ? a1 : a2;
      await sleep(3000);
      frozen.child.kill('SIGSTOP');
      await untilNode(server, frozen.name, 'NotReady', 30_000);
      await sleep(3000);
      await run.sample();
      frozen.child.kill('SIGCONT');
      ready = Math.max(ready, await untilNode(server, frozen.name, 'Ready', 30_000));
      await sleep(6000);
      await run.sample();
    }
    expect(a1.child.exitCode).toBeNull();
    expect(a2.child.exitCode).toBeNull();
    await finish('agent frozen (SIGSTOP, SIGCONT)', server, run, ROUNDS, physical.stop(), ready);
  });
});
