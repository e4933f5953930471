// The simulated provider: a labelled fleet whose allocations "run" on virtual hardware, so the
// whole workload lifecycle can be seen with no GPUs.
export { startSimProvider, type SimProvider, type SimProviderOptions } from './provider.js';
export { demoFleet, registerDemoFleet, type DemoFleetOptions } from './demo-fleet.js';
export { SIM_DURATION_ANNOTATION, parseSimDuration, declaredDurationMs } from './duration.js';
export { SIMULATED_LABEL } from './heartbeat.js';
