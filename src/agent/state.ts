// The agent's state directory: its node credential and one folder per replica it started.
// Everything a restarted agent needs to carry on is here, so a crash never runs a replica twice.
//
//   <state>/node.json                 {name, server, token}  (mode 0600)
//   <state>/replicas/<alloc uid>/
//     record.json    what the agent started, with which driver, and what it has reported
//     ship.json      log-shipping offsets and next seq
//     …              the driver's own files (drivers/process: launch.json, supervisor.json,
//                    stdout.log, stderr.log, exit.json, …)
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllocatedGpu } from '../model/kinds/allocation.js';
import type { DriverName } from './drivers/driver.js';

export interface NodeCredential {
  name: string;
  server: string;
  token: string;
}

export interface ReplicaRecord {
  uid: string;
  project: string;
  allocation: string;
  workload: { kind: string; name: string; uid: string };
  replica: number;
  attempt: number;
  createdAt: string;
  /** The driver that runs it (records written before drivers had names are the process driver's). */
  driver?: DriverName;
  /** Why it could not be started (nothing to run, no driver for it): reported as Failed. */
  startError?: string;
  /** Host port given to a Service replica as PORT. */
  port?: number;
  /** The GPUs it was given: busy on this host until it has exited, whatever the server says. */
  gpus?: AllocatedGpu[];
  /** When the agent asked the replica to stop, and why. */
  stopRequestedAt?: string;
  stopReason?: string;
  /** The last "starting" message the server acknowledged (e.g. "Pulling image 42%"). */
  startingMessage?: string;
  /** The last phase the server acknowledged, so nothing is written twice. */
  reportedPhase?: string;
  /** Set once the final phase is on the server and logs are shipped: the folder may go. */
  done?: boolean;
}

/** Writes JSON atomically: a reader sees the old file or the new one, never half of one. */
export function writeJsonAtomic(path: string, value: unknown, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode });
  renameSync(tmp, path);
}

export function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class StateDir {
  constructor(readonly root: string) {
    mkdirSync(join(root, 'replicas'), { recursive: true, mode: 0o700 });
  }

  get credentialPath(): string {
    return join(this.root, 'node.json');
  }

  loadCredential(): NodeCredential | undefined {
    return readJson<NodeCredential>(this.credentialPath);
  }

  saveCredential(c: NodeCredential): void {
    writeJsonAtomic(this.credentialPath, c, 0o600);
    chmodSync(this.credentialPath, 0o600);
  }

  replicaDir(uid: string): string {
    return join(this.root, 'replicas', uid);
  }

  /**
   * Claims the replica folder; false when it exists already. mkdir is atomic, so this is the one
   * place that decides whether a replica may start — a replica is started at most once.
   */
  claim(record: ReplicaRecord): boolean {
    try {
      mkdirSync(this.replicaDir(record.uid), { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    this.saveRecord(record);
    return true;
  }

  saveRecord(r: ReplicaRecord): void {
    writeJsonAtomic(join(this.replicaDir(r.uid), 'record.json'), r);
  }

  replicaUids(): string[] {
    return readdirSync(join(this.root, 'replicas'));
  }

  records(): ReplicaRecord[] {
    const out: ReplicaRecord[] = [];
    for (const uid of this.replicaUids()) {
      const r = readJson<ReplicaRecord>(join(this.replicaDir(uid), 'record.json'));
      if (r) out.push(r);
    }
    return out;
  }

  has(uid: string): boolean {
    return existsSync(this.replicaDir(uid));
  }

  remove(uid: string): void {
    rmSync(this.replicaDir(uid), { recursive: true, force: true });
  }
}
