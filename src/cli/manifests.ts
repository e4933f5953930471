// Reads manifests for `apply -f` and `delete -f`: files, directories (recursively, in name
// order), or "-" for stdin; YAML (multi-document) or JSON; `kind: List` is flattened.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseManifests, type Manifest } from '../client/manifests.js';
import { CliError } from './errors.js';

export { parseManifests, sortForApply, yamlProblem, type Manifest } from '../client/manifests.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export function loadManifests(paths: string[], readStdin: () => string): Manifest[] {
  const out: Manifest[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...parseManifests(readStdin(), '<stdin>'));
      continue;
    }
    for (const file of expand(p)) out.push(...parseManifests(readFileSync(file, 'utf8'), file));
  }
  if (out.length === 0) throw new CliError(`no manifests found in ${paths.join(', ')}`);
  return out;
}

function expand(path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CliError(`${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const full = join(path, e.name);
      if (e.isDirectory()) return expand(full);
      return EXTENSIONS.has(extname(e.name).toLowerCase()) ? [full] : [];
    });
}
