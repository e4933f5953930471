// How the user should type the `weft` command in the hints this CLI prints. In a clone of the
// repository the command is not on the PATH (`npm start` runs bin/weft.js directly), and `npx
// weft` finds it; once the package is installed globally, `weft` itself is this binary. Run by
// npx, the PATH npx made holds a `weft` too, but the user's own shell does not: say what they typed.
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `weft` on the PATH is the very script running now. */
export function weftOnPath(script = process.argv[1], path = process.env.PATH ?? ''): boolean {
  if (!script) return false;
  const self = realOrUndefined(script);
  if (self === undefined) return false;
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    const candidate = join(dir, 'weft');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      return false;
    }
    return realOrUndefined(candidate) === self;
  });
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/** `npx weft` when run by npx (or npm exec), else `weft` where that runs this binary, else `npx weft`. */
export function weftCommandFor(env: NodeJS.ProcessEnv, script = process.argv[1]): string {
  if (env.npm_command === 'exec') return 'npx weft';
  return weftOnPath(script, env.PATH ?? '') ? 'weft' : 'npx weft';
}

let cached: string | undefined;

export function weftCommand(): string {
  cached ??= weftCommandFor(process.env);
  return cached;
}
