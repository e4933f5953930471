// Leases on this node (model/kinds/lease.ts): the lease controller writes what it wants on the
// Node's status.lease; the agent makes it so and reports on status.leaseAccess.
//
//   Active   an account per user with their SSH keys; reported Ready with how to connect.
//   Ending   the accounts removed, then the cleanup hook (wipe scratch, reset GPUs, check GPU
//            health): exit 0 = healthy, else its last line of output is the reason the node
//            stays cordoned; reported Cleaned.
//
// Accounts: real users (useradd/userdel, root needed) by default; with an accounts root, a
// directory stands in for /home (ROOT/USER/.ssh/authorized_keys), which keeps tests contained.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { patchNodeStatus } from '../client/agent-api.js';
import type { WeftClient } from '../client/client.js';
import type { LeaseUser, NodeLease, NodeLeaseAccess } from '../model/kinds/lease.js';

const run = promisify(execFile);

export interface LeaseAgentOptions {
  /** A directory standing in for /home; absent = real accounts with useradd/userdel. */
  accountsRoot?: string;
  /** Shell command run at the end of a lease, after the accounts are gone. */
  cleanupHook?: string;
  /** Longest the cleanup hook may run (default 10 min). */
  cleanupTimeoutMs?: number;
}

export class LeaseAgent {
  private busy = false;

  constructor(
    private readonly client: WeftClient,
    private readonly node: string,
    private readonly address: string,
    private readonly opts: LeaseAgentOptions,
    private readonly log: (msg: string) => void,
  ) {}

  /** One look at the Node: does what its lease asks that was not reported done yet. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const node = await this.client.get('Node', this.node);
      const want = node.status?.lease as NodeLease | undefined;
      const done = node.status?.leaseAccess as NodeLeaseAccess | undefined;
      if (!want) return;
      const reported = done?.lease === want.lease ? done.phase : undefined;
      if (want.phase === 'Active' && reported === undefined) await this.report(await this.open(want));
      if (want.phase === 'Ending' && reported !== 'Cleaned') await this.report(await this.close(want));
    } finally {
      this.busy = false;
    }
  }

  private async report(access: NodeLeaseAccess): Promise<void> {
    await patchNodeStatus(this.client, this.node, { leaseAccess: access });
  }

  private async open(lease: NodeLease): Promise<NodeLeaseAccess> {
    try {
      for (const u of lease.users) await this.createAccount(u);
      this.log(`lease ${lease.lease}: accounts ${lease.users.map((u) => u.name).join(', ')} created`);
      return { lease: lease.lease, phase: 'Ready', connect: lease.users.map((u) => `ssh ${u.name}@${this.address}`) };
    } catch (e) {
      this.log(`lease ${lease.lease}: accounts not created: ${(e as Error).message}`);
      return { lease: lease.lease, phase: 'Failed', message: (e as Error).message.slice(0, 500) };
    }
  }

  private async close(lease: NodeLease): Promise<NodeLeaseAccess> {
    const problems: string[] = [];
    for (const u of lease.users) await this.removeAccount(u).catch((e: unknown) => problems.push(`${u.name}: ${(e as Error).message}`));
    const check = await this.cleanup(lease);
    const healthy = problems.length === 0 && check.ok;
    const message = [...problems.map((p) => `account not removed: ${p}`), check.message].filter((m) => m !== '').join('; ');
    this.log(`lease ${lease.lease}: cleaned, ${healthy ? 'healthy' : `not healthy: ${message}`}`);
    return { lease: lease.lease, phase: 'Cleaned', healthy, message };
  }

  private async createAccount(u: LeaseUser): Promise<void> {
    const keys = `${u.sshKeys.join('\n')}\n`;
    if (this.opts.accountsRoot !== undefined) {
      const ssh = join(this.opts.accountsRoot, u.name, '.ssh');
      mkdirSync(ssh, { recursive: true, mode: 0o700 });
      writeFileSync(join(ssh, 'authorized_keys'), keys, { mode: 0o600 });
      chmodSync(join(ssh, 'authorized_keys'), 0o600);
      return;
    }
    await run('useradd', ['--create-home', '--shell', '/bin/bash', u.name]).catch((e: { stderr?: string; message: string }) => {
      if (!/already exists/.test(e.stderr ?? '')) throw new Error(`useradd ${u.name}: ${(e.stderr ?? e.message).trim()}`);
    });
    const { stdout } = await run('getent', ['passwd', u.name]);
    const home = stdout.split(':')[5]!;
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, '.ssh', 'authorized_keys'), keys, { mode: 0o600 });
    await run('chown', ['-R', `${u.name}:`, join(home, '.ssh')]);
  }

  private async removeAccount(u: LeaseUser): Promise<void> {
    if (this.opts.accountsRoot !== undefined) return rmSync(join(this.opts.accountsRoot, u.name), { recursive: true, force: true });
    await run('userdel', ['--remove', u.name]).catch((e: { stderr?: string; message: string }) => {
      if (!/does not exist/.test(e.stderr ?? '')) throw new Error(`userdel ${u.name}: ${(e.stderr ?? e.message).trim()}`);
    });
  }

  /** Runs the cleanup hook: exit 0 = healthy; otherwise its last line of output says why not. */
  private cleanup(lease: NodeLease): Promise<{ ok: boolean; message: string }> {
    const hook = this.opts.cleanupHook;
    if (!hook) return Promise.resolve({ ok: true, message: 'no cleanup hook configured (weft agent --lease-cleanup)' });
    return new Promise((resolve) => {
      const child = spawn('sh', ['-c', hook], { env: { ...process.env, WEFT_LEASE: lease.lease, WEFT_NODE: this.node }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const keep = (b: Buffer): void => {
        out = (out + b.toString()).slice(-4096);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.cleanupTimeoutMs ?? 600_000);
      child.on('error', (e) => resolve({ ok: false, message: `cleanup hook did not start: ${e.message}` }));
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        const last = out.trim().split('\n').pop() ?? '';
        resolve(code === 0 ? { ok: true, message: last } : { ok: false, message: last || `cleanup hook ${signal ? `killed by ${signal}` : `exited ${code}`}` });
      });
    });
  }
}
