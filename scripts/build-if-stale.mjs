// Builds (npm run build) only when something the build reads changed since the last build, so
// `npm start` and `npm test` start in a second instead of rebuilding every time. "Changed" is
// decided by content, not timestamps: a digest of every file under src/ and web/, the
// TypeScript configs, package.json and package-lock.json (names and bytes, so an added, removed
// or renamed file counts too) is kept beside the output after each successful build.
import { createHash } from 'node:crypto';
import { execSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Everything `npm run build` reads (folders are walked). */
export const BUILD_INPUTS = ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** What a build leaves behind; a missing one means the build must run whatever the digest says. */
export const BUILD_OUTPUTS = ['dist/cli/main.js', 'dist/web/index.html'];
/** Where the digest of the inputs of the last successful build is kept. */
export const STAMP = 'dist/.build-inputs';

/** Input files as sorted paths relative to `root`; folders are walked, symlinks and the missing skipped. */
function inputFiles(root) {
  const walk = (rel) => {
    const st = lstatSync(join(root, rel), { throwIfNoEntry: false });
    if (!st) return [];
    if (st.isDirectory()) return readdirSync(join(root, rel)).flatMap((name) => walk(`${rel}/${name}`));
    return st.isFile() ? [rel] : [];
  };
  return BUILD_INPUTS.flatMap(walk).sort();
}

/** sha256 over the sorted input paths and their contents. */
export function inputsDigest(root) {
  const hash = createHash('sha256');
  for (const rel of inputFiles(root)) {
    hash.update(rel).update('\0').update(readFileSync(join(root, rel))).update('\0');
  }
  return hash.digest('hex');
}

/** Why a build is needed, or undefined when the last build is current. */
export function staleReason(root, digest = inputsDigest(root)) {
  const missing = BUILD_OUTPUTS.find((p) => !existsSync(join(root, p)));
  if (missing) return `${missing} is missing`;
  const stamp = join(root, STAMP);
  if (!existsSync(stamp)) return 'no record of what the last build was made from';
  if (readFileSync(stamp, 'utf8').trim() !== digest) return 'sources changed since the last build';
  return undefined;
}

/** Runs `build` when the output is stale and records what it was built from; returns whether it built. */
export function buildIfStale(root, build = () => execSync('npm run build', { cwd: root, stdio: 'inherit' }), say = (m) => console.error(m)) {
  // The digest is taken before building: a file edited during the build makes the next start build again.
  const digest = inputsDigest(root);
  const reason = staleReason(root, digest);
  if (reason === undefined) {
    say('weft: the build is current (no source changed since it was made)');
    return false;
  }
  say(`weft: building (${reason})…`);
  // A failed build may leave part of its output behind: until one succeeds, nothing is current.
  rmSync(join(root, STAMP), { force: true });
  build();
  writeFileSync(join(root, STAMP), digest + '\n');
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildIfStale(process.cwd());
  } catch {
    process.exit(1); // npm run build has said what went wrong
  }
}
