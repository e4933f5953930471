// The provider contract: what the control plane relies on from every provider, whatever runs
// the replicas (a node agent's processes, the simulator, a Slurm cluster). Each provider's test
// file starts a real server with one node of that provider and runs these tests against it,
// through the API only: they describe behaviour, never how a provider achieves it.
//
//   - its node is Ready, with a heartbeat no older than the server's NotReady limit;
//   - a replica placed on it runs (Running, startedAt) and, when it ends on its own, is
//     Succeeded with exit code 0 or Failed with its exit code;
//   - a stop request ends it as Stopped, or as Preempted when it was preempted;
//   - what executes the replicas may restart: a running replica keeps running, not started twice;
//   - with liveness 'heartbeat', a node that falls silent goes NotReady, then its replicas Lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeftClient } from '../../client/index.js';
import { isActiveAllocation } from '../../model/allocation-rules.js';
import type { Resource, ResourceInput } from '../../model/metadata.js';
import { until } from '../../control/testing/until.js';
import type { NodeLiveness } from '../provider.js';

export interface ReplicaPlan {
  /** How long the replica runs once started; null = until it is stopped. */
  runsMs: number | null;
  /** Its exit code when it ends on its own. */
  exitCode: number;
}

export interface ProviderUnderTest {
  /** An admin client of the server (it may change across restart()). */
  readonly client: WeftClient;
  /** The one node of this provider the server has. */
  readonly node: string;
  /** What a workload adds (annotations, spec fields) for its replicas to behave as planned. */
  replica(plan: ReplicaPlan): { annotations?: Record<string, string>; spec?: Record<string, unknown> };
  /** Whatever executes the node's replicas stops and starts again. */
  restart(): Promise<void>;
  /** Whatever executes the node's replicas goes away for good: the node falls silent. */
  silence(): Promise<void>;
  close(): Promise<void>;
}

export interface ProviderHarness {
  /** The provider's name (Node.spec.provider). */
  provider: string;
  liveness: NodeLiveness;
  /** The server's node lifecycle limits, as it was started. */
  notReadyAfterMs: number;
  /** A server with one node of the provider, its GPUs 8 × H100-80GB. */
  start(): Promise<ProviderUnderTest>;
}

const PROJECT = 'contract';

/** A replica that is a host command behaving as planned (for providers that run host commands). */
export function shellReplica({ runsMs, exitCode }: ReplicaPlan): { spec: Record<string, unknown> } {
  return { spec: { command: ['sh', '-c', runsMs === null ? 'exec sleep 3600' : `sleep ${runsMs / 1000}; exit ${exitCode}`] } };
}

interface AllocationView {
  name: string;
  phase?: string;
  startedAt?: string;
  exitCode?: number;
  node: string;
}

export function runProviderContract(h: ProviderHarness): void {
  describe(`provider contract: ${h.provider}`, () => {
    let env: ProviderUnderTest;
    beforeAll(async () => {
      env = await h.start();
      const c = env.client;
      await c.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: PROJECT }, spec: {} });
      await c.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'contract-low' }, spec: { value: 0, preemptible: true } });
      await c.create({ apiVersion: 'weft/v1', kind: 'PriorityClass', metadata: { name: 'contract-high' }, spec: { value: 1000 } });
    });
    afterAll(async () => env?.close());

    const job = (name: string, plan: ReplicaPlan, extra: Record<string, unknown> = {}): ResourceInput => {
      const r = env.replica(plan);
      return {
        apiVersion: 'weft/v1',
        kind: 'Job',
        metadata: { name, project: PROJECT, ...(r.annotations ? { annotations: r.annotations } : {}) },
        spec: { replicas: 1, backoffLimit: 0, resources: { cpu: '1', memory: '1Gi', gpu: { count: 1 } }, ...r.spec, ...extra },
      };
    };
    const allocations = async (jobName: string): Promise<AllocationView[]> =>
      (await env.client.list('Allocation', { project: PROJECT, labelSelector: `weft.dev/workload=${jobName}` })).items.map(view);
    const phaseOf = async (jobName: string): Promise<string | undefined> => (await env.client.get('Job', jobName, { project: PROJECT })).status?.phase as string | undefined;
    const allocationIn = (jobName: string, phases: string[], what: string): Promise<AllocationView> =>
      until(`${jobName}: ${what}`, async () => (await allocations(jobName)).find((a) => phases.includes(a.phase ?? 'Bound')));

    it('keeps its node Ready with a recent heartbeat', async () => {
      const node = await until('the node Ready', async () => {
        const n = await env.client.get('Node', env.node);
        return n.status?.state === 'Ready' ? n : undefined;
      });
      expect((node.spec as { provider?: string }).provider).toBe(h.provider);
      const beat = Date.parse(String(node.status?.lastHeartbeatTime));
      expect(Date.now() - beat).toBeLessThan(h.notReadyAfterMs);
    });

    it('runs a placed replica and reports that it succeeded', async () => {
      // Long enough to be seen running: a replica that ends before its first report may go
      // straight to its final phase.
      await env.client.create(job('ok', { runsMs: 2000, exitCode: 0 }));
      const running = await allocationIn('ok', ['Running'], 'running');
      expect(running.node).toBe(env.node);
      expect(Date.parse(String(running.startedAt))).not.toBeNaN();
      const done = await allocationIn('ok', ['Succeeded', 'Failed'], 'ended');
      expect(done).toMatchObject({ phase: 'Succeeded', exitCode: 0 });
      await until('the job Succeeded', async () => ((await phaseOf('ok')) === 'Succeeded' ? true : undefined));
    });

    it('reports a replica that fails with its exit code', async () => {
      await env.client.create(job('bad', { runsMs: 100, exitCode: 3 }));
      const done = await allocationIn('bad', ['Succeeded', 'Failed'], 'ended');
      expect(done).toMatchObject({ phase: 'Failed', exitCode: 3 });
      await until('the job Failed', async () => ((await phaseOf('bad')) === 'Failed' ? true : undefined));
    });

    it('ends a replica asked to stop as Stopped', async () => {
      await env.client.create(job('stop', { runsMs: null, exitCode: 0 }, { suspend: false }));
      await allocationIn('stop', ['Running'], 'running');
      await env.client.patch('Job', 'stop', { spec: { suspend: true } }, { project: PROJECT });
      expect((await allocationIn('stop', ['Stopped', 'Preempted', 'Succeeded', 'Failed'], 'ended')).phase).toBe('Stopped');
    });

    it('ends a preempted replica as Preempted', async () => {
      // The victim fills the node; a higher-priority job needs it.
      await env.client.create(job('victim', { runsMs: null, exitCode: 0 }, { priorityClass: 'contract-low', resources: { cpu: '1', memory: '1Gi', gpu: { count: 8 } } }));
      await allocationIn('victim', ['Running'], 'running');
      await env.client.create(job('urgent', { runsMs: null, exitCode: 0 }, { priorityClass: 'contract-high', resources: { cpu: '1', memory: '1Gi', gpu: { count: 8 } } }));
      expect((await allocationIn('victim', ['Stopped', 'Preempted', 'Succeeded', 'Failed'], 'ended')).phase).toBe('Preempted');
      await allocationIn('urgent', ['Running'], 'running in its place');
      for (const name of ['urgent', 'victim']) await env.client.delete('Job', name, { project: PROJECT });
      await until('the node free', async () => ((await activeOnNode()).length === 0 ? true : undefined));
    });

    it('keeps a running replica across a restart of what executes it, without starting it again', async () => {
      await env.client.create(job('steady', { runsMs: null, exitCode: 0 }));
      const before = await allocationIn('steady', ['Running'], 'running');
      await env.restart();
      // Something has looked at the replica again since the restart: the node beats again.
      const restartedAt = Date.now();
      await until('a heartbeat after the restart', async () => {
        const n = await env.client.get('Node', env.node);
        return Date.parse(String(n.status?.lastHeartbeatTime)) >= restartedAt - 1000 ? true : undefined;
      });
      const after = await allocations('steady');
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ name: before.name, phase: 'Running', startedAt: before.startedAt });
      await env.client.patch('Job', 'steady', { spec: { suspend: true } }, { project: PROJECT });
      expect((await allocationIn('steady', ['Stopped', 'Preempted', 'Succeeded', 'Failed'], 'ended')).phase).toBe('Stopped');
    });

    it.runIf(h.liveness === 'heartbeat')('marks a silent node NotReady, then its replicas Lost', async () => {
      await env.client.create(job('orphan', { runsMs: null, exitCode: 0 }));
      await allocationIn('orphan', ['Running'], 'running');
      await env.silence();
      await until('the node NotReady', async () => ((await env.client.get('Node', env.node)).status?.state === 'NotReady' ? true : undefined));
      await allocationIn('orphan', ['Lost'], 'lost');
    });

    async function activeOnNode(): Promise<AllocationView[]> {
      return (await env.client.list('Allocation', { project: PROJECT })).items.filter(isActiveAllocation).map(view);
    }
  });
}

function view(a: Resource): AllocationView {
  const st = (a.status ?? {}) as { phase?: string; startedAt?: string; exitCode?: number };
  return { name: a.metadata.name, phase: st.phase, startedAt: st.startedAt, exitCode: st.exitCode, node: (a.spec as { node: string }).node };
}
