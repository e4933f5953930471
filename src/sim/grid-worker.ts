// Worker thread for runGrid: receives (policy, seed) jobs and answers with fill results.
import { parentPort, workerData } from 'node:worker_threads';
import type { TypicalPod } from '../scheduler/index.js';
import { runFill } from './fill.js';
import type { GridJob } from './grid.js';
import type { Workload } from './workload.js';

const { workload, typical, mix, stranding, shareFill, tune } = workerData as {
  workload: Workload;
  typical: TypicalPod[];
  mix: TypicalPod[];
  stranding?: boolean;
  shareFill?: boolean;
  tune: number;
};

parentPort!.on('message', (job: GridJob) => {
  parentPort!.postMessage(runFill(workload, { policy: job.policy, seed: job.seed, tune, typical, mix, ...(stranding !== undefined ? { stranding, shareFill: shareFill ?? false } : {}) }));
});
