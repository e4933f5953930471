// Runs the control plane in this process, for `weft up` and `weft server`. Starting the server
// is the one place the CLI touches the store and API modules; every other command is a client.
// They are imported lazily so that ordinary commands start fast.
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseDurationSeconds } from './duration.js';
import { CliError } from './errors.js';

export interface ServeOptions {
  databaseUrl?: string;
  dataDir?: string;
  port: number;
  host: string;
  /** Issue a fresh admin token even though this store was initialised before (lost credential). */
  newAdminToken?: boolean;
  /** pino level; logs go to stderr so they never mix with what the command prints. */
  logLevel: string;
  /** Register the simulated demo fleet (weft up --demo). */
  demo?: boolean;
  /** Probability that a simulated replica fails (--sim-failure-rate). */
  simFailureRate?: number;
  /** Agent nodes: silence before NotReady, then before their allocations are Lost (ms). */
  nodeNotReadyAfterMs?: number;
  nodeLostAfterMs?: number;
  /** Server key and signed audit checkpoints (outside the database); default `<dataDir>-audit`. */
  auditDir?: string;
  auditCheckpointMs?: number;
}

export interface RunningServer {
  /** Base URL clients on this machine can reach (0.0.0.0 becomes 127.0.0.1). */
  url: string;
  /** The bootstrap admin token: only on the very first start of this store, or when asked for. */
  bootstrapToken?: string;
  adminUser: string;
  /** Size of the simulated fleet, when this store has one (weft up --demo, now or before). */
  demo?: { nodes: number; gpus: number };
  stop(): Promise<void>;
}

export async function startControlPlane(opts: ServeOptions): Promise<RunningServer> {
  // Fail on a busy port before opening the database: a second `weft up` in the same directory
  // must not touch the data of the one already running.
  if (opts.port !== 0) await assertPortFree(opts.port, opts.host);
  const { openStore } = await import('../store/index.js');
  const { startServer } = await import('../api/server.js');
  const { ensureBootstrapAdmin, issueToken } = await import('../api/auth.js');
  const { startWorkloads } = await import('./workloads.js');
  // Loaded up front: once the control plane runs, the event loop is busy with its start-up and a
  // module loaded then would hold back readiness for no reason.
  const { startBudgetController } = await import('../control/metering/budget-controller.js');
  const { pino } = await import('pino');
  const logger = pino({ level: opts.logLevel, base: undefined }, pino.destination(2));
  if (opts.databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(opts.databaseUrl)) {
    throw new CliError('the database URL must start with postgres:// or postgresql://', 2);
  }
  const storeLog = (msg: string): void => logger.info(msg);
  // The key and checkpoints live beside the data directory, never in the database they vouch for.
  const auditDir = opts.auditDir ?? (opts.dataDir !== undefined ? `${opts.dataDir}-audit` : undefined);
  const { CheckpointPublisher, CHECKPOINT_FILE } = await import('../control/audit/checkpoints.js');
  const { ServerKey } = await import('../control/audit/server-key.js');
  const book = auditDir !== undefined ? { file: join(auditDir, CHECKPOINT_FILE), key: ServerKey.loadOrCreate(auditDir) } : undefined;
  const store = await openStore(opts.databaseUrl ? { url: opts.databaseUrl, logger: storeLog } : { dataDir: opts.dataDir, logger: storeLog });
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  let boot: Awaited<ReturnType<typeof ensureBootstrapAdmin>>;
  let workloads: Awaited<ReturnType<typeof startWorkloads>> | undefined;
  let budgets: { stop(): Promise<void> } | undefined;
  let gateway: import('../api/gateway/index.js').Gateway | undefined;
  let checkpoints: InstanceType<typeof CheckpointPublisher> | undefined;
  try {
    boot = await ensureBootstrapAdmin(store);
    if (!boot.token && opts.newAdminToken) {
      const issued = await issueToken(store, { kind: 'user', subject: boot.user, description: 'admin token issued by weft up --new-admin-token' });
      boot = { ...boot, token: issued.token };
    }
    const { createMetrics } = await import('../api/metrics.js');
    const metrics = createMetrics();
    // The gateway's load feeds the autoscaler, which runs only while this process leads.
    const { startGateway } = await import('../api/gateway/index.js');
    gateway = await startGateway(store, { log: (m) => logger.info(m) });
    // Listen before starting the control plane: on a large store its start-up (the provider's and
    // the controllers' initial lists, on the embedded engine's single connection) takes a while,
    // and a restarted server must answer the API meanwhile. /readyz says 503 until it is done.
    let starting: string | undefined = 'the control plane is starting';
    server = await startServer({ store, port: opts.port, host: opts.host, logger, metrics, gateway, notReady: () => starting, ...(book ? { auditCheckpoints: book } : {}) });
    if (book) {
      checkpoints = new CheckpointPublisher({
        store,
        book,
        log: { checkpoint: (c) => logger.info({ auditCheckpoint: c }, 'audit checkpoint'), error: (m) => logger.error(m) },
        intervalMs: opts.auditCheckpointMs,
      });
      await checkpoints.start();
    }
    workloads = await startWorkloads(store, { demo: opts.demo, simFailureRate: opts.simFailureRate, nodeNotReadyAfterMs: opts.nodeNotReadyAfterMs, nodeLostAfterMs: opts.nodeLostAfterMs, log: (m) => logger.info(m), metrics, traffic: gateway.traffic });
    budgets = startBudgetController({ store, log: (m) => logger.info(m) });
    starting = undefined;
    logger.info('control plane started; ready');
  } catch (err) {
    await server?.close().catch(() => undefined);
    await checkpoints?.stop().catch(() => undefined);
    await budgets?.stop().catch(() => undefined);
    await workloads?.stop().catch(() => undefined);
    await gateway?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portInUse(opts.port, opts.host);
    throw err;
  }
  return {
    url: localUrl(server.url),
    bootstrapToken: boot.token,
    adminUser: boot.user,
    demo: workloads.demo,
    stop: async () => {
      await server.close();
      // The last checkpoint covers every request the server answered.
      await checkpoints?.stop();
      await budgets?.stop();
      await workloads?.stop();
      await gateway?.stop();
      await store.close();
    },
  };
}

/** Keeps the process serving until SIGINT/SIGTERM, then shuts down cleanly. */
export function stopOnSignal(server: RunningServer): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) {
        process.exit(130); // a second Ctrl-C: do not wait any longer
      }
      stopping = true;
      console.error('\nweft: shutting down…');
      server.stop().then(resolve, (err: unknown) => {
        console.error(`weft: error while shutting down: ${(err as Error).message}`);
        resolve();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function portInUse(port: number, host: string): CliError {
  return new CliError(`port ${port} on ${host} is already in use (another \`weft up\`?); choose another with --port`);
}

function assertPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portInUse(port, host) : err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function localUrl(url: string): string {
  return url.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
}

export function parseRate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new CliError(`--sim-failure-rate must be between 0 and 1, got "${value}"`, 2);
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be 0-65535, got "${value}"`, 2);
  return n;
}

/** `--node-not-ready-after` / `--node-lost-after` of `weft up` and `weft server`. */
export interface NodeTimeoutFlags {
  nodeNotReadyAfter: string;
  nodeLostAfter: string;
}

export const NODE_NOT_READY_AFTER_DEFAULT = '40s';
export const NODE_LOST_AFTER_DEFAULT = '60s';

/** Adds the node heartbeat options (shared by `weft up` and `weft server`). */
export function withNodeTimeoutOptions<T extends Command>(cmd: T): T {
  cmd
    .option('--node-not-ready-after <dur>', 'an agent node silent this long becomes NotReady (e.g. 40s, 2m, 500ms)', NODE_NOT_READY_AFTER_DEFAULT)
    .option('--node-lost-after <dur>', 'after this long NotReady, its allocations are Lost and rescheduled', NODE_LOST_AFTER_DEFAULT);
  return cmd;
}

/** `--audit-dir` / `--audit-checkpoint-interval` of `weft up` and `weft server`. */
export interface AuditFlags {
  auditDir?: string;
  auditCheckpointInterval: string;
}

/** Adds where the server key and the signed audit checkpoints live, and how often a checkpoint is taken. */
export function withAuditOptions<T extends Command>(cmd: T): T {
  cmd
    .option('--audit-dir <dir>', 'server key and signed audit checkpoints, outside the database (default: <data-dir>-audit)')
    .option('--audit-checkpoint-interval <dur>', 'how often the audit chain\'s head is checkpointed when it grew (e.g. 60s, 500ms)', '60s');
  return cmd;
}

export function parseAuditOptions(flags: AuditFlags): { auditDir?: string; auditCheckpointMs: number } {
  return { ...(flags.auditDir !== undefined ? { auditDir: resolve(flags.auditDir) } : {}), auditCheckpointMs: durationMs(flags.auditCheckpointInterval, '--audit-checkpoint-interval') };
}

export function parseNodeTimeouts(flags: NodeTimeoutFlags): { nodeNotReadyAfterMs: number; nodeLostAfterMs: number } {
  return { nodeNotReadyAfterMs: durationMs(flags.nodeNotReadyAfter, '--node-not-ready-after'), nodeLostAfterMs: durationMs(flags.nodeLostAfter, '--node-lost-after') };
}

function durationMs(text: string, flag: string): number {
  const ms = /^\s*(\d+)ms\s*$/.exec(text);
  if (ms) {
    if (Number(ms[1]) > 0) return Number(ms[1]);
    throw new CliError(`${flag} must be longer than 0, got "${text}"`, 2);
  }
  try {
    return parseDurationSeconds(text) * 1000;
  } catch (e) {
    throw new CliError(`${flag}: ${(e as Error).message}`, 2);
  }
}
