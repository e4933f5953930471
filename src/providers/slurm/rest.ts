// A small client of slurmrestd's OpenAPI v0.0.38 (Slurm 22.05 and later): the few calls Weft
// makes, over TCP with a JWT or over a UNIX socket with rest_auth/local, and of its slurmdb API
// (openapi/dbv0.0.38: Slurm's accounting, kept by slurmdbd) where slurmrestd serves it. Field
// names follow the schema slurmrestd serves at /openapi/v3; only the fields Weft reads are typed.
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFile } from 'node:fs/promises';
import type { ClusterAuth } from '../../model/kinds/cluster.js';

export const SLURM_API = '/slurm/v0.0.38';
export const SLURMDB_API = '/slurmdb/v0.0.38';

/** slurmrestd did not answer, or answered with something other than a Slurm reply. */
export class SlurmUnreachableError extends Error {
  readonly code = 'SlurmUnreachable';
}

/** slurmrestd answered, and Slurm refused the request (its errors[] are in the message). */
export class SlurmRequestError extends Error {
  readonly code = 'SlurmRequestFailed';
  constructor(
    message: string,
    readonly status: number,
    readonly slurmCodes: number[],
  ) {
    super(message);
  }
}

export interface SlurmNode {
  name: string;
  /** idle, mixed, allocated, down, drained, draining, future, unknown … */
  state: string;
  state_flags?: string[];
  cpus: number;
  real_memory: number;
  /** e.g. "gpu:h100:8" or "gpu:8(S:0-1)"; comma-separated when there are several. */
  gres: string;
  gres_used?: string;
  partitions?: string[];
  address?: string;
  reason?: string;
}

export interface SlurmJob {
  job_id: number;
  name: string;
  /** PENDING, RUNNING, SUSPENDED, COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY … */
  job_state: string;
  state_reason?: string;
  nodes: string;
  account?: string;
  user_name?: string;
  partition?: string;
  /** Encoded like a wait status' high byte: the batch script's exit code. */
  exit_code?: number;
  /** Unix seconds; 0 while unknown. */
  submit_time?: number;
  start_time?: number;
  end_time?: number;
  /** CPUs allocated to the job, over all its nodes. */
  cpus?: number;
  tres_per_node?: string;
  tres_alloc_str?: string;
  gres_detail?: string[];
  comment?: string;
  standard_output?: string;
  batch_flag?: boolean;
}

/** A job in Slurm's accounting (slurmdbd), as its slurmdb API returns it. */
export interface SlurmDbJob {
  job_id: number;
  name: string;
  account?: string;
  user?: string;
  /** The job's nodes, as a compressed host list ("None assigned" when it never ran). */
  nodes: string;
  state: { current: string; reason?: string };
  /** Unix seconds; start and end 0 while unknown. */
  time: { start: number; end: number; submission?: number };
  exit_code?: { status?: string; return_code?: number; signal?: { signal_id?: number } };
  tres?: { allocated?: { type: string; name: string | null; count: number | null }[] };
  /** The job's comment: stored by slurmdbd only with AccountingStoreFlags=job_comment. */
  comment?: { job?: string | null };
}

/** The job description Weft submits: sbatch's long options with "_" for "-" (slurmrestd parses them so). */
export type SlurmJobDesc = Record<string, string | number | boolean | Record<string, string> | string[]>;

export interface SlurmRest {
  ping(): Promise<void>;
  nodes(): Promise<SlurmNode[]>;
  jobs(): Promise<SlurmJob[]>;
  submit(script: string, job: SlurmJobDesc): Promise<number>;
  /** Signals a job (default SIGKILL through Slurm's cancel); a job already gone is not an error. */
  cancel(jobId: number, signal?: string): Promise<void>;
  /**
   * Jobs in Slurm's accounting that ran (or waited) at some time in the last `seconds` seconds,
   * by slurmdbd's clock; undefined when this slurmrestd does not serve the slurmdb API.
   */
  accountingJobs(seconds: number): Promise<SlurmDbJob[] | undefined>;
}

export interface SlurmRestOptions {
  endpoint: string;
  auth: ClusterAuth;
  /** Reads a JWT the auth keeps in a Secret (secretRef). */
  openSecret?: (project: string, name: string) => Promise<Record<string, string> | undefined>;
  /** Longest a request may take (default 10 s). */
  timeoutMs?: number;
}

interface Reply {
  status: number;
  body: { errors?: { error?: string; error_code?: number; description?: string }[]; [k: string]: unknown };
}

export function slurmRest(opts: SlurmRestOptions): SlurmRest {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const target = parseEndpoint(opts.endpoint);

  async function headers(): Promise<Record<string, string>> {
    const auth = opts.auth;
    if (auth.type === 'local') return {};
    let token: string | undefined;
    if ('secretRef' in auth) {
      const { project, name, key } = auth.secretRef;
      const values = await opts.openSecret?.(project, name).catch(() => undefined);
      token = values?.[key];
      if (token === undefined) throw new SlurmUnreachableError(`the JWT is not in Secret ${project}/${name} (key "${key}")`);
    } else {
      try {
        token = await readFile(auth.tokenFile, 'utf8');
      } catch (err) {
        throw new SlurmUnreachableError(`cannot read the JWT from ${auth.tokenFile}: ${(err as Error).message}`);
      }
    }
    return { 'X-SLURM-USER-NAME': auth.user, 'X-SLURM-USER-TOKEN': token.trim() };
  }

  async function call(method: string, path: string, body?: unknown): Promise<Reply> {
    const h = await headers();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) h['Content-Type'] = 'application/json';
    return new Promise<Reply>((resolve, reject) => {
      const fail = (why: string): void => reject(new SlurmUnreachableError(`slurmrestd at ${opts.endpoint}: ${why}`));
      const send = target.protocol === 'https:' ? httpsRequest : request;
      const req = send(
        { ...target.connect, method, path: `${target.prefix}${path}`, headers: h, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => fail(e.message));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply['body'] });
            } catch {
              const said = `HTTP ${res.statusCode}: ${text.slice(0, 200) || 'empty reply'}`;
              // A path this slurmrestd does not serve (a plugin it did not load) is an answer.
              if (res.statusCode === 404) resolve({ status: 404, body: { errors: [{ error: said }] } });
              // rest_auth/local answers a client of another uid so, in plain text.
              else if (res.statusCode === 401 || res.statusCode === 403) fail(`refused the credentials (${said})`);
              else fail(said);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      req.on('error', (e) => fail(e.message));
      req.end(payload);
    });
  }

  async function ok(method: string, path: string, body?: unknown, reply?: Reply): Promise<Reply['body']> {
    const r = reply ?? (await call(method, path, body));
    const errors = (r.body.errors ?? []).filter((e) => (e.error_code ?? 0) !== 0 || r.status >= 400);
    if (r.status === 401 || r.status === 403) throw new SlurmUnreachableError(`slurmrestd at ${opts.endpoint} refused the credentials (HTTP ${r.status})`);
    if (r.status >= 400 || errors.length > 0) {
      const what = errors.map((e) => e.error ?? e.description ?? `code ${e.error_code}`).join('; ') || `HTTP ${r.status}`;
      throw new SlurmRequestError(`Slurm: ${what}`, r.status, errors.map((e) => e.error_code ?? 0));
    }
    return r.body;
  }

  return {
    async ping() {
      await ok('GET', `${SLURM_API}/ping`);
    },
    async nodes() {
      return ((await ok('GET', `${SLURM_API}/nodes`)).nodes ?? []) as SlurmNode[];
    },
    async jobs() {
      return ((await ok('GET', `${SLURM_API}/jobs`)).jobs ?? []) as SlurmJob[];
    },
    async submit(script, job) {
      const body = await ok('POST', `${SLURM_API}/job/submit`, { script, job });
      const id = body.job_id;
      if (typeof id !== 'number') throw new SlurmRequestError('Slurm accepted the job but returned no job_id', 200, []);
      return id;
    },
    async accountingJobs(seconds) {
      // Relative to slurmdbd's own clock ("now-N"), so the two hosts' clocks need not agree.
      const path = `${SLURMDB_API}/jobs?start_time=now-${Math.ceil(seconds)}&end_time=now`;
      const r = await call('GET', path);
      if (r.status === 404 && r.body.jobs === undefined) return undefined;
      return ((await ok('GET', path, undefined, r)).jobs ?? []) as SlurmDbJob[];
    },
    async cancel(jobId, signal) {
      const q = signal ? `?signal=${encodeURIComponent(signal)}` : '';
      try {
        await ok('DELETE', `${SLURM_API}/job/${jobId}${q}`);
      } catch (err) {
        // Already finished or purged: cancelling it is done.
        if (err instanceof SlurmRequestError && /already completed|invalid job id|does not exist/i.test(err.message)) return;
        throw err;
      }
    },
  };
}

interface Target {
  protocol: string;
  prefix: string;
  connect: { socketPath: string } | { host: string; port: number };
}

function parseEndpoint(endpoint: string): Target {
  if (endpoint.startsWith('unix:')) return { protocol: 'http:', prefix: '', connect: { socketPath: endpoint.slice('unix:'.length) } };
  const u = new URL(endpoint);
  const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { protocol: u.protocol, prefix: u.pathname.replace(/\/$/, ''), connect: { host: u.hostname, port } };
}
