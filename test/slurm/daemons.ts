// A real one-node Slurm cluster for tests: munged, slurmctld, slurmd (8 GPUs declared as GRES
// on character devices that behave like /dev/null) and slurmrestd (JWT over loopback TCP, run
// as the slurm user, since it refuses root), each in the foreground as a child of the test, with
// its own config, state and log directories and free loopback ports. stop() ends them by PID.
// Needs Debian's slurmctld, slurmd, slurmrestd, slurm-wlm-jwt-plugin and munge, and root (slurmd
// starts jobs as their user); slurmAbsent() says what is missing, for a clear skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { until } from '../../src/control/testing/until.js';
import type { ResourceInput } from '../../src/model/metadata.js';

const BINARIES = ['/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/slurmrestd', '/usr/bin/sbatch', '/usr/bin/setpriv'];
const JWT_PLUGIN = '/usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so';

/** Why a real Slurm cluster cannot be started here; undefined when it can. */
export function slurmAbsent(): string | undefined {
  const missing = [...BINARIES, JWT_PLUGIN].filter((b) => !existsSync(b));
  if (missing.length > 0) return `Slurm tests skipped: ${missing.join(', ')} not installed (apt-get install slurmctld slurmd slurmrestd slurm-client slurm-wlm-jwt-plugin munge)`;
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
  run(tool: string, args: string[], asUser?: string): { status: number | null; stdout: string; stderr: string };
  stopRest(): Promise<void>;
  startRest(): Promise<void>;
  /** slurmctld and slurmd stop and start again (their state kept); running jobs go on. */
  restartDaemons(): Promise<void>;
  stop(): Promise<void>;
}

const NODE = 'n1';
const GPUS = 8;

export async function startSlurm(opts: { gpuType?: string } = {}): Promise<SlurmCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-slurm-'));
  chmodSync(dir, 0o755);
  const d = (p: string): string => join(dir, p);
  for (const sub of ['etc', 'state', 'spool', `spool/${NODE}`, 'log', 'run', 'dev', 'munge']) mkdirSync(d(sub));
  mkdirSync(d('out'), { mode: 0o1777 });
  chmodSync(d('out'), 0o1777);
  const slurmIds = userIds('slurm');
  for (const sub of ['state', 'log', 'run']) chownSync(d(sub), slurmIds.uid, slurmIds.gid);
  for (let i = 0; i < GPUS; i++) spawnSync('mknod', [d(`dev/gpu${i}`), 'c', '1', '3']);
  writeFileSync(d('munge/munge.key'), randomBytes(1024), { mode: 0o600 });
  const jwtKey = randomBytes(32);
  writeFileSync(d('etc/jwt.key'), jwtKey, { mode: 0o600 });
  chownSync(d('etc/jwt.key'), slurmIds.uid, slurmIds.gid);

  const [ctldPort, slurmdPort, restPort] = await freePorts(3);
  const munge = d('run/munge.sock');
  const gresType = opts.gpuType ?? 'h100';
  writeFileSync(
    d('etc/slurm.conf'),
    [
      'ClusterName=weft-test',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${slurmdPort}`,
      'SlurmUser=slurm',
      'AuthType=auth/munge',
      `AuthInfo=socket=${munge}`,
      'CredType=cred/munge',
      'AuthAltTypes=auth/jwt',
      `AuthAltParameters=jwt_key=${d('etc/jwt.key')}`,
      `StateSaveLocation=${d('state')}`,
      `SlurmdSpoolDir=${d('spool')}/%n`,
      `SlurmctldPidFile=${d('run/slurmctld.pid')}`,
      `SlurmdPidFile=${d('run/slurmd-%n.pid')}`,
      `SlurmctldLogFile=${d('log/slurmctld.log')}`,
      `SlurmdLogFile=${d('log/slurmd-%n.log')}`,
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'JobAcctGatherType=jobacct_gather/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'GresTypes=gpu',
      'ReturnToService=2',
      'MpiDefault=none',
      // The test node declares more CPUs and memory than a small CI machine has.
      'SlurmdParameters=config_overrides',
      'SchedulerType=sched/backfill',
      `NodeName=${NODE} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=16 RealMemory=65536 Gres=gpu:${gresType}:${GPUS} State=UNKNOWN`,
      'PartitionName=gpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  writeFileSync(d('etc/gres.conf'), `NodeName=${NODE} Name=gpu Type=${gresType} File=${d('dev/gpu')}[0-${GPUS - 1}]\n`);
  const conf = d('etc/slurm.conf');
  const env = { ...process.env, SLURM_CONF: conf };

  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, log = 'daemon'): ChildProcess => {
    const out = `${d('log')}/${log}.out`;
    const child = spawn(cmd, args, { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: string[] = [];
    child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()));
    child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()));
    child.on('exit', () => {
      try {
        writeFileSync(out, chunks.join(''));
      } catch {
        // the directory is gone: the cluster was stopped
      }
    });
    children.push(child);
    return child;
  };
  let rest: ChildProcess | undefined;
  let ctld: ChildProcess | undefined;
  let slurmd: ChildProcess | undefined;
  const startDaemons = async (): Promise<void> => {
    ctld = start('/usr/sbin/slurmctld', ['-D', '-i', '-f', conf], {}, 'slurmctld');
    slurmd = start('/usr/sbin/slurmd', ['-D', '-f', conf, '-N', NODE], {}, 'slurmd');
    await until('the Slurm node up', async () => {
      const r = spawnSync('/usr/bin/sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8' });
      return ['idle', 'mixed', 'allocated'].includes(r.stdout.trim()) || undefined;
    });
  };
  const startRest = async (): Promise<void> => {
    rest = start(
      '/usr/bin/setpriv',
      ['--reuid=slurm', '--regid=slurm', '--clear-groups', '/usr/sbin/slurmrestd', '-s', 'openapi/v0.0.38', '-a', 'rest_auth/jwt', `127.0.0.1:${restPort}`],
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
    run(tool, args, asUser) {
      const cmd = asUser ? '/usr/bin/setpriv' : tool;
      const argv = asUser ? [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', tool, ...args] : args;
      const r = spawnSync(cmd, argv, { env, encoding: 'utf8', cwd: d('out') });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    async stopRest() {
      if (rest) await stopChild(rest);
      rest = undefined;
    },
    startRest,
    async restartDaemons() {
      for (const c of [slurmd, ctld]) if (c) await stopChild(c);
      await startDaemons();
    },
    async stop() {
      for (const c of [...children].reverse()) await stopChild(c);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  writeFileSync(cluster.tokenFile, jwt(jwtKey, cluster.user, 3600), { mode: 0o600 });
  try {
    start('/usr/sbin/munged', ['--foreground', '--force', `--key-file=${d('munge/munge.key')}`, `--socket=${munge}`, `--pid-file=${d('munge/munged.pid')}`, `--seed-file=${d('munge/seed')}`, `--log-file=${d('munge/munged.log')}`], {}, 'munged');
    await until('munged', async () => existsSync(munge) || undefined);
    await startDaemons();
    await startRest();
  } catch (err) {
    const logs = ['slurmctld.log', `slurmd-${NODE}.log`].map((f) => (existsSync(d(`log/${f}`)) ? `--- ${f}\n${readFileSync(d(`log/${f}`), 'utf8').slice(-2000)}` : '')).join('\n');
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

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
