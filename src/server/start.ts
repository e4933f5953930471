// One Weft server process, assembled from a ServerConfig: the store, the HTTP API with the
// gateway and metrics, and the leader-only writers (leader.ts). `weft up` and `weft server` call
// startWeftServer; so do tests that need a whole server in-process.
import { createServer } from 'node:net';
import { pino } from 'pino';
import { ensureBootstrapAdmin, issueToken } from '../api/auth.js';
import { startGateway, type Gateway } from '../api/gateway/index.js';
import { createMetrics } from '../api/metrics.js';
import { startServer, type RunningServer } from '../api/server.js';
import { ImageBlobs } from '../api/image-blobs.js';
import { checkpointBookFor } from '../control/audit/checkpoint-book.js';
import { CheckpointPublisher } from '../control/audit/checkpoints.js';
import { ServerKey } from '../control/audit/server-key.js';
import { SecretBox } from '../control/secrets/secret-box.js';
import { systemClock, type Clock } from '../control/clock.js';
import type { ControlPlane } from '../control/control-plane.js';
import { QueuePositions } from '../control/queue-positions.js';
import { WeftError } from '../model/errors.js';
import { mcpHttpHandler } from '../mcp/http.js';
import { isSimNode, registerDemoFleet } from '../providers/sim/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { IN_MEMORY, type ServerConfig } from './config.js';
import { startLeaderWork } from './leader.js';

export interface RunningWeft {
  /** Base URL clients on this machine can reach (0.0.0.0 becomes 127.0.0.1). */
  url: string;
  /** The bootstrap admin token: only on the very first start of this store, or when asked for. */
  bootstrapToken?: string;
  adminUser: string;
  /** Size of the simulated fleet, when this store has one (weft up --demo, now or before). */
  demo?: { nodes: number; gpus: number };
  /** Resolves once this process leads and runs the writers (a follower waits, maybe for ever). */
  readonly leading: Promise<void>;
  /** Settles if the store can no longer work at all (the embedded data directory is gone). */
  readonly fatal: Promise<Error>;
  stop(): Promise<void>;
}

/** The port is taken: refused before the database is opened. */
export class PortInUseError extends WeftError {
  constructor(port: number, host: string) {
    super('PortInUse', 409, `port ${port} on ${host} is already in use (another \`weft up\`?); choose another with --port`);
  }
}

export interface StartOptions {
  /** Time for the store's timestamps, the API, admission and every controller (default: the system clock). */
  clock?: Clock;
}

export async function startWeftServer(config: ServerConfig, opts: StartOptions = {}): Promise<RunningWeft> {
  // Fail on a busy port before opening the database: a second `weft up` in the same directory
  // must not touch the data of the one already running.
  if (config.port !== 0) await assertPortFree(config.port, config.host);
  const clock = opts.clock ?? systemClock;
  const logger = pino({ level: config.logLevel, base: undefined }, pino.destination(2));
  const log = (msg: string): void => logger.info(msg);
  // The key and checkpoints live in the audit directory, never in the database they vouch for.
  // One server key for the API (which seals Secret values) and the leader's providers (which open
  // the ones they are pointed at); kept on disk there, made afresh for a memory store.
  const serverKey = config.auditDir !== undefined ? ServerKey.loadOrCreate(config.auditDir) : ServerKey.generate();
  const now = (): Date => clock.now();
  let onFatal!: (err: Error) => void;
  const fatal = new Promise<Error>((resolve) => (onFatal = resolve));
  const opening = performance.now();
  const store = await openStore(config.databaseUrl ? { url: config.databaseUrl, logger: log, now } : { dataDir: config.dataDir, logger: log, now, onFatal });
  // After a crash the embedded engine replays its write-ahead log here: say how long it took.
  log(`store opened in ${Math.round(performance.now() - opening)} ms`);
  let server: RunningServer | undefined;
  let gateway: Gateway | undefined;
  let leader: ControlPlane | undefined;
  let checkpoints: CheckpointPublisher | undefined;
  // The API first (no new work comes in), then the last audit checkpoint (it covers every request
  // the server answered), then the writers, then what they read from; a part that fails to stop
  // does not keep the others running.
  const stop = async (): Promise<void> => {
    const failed: unknown[] = [];
    // Each part timed, so a slow stop says where its time went.
    const took: string[] = [];
    const parts: [string, () => unknown][] = [
      ['api', () => server?.close()],
      ['audit checkpoint', () => checkpoints?.stop()],
      ['control plane', () => leader?.stop()],
      ['gateway', () => gateway?.stop()],
      ['store', () => store.close()],
    ];
    for (const [name, part] of parts) {
      const t0 = performance.now();
      await Promise.resolve()
        .then(part)
        .catch((e: unknown) => failed.push(e));
      took.push(`${name} ${Math.round(performance.now() - t0)} ms`);
    }
    logger.info(`stopped: ${took.join(', ')}`);
    if (failed.length > 0) throw failed[0];
  };
  try {
    // Checkpoints are filed under the database's own id, known once it is open.
    const book = config.auditDir !== undefined ? await checkpointBookFor(store, config.auditDir, serverKey, { info: log, warn: (m) => logger.warn(m) }) : undefined;
    let boot = await ensureBootstrapAdmin(store);
    if (!boot.token && config.newAdminToken) {
      const issued = await issueToken(store, { kind: 'user', subject: boot.user, description: 'admin token issued by weft up --new-admin-token' });
      boot = { ...boot, token: issued.token };
    }
    if (config.demo) await registerDemoFleet(store);
    const demo = await simulatedFleet(store);
    const metrics = createMetrics();
    // Every replica routes: the gateway reads, it does not write. Its load feeds the autoscaler.
    gateway = await startGateway(store, { log });
    // Listen before the leader's work starts: on a large store its start-up (the controllers'
    // initial lists, on the embedded engine's single connection) takes a while, and a restarted
    // server must answer the API meanwhile. /readyz says 503 until it has been started.
    let starting: string | undefined = 'the control plane is starting';
    // The scheduling loop leaves queue positions here; the API serves them with waiting workloads.
    const positions = new QueuePositions();
    const blobs = imageBlobsOf(config);
    server = await startServer({ store, port: config.port, host: config.host, logger, metrics, gateway, clock, positions, mcp: mcpHttpHandler({ readOnly: config.mcpReadOnly }), notReady: () => starting, serverKey, networkPool: config.networkPool, ...(book ? { auditCheckpoints: book } : {}), ...blobs });
    if (book) {
      checkpoints = new CheckpointPublisher({
        store,
        book,
        log: { checkpoint: (c) => logger.info({ auditCheckpoint: c }, 'audit checkpoint'), error: (m) => logger.error(m) },
        intervalMs: config.auditCheckpointMs,
        now: () => clock.now(),
      });
      await checkpoints.start();
    }
    leader = startLeaderWork({ store, clock, config, log, metrics, traffic: gateway.traffic, positions, secrets: new SecretBox(serverKey), ...blobs });
    starting = undefined;
    logger.info('control plane started; ready');
    const url = localUrl(server.url);
    return { url, bootstrapToken: boot.token, adminUser: boot.user, demo, leading: leader.leading, fatal, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(config.port, config.host);
    throw err;
  }
}

/** Where uploaded Image disks go: --image-dir, else beside an on-disk data directory (none in memory). */
function imageBlobsOf(config: ServerConfig): { imageBlobs?: ImageBlobs } {
  const dir = config.imageDir ?? (config.dataDir !== IN_MEMORY ? `${config.dataDir}-images` : undefined);
  return dir !== undefined ? { imageBlobs: new ImageBlobs(dir, config.imageUploadMaxBytes) } : {};
}

/** The simulated nodes in this store (registered now or by an earlier --demo start), for the start-up message. */
async function simulatedFleet(store: Store): Promise<RunningWeft['demo']> {
  const simulated = (await store.list('Node')).items.filter(isSimNode);
  if (simulated.length === 0) return undefined;
  return { nodes: simulated.length, gpus: simulated.reduce((n, o) => n + ((o.spec as { gpus?: unknown[] }).gpus?.length ?? 0), 0) };
}

function assertPortFree(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, host) : err));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function localUrl(url: string): string {
  return url.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
}
