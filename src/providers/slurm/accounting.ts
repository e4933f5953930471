// Where the end of a job Slurm users submitted themselves is read from (external-sync.ts).
// slurmctld lists an ended job only for MinJobAge (300 s by default); Slurm's accounting
// (slurmdbd, through slurmrestd's slurmdb API) keeps it. So where slurmrestd serves that API,
// each ended job is metered from its accounting record, with its real start and end, even when
// it ran and ended while Weft was not looking; elsewhere slurmctld's list is the only record,
// and a job it no longer lists is closed when Weft notices. The Cluster's status.accounting says
// which record is used and why.
//
// The accounting window: jobs that ran at some time since the last look that read it (kept in
// status.accounting.through, so a restarted server catches up on what ended while it was down),
// less a margin for slurmctld's lag in sending records to slurmdbd, and reaching back to the
// start of every mirrored job still open. Read on the first look of a loop, whenever a mirrored
// job has left slurmctld's list, and otherwise every EVERY_MS.
import type { Resource } from '../../model/metadata.js';
import type { ClusterLook } from './cluster-controller.js';
import { SlurmUnreachableError, type SlurmDbJob, type SlurmJob } from './rest.js';

export type AccountingSource = 'slurmdbd' | 'slurmctld';

/** The Cluster's status.accounting. */
export interface AccountingStatus {
  source: AccountingSource;
  message: string;
  /** Weft's time of the last look that read slurmdbd: the next window starts there. */
  through?: string;
}

export interface AccountingRead {
  status: AccountingStatus;
  /** slurmdbd's jobs in the window; undefined when it was not read on this look (or could not be). */
  jobs?: readonly SlurmDbJob[];
}

const EVERY_MS = 30_000;
const MARGIN_S = 120;

const FROM_DBD = "ended jobs are metered from Slurm's accounting (slurmdbd)";

/** One per cluster loop: remembers when slurmdbd was last read. */
export function accountingReader(): (look: ClusterLook, openSince: Date | undefined) => Promise<AccountingRead> {
  let lastRead: number | undefined;
  return async (look, openSince) => {
    const prev = look.cluster.status?.accounting as AccountingStatus | undefined;
    const now = look.now.getTime();
    const due = lastRead === undefined || openSince !== undefined || now - lastRead >= EVERY_MS;
    if (!due && prev) return { status: prev };
    const since = Math.min(Date.parse(prev?.through ?? look.cluster.metadata.creationTimestamp ?? look.now.toISOString()), openSince?.getTime() ?? Infinity);
    try {
      const jobs = await look.rest.accountingJobs((now - since) / 1000 + MARGIN_S);
      if (!jobs) return { status: { source: 'slurmctld', message: "slurmrestd does not serve Slurm's accounting (openapi/dbv0.0.38): ended jobs are read from slurmctld's job list" } };
      lastRead = now;
      return { jobs, status: { source: 'slurmdbd', message: FROM_DBD, through: look.now.toISOString() } };
    } catch (err) {
      if (err instanceof SlurmUnreachableError) throw err;
      const why = (err as Error).message;
      // It answered before: it is down, not absent. Ended jobs wait for it rather than be closed now.
      if (prev?.source === 'slurmdbd') return { status: { ...prev, message: `slurmdbd did not answer (${why}): ended jobs wait for it` } };
      return { status: { source: 'slurmctld', message: `Slurm's accounting did not answer (${why}): ended jobs are read from slurmctld's job list` } };
    }
  };
}

const RUNNING_OR_WAITING = new Set(['PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETING', 'CONFIGURING', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT']);

/** An accounting record that has ended after running, with what the mirror reads; undefined otherwise. */
export interface EndedRecord {
  job: SlurmJob;
  /** GPUs over all its nodes (its allocated gres/gpu TRES). */
  gpus: number;
}

export function endedFromAccounting(j: SlurmDbJob): EndedRecord | undefined {
  const state = j.state.current.toUpperCase();
  if (RUNNING_OR_WAITING.has(state) || !(j.time.start > 0) || !(j.time.end > 0)) return undefined;
  const signal = j.exit_code?.signal?.signal_id ?? 0;
  const tres = j.tres?.allocated ?? [];
  const count = (type: string, name: string | null = null): number | undefined => tres.find((t) => t.type === type && t.name === name)?.count ?? undefined;
  const job: SlurmJob = {
    job_id: j.job_id,
    name: j.name,
    job_state: state,
    nodes: j.nodes,
    account: j.account,
    user_name: j.user,
    // As slurmctld encodes it: the exit code in the high byte, a signal in the low bits.
    exit_code: ((j.exit_code?.return_code ?? 0) << 8) | (signal & 0x7f),
    start_time: j.time.start,
    end_time: j.time.end,
    cpus: count('cpu'),
    comment: j.comment?.job ?? undefined,
  };
  return { job, gpus: count('gres', 'gpu') ?? 0 };
}

/** The earliest start of the mirrored jobs still open that slurmctld no longer lists, if any. */
export function openSince(gone: readonly Resource[]): Date | undefined {
  const starts = gone.map((j) => Date.parse(String(j.status?.startedAt ?? ''))).filter(Number.isFinite);
  return starts.length > 0 ? new Date(Math.min(...starts)) : undefined;
}
