// How the CLI reports failures. Expected errors (bad input, API refusals, unreachable server)
// print one readable message, naming fields where the server named them, and never a stack.
import { MissingProjectError, UnknownKindError, WeftApiError, WeftConnectionError } from '../client/index.js';
import { ManifestError } from '../client/manifests.js';
import { WeftError } from '../model/errors.js';
import { unknownKindMessage } from '../model/registry.js';

/** Exit codes, documented in `weft --help`. */
export const EXIT = { ok: 0, error: 1, usage: 2 } as const;

/** An expected failure with a message meant for the user. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.error) {
    super(message);
    this.name = 'CliError';
  }
}

/** Lines describing an error, without the "error: " prefix. */
export function describeError(err: unknown): string[] {
  if (err instanceof WeftApiError) {
    if (err.issues.length === 0) return [`${err.detail}${suffix(err)}`];
    return [`${headline(err)}${suffix(err)}`, ...err.issues.map((i) => `  ${i.field ? `${i.field}: ` : ''}${i.message}`)];
  }
  if (err instanceof UnknownKindError) {
    return [unknownKindMessage(err.kind, 'plural')];
  }
  if (err instanceof CliError || err instanceof ManifestError || err instanceof WeftConnectionError || err instanceof MissingProjectError) return [err.message];
  // Typed errors from the layers `weft up` runs in-process (a data directory in use, bad options).
  if (err instanceof WeftError) return [err.message];
  if (err instanceof Error) {
    return process.env.WEFT_DEBUG ? [err.stack ?? err.message] : [`${err.message} (set WEFT_DEBUG=1 for details)`];
  }
  return [String(err)];
}

export function exitCodeOf(err: unknown): number {
  return err instanceof CliError ? err.exitCode : EXIT.error;
}

// The server's detail often repeats the issue ("Job is invalid: spec.replicas: …", or
// "project "vision": quota exceeded …"); keep the part before it as the headline and list each
// issue, with its field, on its own line.
function headline(err: WeftApiError): string {
  const first = err.issues[0]!;
  let at = err.detail.indexOf(`${first.field}:`);
  if (at < 0) at = err.detail.indexOf(first.message);
  const head = at >= 0 ? err.detail.slice(0, at).replace(/[\s:;,-]+$/, '') : err.detail;
  return head || err.title;
}

function suffix(err: WeftApiError): string {
  return err.code ? ` (${err.code})` : '';
}
