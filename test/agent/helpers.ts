// Helpers for the agent end-to-end tests: start real `weft agent` processes against a real
// `weft up`, wait on state through the API, and clean up replica processes left behind by an
// agent that was killed on purpose.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WeftClient } from '../../src/client/index.js';
import type { Resource } from '../../src/model/metadata.js';
import { interrupt, waitForOutput, type Sandbox, type UpServer } from '../cli/helpers.js';

export interface AgentProc {
  name: string;
  stateDir: string;
  child: ChildProcess;
}

export async function joinToken(box: Sandbox): Promise<string> {
  const res = await box.weft(['token', 'create', '--join']);
  if (res.code !== 0) throw new Error(`weft token create --join failed: ${res.stderr}`);
  return res.stdout.trim().split(/\s+/).pop()!;
}

export async function startAgent(box: Sandbox, server: string, name: string, token?: string, extra: string[] = []): Promise<AgentProc> {
  const stateDir = join(box.dir, 'agents', name);
  const args = ['agent', '--server', server, '--name', name, '--state-dir', stateDir, '--fake-gpus', '8xH100-80GB', '--heartbeat-interval', '1s', ...extra];
  if (token) args.push('--token', token);
  const child = box.spawn(args);
  await waitForOutput(child, /Weft agent running as node/, 30_000);
  return { name, stateDir, child };
}

/** SIGKILL, as a crash would; resolves once the process is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGKILL');
  await gone;
}

/** Kills replica processes (and their supervisors) recorded in an agent's state directory. */
export function killReplicas(stateDir: string): void {
  const dir = join(stateDir, 'replicas');
  if (!existsSync(dir)) return;
  for (const uid of readdirSync(dir)) {
    // A process replica's supervisor is in its folder; a VM's (running QEMU) in qemu/.
    for (const file of [join(dir, uid, 'supervisor.json'), join(dir, uid, 'qemu', 'supervisor.json')]) killSupervised(file);
  }
}

function killSupervised(file: string): void {
  try {
    const sup = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number; childPid?: number };
    for (const pid of [sup.childPid ? -sup.childPid : undefined, sup.pid]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  } catch {
    /* never started */
  }
}

/** Ends a test's agent (and the replicas it left), then its `weft up`, then removes its sandbox; each only if it was started. */
export async function stopRig(rig: { agent?: AgentProc | undefined; up?: UpServer | undefined; box?: Sandbox | undefined }): Promise<void> {
  if (rig.agent) {
    await killHard(rig.agent.child);
    killReplicas(rig.agent.stateDir);
  }
  if (rig.up) await interrupt(rig.up.child);
  rig.box?.cleanup();
}

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export function jobPhase(client: WeftClient, project: string, name: string): Promise<string> {
  return client.get('Job', name, { project }).then((j) => String(j.status?.phase ?? 'Pending'));
}

export async function allocationsOf(client: WeftClient, project: string, job: string): Promise<Resource[]> {
  const list = await client.list('Allocation', { project, labelSelector: `weft.dev/workload=${job}` });
  return list.items;
}

export function nodeOf(a: Resource): string {
  return (a.spec as { node: string }).node;
}
