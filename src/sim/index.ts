// Public surface of the simulator.
export * from './workload.js';
export { parseAlibabaNodes, parseAlibabaPods } from './alibaba.js';
export { parseFleetYaml, parseWorkloadYaml } from './weft-yaml.js';
export { loadNodes, loadPods } from './load.js';
export { runFill, arrivalOrder, tieBreakRanks, type FillOptions, type FillResult } from './fill.js';
export { runGrid, type GridSpec } from './grid.js';
export { summarise, type PolicySummary } from './summary.js';
export { CurveBuilder, roundHalfEven } from './curve.js';
export { writeFillReport, type FillReportInput } from './report/write.js';
export type { Expected } from './report/markdown.js';
