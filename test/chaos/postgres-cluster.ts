// A PostgreSQL cluster of the chaos suite's own: Debian's initdb and pg_ctl on a scratch data
// directory and a free loopback port, so a test may stop, crash and restart it without touching
// the shared server others use. As root, the server runs as the `postgres` user (PostgreSQL
// refuses to run as root).
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll } from 'vitest';
import { freePort } from '../../src/agent/launch.js';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

/** Debian's PostgreSQL binaries (newest version), or undefined when the package is missing. */
export function postgresBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_ROOT, versions[0], 'bin') : undefined;
}

export interface PrivatePostgres {
  port: number;
  /** URL of a database, created on first use. */
  database(name: string): Promise<string>;
  /** pg_ctl stop: 'fast' ends sessions cleanly, 'immediate' is a crash (recovery on next start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and removes its files. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (apt-get install postgresql); .ci/run installs it');
  const asRoot = userInfo().uid === 0;
  const base = mkdtempSync(join(tmpdir(), 'weft-chaos-pg-'));
  chmodSync(base, 0o755); // the postgres user must reach its data directory
  const data = join(base, 'data');
  mkdirSync(data);
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(data, Number(stdout.trim()), Number(gid.trim()));
  }
  const tool = (name: string, args: string[]): Promise<unknown> =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args]) : run(join(bin, name), args);
  await tool('initdb', ['-D', data, '-U', 'weft', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  // No Unix socket (a scratch directory would need to be shared); fsync off: it is scratch data,
  // and a crash of the server process (not of the machine) loses nothing either way.
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c max_connections=100`;
  const ctl = (args: string[]): Promise<unknown> => tool('pg_ctl', ['-D', data, '-w', '-t', '60', ...args]);
  const start = async (): Promise<void> => {
    await ctl(['-o', options, '-l', join(data, 'server.log'), 'start']);
  };
  await start();
  const created = new Set<string>();
  const url = (db: string): string => `postgres://weft@127.0.0.1:${port}/${db}`;
  let running = true;
  return {
    port,
    async database(name) {
      if (!created.has(name)) {
        const c = new pg.Client({ connectionString: url('postgres') });
        await c.connect();
        try {
          await c.query(`CREATE DATABASE ${name}`);
        } finally {
          await c.end();
        }
        created.add(name);
      }
      return url(name);
    },
    async stop(mode = 'fast') {
      await ctl(['-m', mode, 'stop']);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await ctl(['-m', 'immediate', 'stop']).catch(() => undefined);
      running = false;
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** For a test file: one private cluster, started on first use and removed after the file. */
export function privatePostgres(): () => Promise<PrivatePostgres> {
  let cluster: Promise<PrivatePostgres> | undefined;
  afterAll(async () => {
    await (await cluster?.catch(() => undefined))?.destroy();
  }, 60_000);
  return () => (cluster ??= startPrivatePostgres());
}
