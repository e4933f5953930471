#!/usr/bin/env node
// Entry point of the `weft` command; the implementation is compiled to dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('weft: not built yet — run `npm run build` (or `npm start`) first.');
  process.exit(1);
}
const { run } = await import(main);
await run(process.argv);
