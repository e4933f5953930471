// slurmrestd's rest_auth/local on a UNIX socket, for real: it serves only clients of its own uid
// (and root), and munge vouches for that user to slurmctld. So the deployment that works is the
// Weft server process running as the same user as that slurmrestd. Here both run as an ordinary
// user (nobody: neither root nor Slurm's own user): the Cluster registered on the socket shows
// its node, and a Weft Job runs in Slurm as that user, its output in its log. A Weft server of
// another ordinary user (daemon) reaching the same socket is refused, and its Cluster says so.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeftClient } from '../../src/client/index.js';
import { readLogs } from '../../src/client/logs.js';
import { until } from '../../src/control/testing/until.js';
import type { Resource } from '../../src/model/metadata.js';
import { assertBuilt, ROOT, waitForOutput } from '../cli/helpers.js';
import { slurmAbsent, startSlurm, type SlurmCluster } from './daemons.js';
import { stopChild } from './processes.js';

const absent = slurmAbsent();
if (absent) console.warn(absent);

const USER = 'nobody';
const OTHER = 'daemon';
const P = 'local';
const LISTENING = /listening on (http:\/\/\S+?)[ ,(]/;
const TOKEN = /^\s+(weft_[A-Za-z0-9_-]{43})\s*$/m;
const reachable = (c: Resource): { status: string; message?: string } | undefined =>
  ((c.status?.conditions ?? []) as { type: string; status: string; message?: string }[]).find((x) => x.type === 'Reachable');

describe.skipIf(absent !== undefined)('slurmrestd with local (socket) authentication', () => {
  let slurm: SlurmCluster;
  let rest: { endpoint: string; stop(): Promise<void> };
  const servers: ChildProcess[] = [];
  const home = mkdtempSync(join(tmpdir(), 'weft-slurm-local-'));

  /** The real `weft server` process as `user`, with its own data directory; a client with its admin token. */
  async function weftServerAs(user: string): Promise<WeftClient> {
    const ids = { uid: Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout) };
    const dir = join(home, user);
    mkdirSync(dir);
    chownSync(dir, ids.uid, ids.gid);
    const child = spawn('/usr/bin/setpriv', [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', process.execPath, join(ROOT, 'bin/weft.js'), 'server', '--port', '0', '--data-dir', join(dir, 'data'), '--log-level', 'error'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    servers.push(child);
    const out = await waitForOutput(child, LISTENING, 60_000);
    const token = TOKEN.exec(out)?.[1] ?? TOKEN.exec(await waitForOutput(child, TOKEN))![1]!;
    const client = new WeftClient({ server: LISTENING.exec(out)![1]!, token });
    await client.create({ apiVersion: 'weft/v1', kind: 'Cluster', metadata: { name: 'sock' }, spec: { provider: 'slurm', endpoint: rest.endpoint, auth: { type: 'local' }, outputDir: slurm.outputDir, pollSeconds: 0.3 } });
    return client;
  }

  beforeAll(async () => {
    assertBuilt();
    chmodSync(home, 0o755);
    slurm = await startSlurm();
    rest = await slurm.startLocalRest(USER);
  }, 60_000);
  afterAll(async () => {
    for (const s of servers) await stopChild(s);
    await rest?.stop();
    await slurm?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('works for a Weft server of the same user: the node joins, and a Job runs in Slurm as that user', async () => {
    const client = await weftServerAs(USER);
    const node = await until('the Slurm node in Weft', async () => {
      const n = await client.get('Node', `sock-${slurm.node}`).catch(() => undefined);
      return n?.status?.state === 'Ready' ? n : undefined;
    });
    expect((node.spec as { gpus: unknown[] }).gpus).toHaveLength(8);
    await until('the Cluster reachable', async () => (reachable(await client.get('Cluster', 'sock'))?.status === 'True' ? true : undefined));

    await client.create({ apiVersion: 'weft/v1', kind: 'Project', metadata: { name: P }, spec: {} });
    await client.create({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'who', project: P }, spec: { replicas: 1, backoffLimit: 0, command: ['id', '-un'], resources: { cpu: '1', memory: '100Mi', gpu: { count: 1 } } } });
    const done = await until('the job ended', async () => {
      const a = (await client.list('Allocation', { project: P, labelSelector: 'weft.dev/workload=who' })).items[0];
      return a && ['Succeeded', 'Failed'].includes(String(a.status?.phase)) ? a : undefined;
    }, 60_000);
    expect(done.status?.phase, String(done.status?.message)).toBe('Succeeded');
    expect(slurm.run('/usr/bin/scontrol', ['show', 'job', String(done.status?.slurmJobId)]).stdout).toContain(`UserId=${USER}(`);
    expect((await readLogs(client, { kind: 'Job', project: P, name: 'who', replica: 0 })).trim()).toBe(USER);
  });

  it('refuses a Weft server of another user: its Cluster is unreachable, saying why', async () => {
    const client = await weftServerAs(OTHER);
    const cond = await until('the Cluster unreachable', async () => {
      const c = reachable(await client.get('Cluster', 'sock'));
      return c?.status === 'False' ? c : undefined;
    });
    expect(cond.message).toContain('refused the credentials (HTTP 401: Authentication failure)');
    expect((await client.list('Node')).items).toHaveLength(0);
  });
});
