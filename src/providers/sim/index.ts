// The simulated provider: a labelled fleet whose allocations "run" on virtual hardware, so the
// whole workload lifecycle can be seen with no GPUs. Its replicas run inside the leading server
// process, which is also the only witness of its nodes.
import type { Provider } from '../provider.js';
import { startSimProvider, type SimProviderOptions } from './provider.js';

export { startSimProvider, type SimProvider, type SimProviderOptions } from './provider.js';
export { demoFleet, registerDemoFleet, type DemoFleetOptions } from './demo-fleet.js';
export { SIM_DURATION_ANNOTATION, parseSimDuration, declaredDurationMs } from './duration.js';
export { SIMULATED_LABEL, isSimNode } from './heartbeat.js';

export const SIM_PROVIDER = 'sim';

export function simProvider(opts: Omit<SimProviderOptions, 'store' | 'clock' | 'log'> = {}): Provider {
  return {
    name: SIM_PROVIDER,
    liveness: 'provider',
    controller: (ctx) => ({
      async start(signal: AbortSignal): Promise<void> {
        const sim = await startSimProvider({ ...opts, store: ctx.store, clock: ctx.clock, log: ctx.log });
        await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
        await sim.stop();
      },
    }),
  };
}
