// iproute2 (`ip`, `bridge`) and dnsmasq run through execFile, argument by argument: no shell.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What tenant networks need on a node and where Debian puts it; the first one missing, named with its package. */
export function networkToolsMissing(): string | undefined {
  for (const [path, pkg] of [['/usr/sbin/ip', 'iproute2'], ['/usr/sbin/bridge', 'iproute2'], ['/usr/sbin/dnsmasq', 'dnsmasq']] as const) {
    if (!existsSync(path) && !existsSync(path.replace('/usr/sbin/', '/sbin/'))) return `${path.split('/').pop()!} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

export class HostCommandError extends Error {}

/** Runs a command; rejects with its stderr in the message. */
export async function host(cmd: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(cmd, [...args], { encoding: 'utf8', timeout: 30_000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new HostCommandError(`${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

export const ip = (...args: string[]): Promise<string> => host('ip', args);
export const bridge = (...args: string[]): Promise<string> => host('bridge', args);

/** Runs `ip …`, ignoring only the error that says it is already done ("File exists", "Cannot find device"). */
export async function ipIdempotent(...args: string[]): Promise<void> {
  try {
    await ip(...args);
  } catch (e) {
    if (!/File exists|Cannot find device|does not exist|No such/.test((e as Error).message)) throw e;
  }
}

/** The node's links by name, from `ip -j link`. */
export async function links(): Promise<Map<string, { master?: string }>> {
  const list = JSON.parse((await ip('-j', 'link', 'show')) || '[]') as { ifname: string; master?: string }[];
  return new Map(list.map((l) => [l.ifname, { ...(l.master ? { master: l.master } : {}) }]));
}
