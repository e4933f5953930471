// The parts of the server the CLI runs in-process, without a server: `weft policy test`
// evaluates admission policies with the server's own CEL compiler and evaluator, and
// `weft audit verify --file` re-checks an exported run of the audit chain with the server's own
// hash rule. Re-exported here so the CLI reaches them through the server layer, like `weft up`,
// and never imports control directly (test/layers.test.ts).
export { compilePolicy, type CompiledPolicy } from '../control/policy/compile.js';
export type { PolicyUser } from '../control/policy/evaluate.js';
export { testObject, type OfflineOutcome } from '../control/policy/offline.js';
export { verifyExport } from '../control/audit-export.js';
