// Locates the Alibaba trace folder that sits beside the repository (../shared/traces/...).
// Tests that need it skip, saying why, when it is absent; the files are never copied in.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const TRACE_DIR = resolve(repoRoot, '../shared/traces/alibaba-gpu-2023');
export const HAS_TRACES = existsSync(resolve(TRACE_DIR, 'openb_node_list_gpu_node.csv'));
export const SKIP_NOTE = HAS_TRACES ? '' : ' [skipped: ../shared/traces/alibaba-gpu-2023 not found next to the repository]';

export function tracePath(file: string): string {
  return resolve(TRACE_DIR, file);
}
