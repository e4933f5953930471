// Copies the console screenshots the browser tests write (test-artifacts/screenshots/) into
// docs/screenshots/, where the README embeds them. Run after `npx vitest run test/web/`.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const from = join(root, 'test-artifacts', 'screenshots');
const to = join(root, 'docs', 'screenshots');
const PAGES = ['overview', 'fleet', 'workloads', 'workload-detail', 'workload-pending', 'submit-errors', 'queues-projects', 'billing', 'overview-narrow'];

mkdirSync(to, { recursive: true });
const missing = [];
for (const name of PAGES) {
  const src = join(from, `${name}.png`);
  if (!existsSync(src)) {
    missing.push(name);
    continue;
  }
  copyFileSync(src, join(to, `${name}.png`));
  console.log(`docs/screenshots/${name}.png`);
}
if (missing.length) {
  console.error(`missing (run the browser tests first: npx vitest run test/web/): ${missing.join(', ')}`);
  process.exit(1);
}
