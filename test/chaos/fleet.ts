// The chaos runs' fleet and work: a project, simulated 8-GPU nodes (the sim provider runs what is
// placed there for its `weft.dev/sim-duration`), and Jobs of one to four GPUs that finish within
// a second, so GPUs are bound and released all through a run.
import type { Rng } from '../../src/scheduler/rng.js';
import type { ChaosServer } from './servers.js';
import { sleep } from './servers.js';

export const PROJECT = 'chaos';

/** Creates (or finds) what a run needs before the fault; retried while the server starts. */
async function ensure(s: () => ChaosServer, path: string, body: unknown): Promise<void> {
  for (let i = 0; ; i++) {
    const r = await s()
      .call('POST', path, body)
      .catch(() => undefined);
    if (r && (r.status === 201 || r.status === 409)) return;
    if (i > 200) throw new Error(`POST ${path}: ${r ? `${r.status} ${JSON.stringify(r.body)}` : 'no answer'}`);
    await sleep(100);
  }
}

export async function simFleet(s: () => ChaosServer, nodes: number, provider = 'sim'): Promise<void> {
  await ensure(s, '/api/v1/projects', { kind: 'Project', metadata: { name: PROJECT }, spec: { quota: { gpu: { '*': 100_000 } } } });
  for (let i = 0; i < nodes; i++) {
    await ensure(s, '/api/v1/nodes', {
      kind: 'Node',
      metadata: { name: `chaos-${i}` },
      spec: { cpu: '128', memory: '1Ti', provider, rack: `r${i % 2}`, gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, uuid: `GPU-chaos-${i}-${g}`, model: 'H100-80GB' })) },
    });
  }
}

export const JOBS_PATH = `/api/v1/projects/${PROJECT}/jobs`;

/** A Job of 1, 2 or 4 GPUs that the sim provider finishes after 100-800 ms. */
export function gpuJob(name: string, rng: Rng): { path: string; body: { kind: string; metadata: { name: string; annotations: Record<string, string> }; spec: unknown } } {
  const gpus = [1, 1, 2, 4][Math.floor(rng.nextFloat() * 4)]!;
  return {
    path: JOBS_PATH,
    body: {
      kind: 'Job',
      metadata: { name, annotations: { 'weft.dev/sim-duration': `${100 + Math.floor(rng.nextFloat() * 700)}ms` } },
      spec: { resources: { cpu: '4', memory: '16Gi', gpu: { count: gpus } } },
    },
  };
}

/** Waits until every Job of the project is Succeeded or Failed; returns how many are not. */
export async function unfinishedJobs(s: ChaosServer, timeoutMs: number): Promise<string[]> {
  const end = performance.now() + timeoutMs;
  let open: string[] = [];
  while (performance.now() < end) {
    const r = await s.call('GET', JOBS_PATH).catch(() => undefined);
    if (r?.status === 200) {
      open = (r.body.items as { metadata: { name: string }; status?: { phase?: string } }[])
        .filter((j) => !['Succeeded', 'Failed'].includes(String(j.status?.phase)))
        .map((j) => j.metadata.name);
      if (open.length === 0) return [];
    }
    await sleep(250);
  }
  return open;
}
