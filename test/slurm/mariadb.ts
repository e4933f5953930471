// A MariaDB server for slurmdbd in a test: its own data directory (made by mariadb-install-db,
// small redo log and buffer pool), UNIX socket and loopback port, run in the foreground as a
// child of the test (as the mysql user) and stopped by PID. A database user for slurmdbd is
// made over the socket, where root authenticates by its uid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../../src/control/testing/until.js';
import { stopChild } from './processes.js';

export const MARIADB_BINARIES = ['/usr/sbin/mariadbd', '/usr/bin/mariadb-install-db', '/usr/bin/mariadb'];

export interface MariaDb {
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

const SMALL = ['--innodb-log-file-size=4M', '--innodb-buffer-pool-size=16M'];

export async function startMariaDb(dir: string, port: number): Promise<MariaDb> {
  mkdirSync(dir, { recursive: true });
  const ids = { uid: Number(run('id', ['-u', 'mysql']).stdout), gid: Number(run('id', ['-g', 'mysql']).stdout) };
  chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const install = run('/usr/bin/mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db', ...SMALL]);
  if (install.status !== 0) throw new Error(`mariadb-install-db: ${install.stderr || install.stdout}`);
  const server: ChildProcess = spawn(
    '/usr/sbin/mariadbd',
    ['--no-defaults', `--datadir=${data}`, '--user=mysql', `--socket=${socket}`, `--port=${port}`, '--bind-address=127.0.0.1', '--skip-name-resolve', `--pid-file=${join(dir, 'mysqld.pid')}`, `--log-error=${join(dir, 'mysqld.err')}`, ...SMALL],
    { stdio: 'ignore' },
  );
  const password = 'slurmdbd-test';
  try {
    await until('MariaDB to accept connections', async () => {
      if (server.exitCode !== null) throw new Error(`mariadbd exited with ${server.exitCode} (see ${join(dir, 'mysqld.err')})`);
      return (existsSync(socket) && sql(socket, 'SELECT 1').status === 0) || undefined;
    });
    const made = sql(socket, `CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '${password}'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';`);
    if (made.status !== 0) throw new Error(`MariaDB: ${made.stderr}`);
  } catch (err) {
    await stopChild(server);
    throw err;
  }
  return { port, user: 'slurm', password, stop: () => stopChild(server) };
}

function sql(socket: string, statements: string): { status: number | null; stderr: string } {
  return run('/usr/bin/mariadb', ['--no-defaults', '-S', socket, '-u', 'root', '-e', statements]);
}

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
