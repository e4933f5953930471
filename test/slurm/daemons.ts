// A real one-node Slurm cluster for tests: munged, slurmctld, slurmd (8 GPUs declared as GRES
// on character devices that behave like /dev/null) and slurmrestd (JWT over loopback TCP, run
// as the slurm user, since it refuses root), each in the foreground as a child of the test, with
// its own config, state and log directories and free loopback ports; with `accounting`, also
// MariaDB and slurmdbd (Slurm's accounting), and slurmrestd serves its slurmdb API too. stop()
// ends them by PID, then the slurmstepd processes slurmd detached (processes.ts).
// Needs Debian's slurmctld, slurmd, slurmrestd, slurm-wlm-jwt-plugin and munge (with
// `accounting`: slurmdbd, slurm-wlm-mysql-plugin and mariadb-server), and root (slurmd starts
// jobs as their user); slurmAbsent() says what is missing, for a clear skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { until } from '../../src/control/testing/until.js';
import type { ResourceInput } from '../../src/model/metadata.js';
import { MARIADB_BINARIES, startMariaDb, type MariaDb } from './mariadb.js';
import { gresConf, slurmConf, slurmdbdConf, type ConfigInput } from './config.js';
import { freePorts, reapLeftBehind, stopChild } from './processes.js';

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/slurmrestd', '/usr/bin/sbatch', '/usr/bin/setpriv'];
const JWT_PLUGIN = '/usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so';
const ACCOUNTING = ['/usr/sbin/slurmdbd', '/usr/bin/sacct', '/usr/lib/x86_64-linux-gnu/slurm-wlm/accounting_storage_mysql.so', ...MARIADB_BINARIES];

/** Why a real Slurm cluster (with `accounting`: and slurmdbd on MariaDB) cannot be started here; undefined when it can. */
export function slurmAbsent(opts: { accounting?: boolean } = {}): string | undefined {
  const missing = [...BINARIES, JWT_PLUGIN].filter((b) => !existsSync(b));
  if (missing.length > 0) return `Slurm tests skipped: ${missing.join(', ')} not installed (apt-get install slurmctld slurmd slurmrestd slurm-client slurm-wlm-jwt-plugin munge)`;
  const noAccounting = opts.accounting ? ACCOUNTING.filter((b) => !existsSync(b)) : [];
  if (noAccounting.length > 0) return `Slurm accounting tests skipped: ${noAccounting.join(', ')} not installed (apt-get install slurmdbd slurm-wlm-mysql-plugin mariadb-server)`;
  if (userInfo().uid !== 0) return 'Slurm tests skipped: they must run as root (slurmd starts jobs as their user)';
  if (spawnSync('id', ['slurm']).status !== 0) return 'Slurm tests skipped: no "slurm" user (the slurm-wlm packages create it)';
  return undefined;
}

export interface SlurmCluster {
  /** slurmrestd's base URL (loopback). */
  endpoint: string;
  /** The Slurm user the JWT was issued to; jobs submitted with it run as this user. */
  user: string;
  /** A file holding a valid JWT for `user`. */
  tokenFile: string;
  /** The Slurm node's name. */
  node: string;
  /** A directory every job may write (and the test read). */
  outputDir: string;
  /** SLURM_CONF and friends, for running sbatch, squeue, scancel against this cluster. */
  env: NodeJS.ProcessEnv;
  /** Runs a Slurm command line tool (sbatch, scancel …) against this cluster as `asUser`. */
  run(tool: string, args: string[], asUser?: string, extraEnv?: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string };
  stopRest(): Promise<void>;
  startRest(): Promise<void>;
  /**
   * A second slurmrestd on a UNIX socket with rest_auth/local, run as `user`: it serves only
   * clients of that uid, and root (slurmrestd checks the peer's credentials on the socket), which
   * then act in Slurm as that user. The socket's directory is open to all, so that it is
   * slurmrestd's own check that turns other users away.
   */
  startLocalRest(user: string): Promise<{ endpoint: string; stop(): Promise<void> }>;
  /** slurmctld and slurmd stop and start again (their state kept); running jobs go on. */
  restartDaemons(): Promise<void>;
  /** Whether slurmdbd keeps the cluster's accounting (startSlurm's `accounting`). */
  accounting: boolean;
  /** The cluster's slurm.conf (SLURM_CONF), which the processes of its jobs inherit. */
  conf: string;
  /** The daemons' log directory. */
  logDir: string;
  stop(): Promise<void>;
}

export interface SlurmOptions {
  /** The GRES type of the node's 8 GPUs (default h100), or its GPUs by type. */
  gpuType?: string;
  gpus?: readonly { type: string; count: number }[];
  /** Also run slurmdbd on a MariaDB of its own, and serve its slurmdb API from slurmrestd. */
  accounting?: boolean;
  /** Seconds slurmctld lists an ended job (Slurm's MinJobAge; default 300). */
  minJobAge?: number;
  /** More slurm.conf lines (the benchmark's tuning). */
  extraConf?: readonly string[];
}

const NODE = 'n1';
const GPUS = 8;

export async function startSlurm(opts: SlurmOptions = {}): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-slurm-'));
  chmodSync(dir, 0o755);
  const d = (p: string): string => join(dir, p);
  for (const sub of ['etc', 'state', 'spool', `spool/${NODE}`, 'log', 'run', 'dev', 'munge']) mkdirSync(d(sub));
  mkdirSync(d('out'), { mode: 0o1777 });
  chmodSync(d('out'), 0o1777);
  const slurmIds = userIds('slurm');
  for (const sub of ['state', 'log', 'run']) chownSync(d(sub), slurmIds.uid, slurmIds.gid);
  const gres = opts.gpus ?? [{ type: opts.gpuType ?? 'h100', count: GPUS }];
  const gpuCount = gres.reduce((n, g) => n + g.count, 0);
  for (let i = 0; i < gpuCount; i++) spawnSync('mknod', [d(`dev/gpu${i}`), 'c', '1', '3']);
  writeFileSync(d('munge/munge.key'), randomBytes(1024), { mode: 0o600 });
  const jwtKey = randomBytes(32);
  writeFileSync(d('etc/jwt.key'), jwtKey, { mode: 0o600 });
  chownSync(d('etc/jwt.key'), slurmIds.uid, slurmIds.gid);

  const [ctldPort, slurmdPort, restPort, dbdPort, dbPort] = await freePorts(5);
  const munge = d('run/munge.sock');
  const conf = d('etc/slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf };

  const children: ChildProcess[] = [];
  // A daemon's stdout and stderr go straight to a file, never through a pipe to this process: a
  // test blocked in spawnSync (sbatch, squeue …) drains no pipe, and slurmctld, which logs to
  // stderr in the foreground, would block on a full one — every RPC then waits for the test.
  const start = (cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, log = 'daemon'): ChildProcess => {
    const out = openSync(`${d('log')}/${log}.out`, 'a');
    try {
      const child = spawn(cmd, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', out, out] });
      children.push(child);
      return child;
    } finally {
      closeSync(out);
    }
  };
  let rest: ChildProcess | undefined;
  let ctld: ChildProcess | undefined;
  let slurmd: ChildProcess | undefined;
  let db: MariaDb | undefined;
  const startDaemons = async (): Promise<void> => {
    ctld = start('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf], {}, 'slurmctld');
    slurmd = start('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', NODE], {}, 'slurmd');
    await until('the Slurm node up', async () => {
      const r = spawnSync('/usr/bin/sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' });
      return ['idle', 'mixed', 'allocated'].includes(r.stdout.trim()) || undefined;
    });
  };
  // The slurmdb API (openapi/dbv0.0.38) only where slurmdbd keeps accounting.
  const plugins = opts.accounting ? 'openapi/v0.0.38,openapi/dbv0.0.38' : 'openapi/v0.0.38';
  const startRest = async (): Promise<void> => {
    rest = start(
      '/usr/bin/setpriv',
      ['--reuid=slurm', '--regid=slurm', '--clear-groups', '/usr/sbin/slurmrestd', '-s', plugins, '-a', 'rest_auth/jwt', `127.0.0.1:${restPort}`],
      { SLURM_JWT: 'daemon' },
      'slurmrestd',
    );
    await until('slurmrestd to listen', async () => (await fetch(`http://127.0.0.1:${restPort}/openapi/v3`).then(() => true).catch(() => false)) || undefined);
  };
  const cluster: SlurmCluster = {
    endpoint: `http://127.0.0.1:${restPort}`,
    user: 'slurm',
    tokenFile: d('etc/weft.jwt'),
    node: NODE,
    outputDir: d('out'),
    env,
    accounting: opts.accounting === true,
    conf,
    logDir: d('log'),
    run(tool, args, asUser, extraEnv = {}) {
      const cmd = asUser ? '/usr/bin/setpriv' : tool;
      const argv = asUser ? [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', tool, ...args] : args;
      const r = spawnSync(cmd, argv, { env: { ...env, ...extraEnv }, encoding: 'utf8', cwd: d('out') });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async stopRest() {
      if (rest) await stopChild(rest);
      rest = undefined;
    },
    startRest,
    async startLocalRest(user) {
      const ids = userIds(user);
      const home = d(`rest-${user}`);
      mkdirSync(home, { mode: 0o755 });
      chownSync(home, ids.uid, ids.gid);
      const socket = `${home}/slurmrestd.socket`;
      const child = start('/usr/bin/setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', '/usr/sbin/slurmrestd', '-s', plugins, '-a', 'rest_auth/local', `unix:${socket}`], {}, `slurmrestd-${user}`);
      await until('slurmrestd on its socket', async () => {
        if (child.exitCode !== null) {
          await new Promise((r) => setTimeout(r, 100));
          throw new Error(`slurmrestd as ${user} exited with ${child.exitCode}: ${readFileSync(d(`log/slurmrestd-${user}.out`), 'utf8').slice(-1000)}`);
        }
        return existsSync(socket) || undefined;
      });
      return { endpoint: `unix:${socket}`, stop: () => stopChild(child) };
    },
    async restartDaemons() {
      for (const c of [slurmd, ctld]) if (c) await stopChild(c);
      await startDaemons();
    },
    async stop() {
      for (const c of [...children].reverse()) await stopChild(c);
      await db?.stop();
      await reapLeftBehind(conf);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  writeFileSync(cluster.tokenFile, jwt(jwtKey, cluster.user, 3600), { mode: 0o600 });
  try {
    start('/usr/sbin/munged', ['--foreground', '--force', `--key-file=${d('munge/munge.key')}`, `--socket=${munge}`, `--pid-file=${d('munge/munged.pid')}`, `--seed-file=${d('munge/seed')}`, `--log-file=${d('munge/munged.log')}`], {}, 'munged');
    const input: ConfigInput = { dir, node: NODE, gres, ports: { ctld: ctldPort!, slurmd: slurmdPort!, dbd: dbdPort! }, minJobAge: opts.minJobAge, extra: opts.extraConf };
    if (opts.accounting) {
      db = await startMariaDb(d('db'), dbPort!);
      input.accounting = { db };
      // slurmdbd reads its config only when it belongs to SlurmUser and no one else may read it.
      writeFileSync(d('etc/slurmdbd.conf'), slurmdbdConf(input), { mode: 0o600 });
      chownSync(d('etc/slurmdbd.conf'), slurmIds.uid, slurmIds.gid);
    }
    writeFileSync(conf, slurmConf(input));
    writeFileSync(d('etc/gres.conf'), gresConf(input));
    await until('munged', async () => existsSync(munge) || undefined);
    if (opts.accounting) {
      const dbd = start('/usr/sbin/slurmdbd', ['-D'], { SLURMDBD_CONF: d('etc/slurmdbd.conf') }, 'slurmdbd');
      let said = '';
      await until('slurmdbd to answer', async () => {
        if (dbd.exitCode !== null) throw new Error(`slurmdbd exited with ${dbd.exitCode}`);
        const r = spawnSync('/usr/bin/sacctmgr', ['-n', 'show', 'cluster'], { env, encoding: 'utf8' });
        said = r.stderr;
        return r.status === 0 || undefined;
      }).catch((err: Error) => {
        throw new Error(`${err.message}: sacctmgr said ${said}`);
      });
    }
    await startDaemons();
    await startRest();
  } catch (err) {
    const logs = ['slurmctld.log', `slurmd-${NODE}.log`, 'slurmdbd.log'].map((f) => (existsSync(d(`log/${f}`)) ? `--- ${f}\n${readFileSync(d(`log/${f}`), 'utf8').slice(-2000)}` : '')).join('\n');
    await cluster.stop();
    throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
  }
  return cluster;
}

/** A Cluster registering `slurm` with Weft: JWT auth, its output directory, looked at every 0.3 s. */
export function clusterManifest(name: string, slurm: SlurmCluster, extra: Record<string, unknown> = {}): ResourceInput {
  return {
    apiVersion: 'weft/v1',
    kind: 'Cluster',
    metadata: { name },
    spec: { provider: 'slurm', endpoint: slurm.endpoint, auth: { type: 'jwt', user: slurm.user, tokenFile: slurm.tokenFile }, outputDir: slurm.outputDir, pollSeconds: 0.3, ...extra },
  };
}

/** An HS256 JWT as Slurm's auth/jwt accepts: "sun" is the Slurm user name. */
export function jwt(key: Buffer, user: string, lifetimeS: number): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + lifetimeS, sun: user })}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}

function userIds(name: string): { uid: number; gid: number } {
  const uid = Number(spawnSync('id', ['-u', name], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', name], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}
