// Runs the fill experiment for several policies and seeds, in parallel worker threads when the
// compiled worker is available (the CLI), or in-process otherwise (tests).

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Snapshot, strandingVerdict, typicalPods } from '../scheduler/index.js';
import { runFill, type FillResult } from './fill.js';
import type { Workload } from './workload.js';

export interface GridSpec {
  workload: Workload;
  policies: readonly string[];
  seeds: readonly number[];
  tune: number;
  /** Worker threads; 0 = run in this thread. Defaults to the number of CPUs. */
  workers?: number;
  onProgress?: (done: number, total: number, last: FillResult) => void;
}

export interface GridJob {
  policy: string;
  seed: number;
}

export async function runGrid(spec: GridSpec): Promise<FillResult[]> {
  // FGD-style policies see the shape distribution of the original (untuned) pods.
  const typical = typicalPods(spec.workload.pods.map((p) => p.shape));
  const mix = typicalPods(spec.workload.pods.map((p) => p.shape), 1);
  // weft's verdict on its stranding term depends only on the mix and the fleet: decided once here
  // rather than in every worker.
  const verdict = spec.policies.includes('weft') ? strandingVerdict(mix, typical, new Snapshot(spec.workload.nodes)) : undefined;
  const stranding = verdict?.pays;
  const shareFill = verdict?.shareFill;
  // Slowest policies first, so a worker is not left alone with a long run at the end.
  const slow = (p: string) => (p === 'weft' || p === 'fgd' ? 0 : 1);
  const jobs: GridJob[] = [...spec.policies]
    .sort((a, b) => slow(a) - slow(b))
    .flatMap((policy) => spec.seeds.map((seed) => ({ policy, seed })));
  const workerFile = fileURLToPath(new URL('./grid-worker.js', import.meta.url));
  const wanted = spec.workers ?? Math.max(1, availableParallelism());
  const workers = existsSync(workerFile) ? Math.min(wanted, jobs.length) : 0;
  const results: FillResult[] = new Array(jobs.length);
  let done = 0;
  const finish = (i: number, r: FillResult) => {
    results[i] = r;
    done++;
    spec.onProgress?.(done, jobs.length, r);
  };
  if (workers <= 1) {
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i]!;
      finish(i, runFill(spec.workload, { policy: job.policy, seed: job.seed, tune: spec.tune, typical, mix, stranding, shareFill }));
    }
    return results;
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, () =>
      new Promise<void>((resolve, reject) => {
        const w = new Worker(workerFile, { workerData: { workload: spec.workload, typical, mix, stranding, shareFill, tune: spec.tune } });
        let current = -1;
        const feed = () => {
          if (next >= jobs.length) {
            void w.terminate().then(() => resolve());
            return;
          }
          current = next++;
          w.postMessage(jobs[current]);
        };
        w.on('message', (r: FillResult) => {
          finish(current, r);
          feed();
        });
        w.on('error', reject);
        feed();
      }),
    ),
  );
  return results;
}
