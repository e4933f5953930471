// The settings of a server process (`weft up`, `weft server`), as one typed ServerConfig. Each
// setting has one name in each of its three sources: a command-line flag, an environment
// variable and a key of the optional YAML config file (--config, $WEFT_SERVER_CONFIG). A flag
// wins over the environment, the environment over the file, the file over the command's default.
// A bad value is refused naming where it came from, and nothing is opened before it is.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_EVENT_TTL_MS } from '../control/event-expiry.js';
import { DEFAULT_NETWORK_POOL } from '../control/networks/admission.js';
import { PRIVATE_KEY_FILE } from '../control/audit/server-key.js';
import { formatSubnet, parseSubnet } from '../model/subnet.js';
import { WeftError } from '../model/errors.js';
import { parseMemoryBytes } from '../model/quantity.js';
import { isPolicyName, POLICY_NAMES, type PolicyName } from '../scheduler/index.js';
import { parseDurationMs } from '../sim/replay/duration.js';

/** Which command a configuration is for: they share most settings, not all. */
export type ServerCommand = 'up' | 'server';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  /** PostgreSQL server (`postgres://…`); absent: the embedded engine in dataDir. */
  databaseUrl?: string;
  /** The embedded database's directory (absolute). */
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** pino level; logs go to stderr so they never mix with what the command prints. */
  logLevel: LogLevel;
  /** The scheduling loop's placement policy. */
  policy: PolicyName;
  /** Issue a fresh admin token even though this store was initialised before (lost credential). */
  newAdminToken: boolean;
  /** Register the simulated demo fleet before starting. */
  demo: boolean;
  /** Probability that a replica on a simulated node fails instead of succeeding. */
  simFailureRate: number;
  /** An agent node silent this long becomes NotReady. */
  nodeNotReadyAfterMs: number;
  /** After this long NotReady, its allocations are Lost and rescheduled. */
  nodeLostAfterMs: number;
  /**
   * Server key and signed audit checkpoints (one file per database), outside the database;
   * absent from the sources: `<dataDir>-audit`, or `.weft-audit` for a PostgreSQL server whose
   * data dir is memory://; undefined only for a memory store (nothing it seals outlives it).
   */
  auditDir?: string;
  /** How often the audit chain's head is checkpointed when it grew. */
  auditCheckpointMs: number;
  /** The MCP endpoint (/mcp) offers only tools that change nothing. */
  mcpReadOnly: boolean;
  /** Events last seen longer ago than this are deleted by store maintenance. */
  eventTtlMs: number;
  /** IPv4 block Networks without a subnet get theirs from (a /24 each). */
  networkPool: string;
  /** Uploaded Image disks; absent: `<dataDir>-images` (none in memory). Shared by every server replica. */
  imageDir?: string;
  /** The largest Image disk an upload may bring. */
  imageUploadMaxBytes: number;
}

/** A setting refused: `source` names the flag, variable or file key it came from. */
export class ServerConfigError extends WeftError {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super('InvalidConfig', 400, `${source}: ${message}`, [{ field: source, message }]);
  }
}

/** Raw values as the sources give them: strings from flags and the environment, YAML scalars from the file. */
export type RawValue = string | number | boolean;

interface Setting<K extends keyof ServerConfig> {
  key: K;
  flag: string;
  /** The flag's value, as help shows it; absent for a switch (a flag without a value). */
  arg?: string;
  /** Absent: a flag only (a one-off action, not a standing setting). */
  env?: string;
  inFile: boolean;
  /** The commands that have it (default both). */
  commands?: readonly ServerCommand[];
  help: string;
  /** `base` resolves relative paths: the working directory, or the config file's directory. */
  parse(value: RawValue, base: string): ServerConfig[K];
}

type AnySetting = { [K in keyof ServerConfig]-?: Setting<K> }[keyof ServerConfig];

function text(value: RawValue): string {
  return String(value).trim();
}

function bool(value: RawValue): boolean {
  if (typeof value === 'boolean') return value;
  const t = text(value).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'off', ''].includes(t)) return false;
  throw new Error(`must be true or false, got "${String(value)}"`);
}

function positiveDurationMs(value: RawValue): number {
  let ms: number;
  try {
    ms = parseDurationMs(typeof value === 'boolean' ? String(value) : value, 'duration');
  } catch {
    throw new Error(`"${String(value)}" is not a duration (e.g. 40s, 2m, 500ms)`);
  }
  if (ms <= 0) throw new Error(`must be longer than 0, got "${String(value)}"`);
  return ms;
}

/** The embedded engine without a directory: nothing outlives the process (tests, trials). */
export const IN_MEMORY = 'memory://';

export const SETTINGS: readonly AnySetting[] = [
  {
    key: 'databaseUrl',
    flag: '--database-url',
    arg: '<url>',
    env: 'WEFT_DATABASE_URL',
    inFile: true,
    commands: ['server'],
    help: 'PostgreSQL URL (default: the embedded database in --data-dir)',
    parse: (v) => {
      const url = text(v);
      if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('the database URL must start with postgres:// or postgresql://');
      return url;
    },
  },
  {
    key: 'dataDir',
    flag: '--data-dir',
    arg: '<dir>',
    env: 'WEFT_DATA_DIR',
    inFile: true,
    help: 'where the embedded database lives (memory:// keeps it in memory)',
    parse: (v, base) => (text(v) === IN_MEMORY ? IN_MEMORY : resolve(base, nonEmpty(text(v)))),
  },
  { key: 'host', flag: '--host', arg: '<host>', env: 'WEFT_HOST', inFile: true, help: 'address to listen on (0.0.0.0 for every interface)', parse: (v) => nonEmpty(text(v)) },
  {
    key: 'port',
    flag: '--port',
    arg: '<port>',
    env: 'WEFT_PORT',
    inFile: true,
    help: 'HTTP port (0 picks a free one)',
    parse: (v) => {
      const n = Number(text(v));
      if (text(v) === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`must be 0-65535, got "${String(v)}"`);
      return n;
    },
  },
  {
    key: 'logLevel',
    flag: '--log-level',
    arg: '<level>',
    env: 'WEFT_LOG_LEVEL',
    inFile: true,
    help: `${LOG_LEVELS.join(' | ')} (JSON logs on stderr)`,
    parse: (v) => {
      const level = text(v);
      if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`unknown level "${level}"; levels: ${LOG_LEVELS.join(', ')}`);
      return level as LogLevel;
    },
  },
  {
    key: 'policy',
    flag: '--policy',
    arg: '<name>',
    env: 'WEFT_POLICY',
    inFile: true,
    help: `placement policy of the scheduling loop: ${POLICY_NAMES.join(', ')}`,
    parse: (v) => {
      const name = text(v);
      if (!isPolicyName(name)) throw new Error(`unknown policy "${name}"; policies: ${POLICY_NAMES.join(', ')}`);
      return name;
    },
  },
  { key: 'newAdminToken', flag: '--new-admin-token', inFile: false, commands: ['up'], help: 'issue a new admin token and save it as context "local" (if the saved one was lost)', parse: bool },
  { key: 'demo', flag: '--demo', inFile: true, commands: ['up'], help: 'register a simulated fleet (2 sites, 40 nodes, 320 GPUs) whose workloads "run" without GPUs', parse: bool },
  {
    key: 'simFailureRate',
    flag: '--sim-failure-rate',
    arg: '<p>',
    env: 'WEFT_SIM_FAILURE_RATE',
    inFile: true,
    help: 'probability (0-1) that a replica on a simulated node fails instead of succeeding',
    parse: (v) => {
      const n = Number(text(v));
      if (text(v) === '' || !(n >= 0 && n <= 1)) throw new Error(`must be between 0 and 1, got "${String(v)}"`);
      return n;
    },
  },
  {
    key: 'nodeNotReadyAfterMs',
    flag: '--node-not-ready-after',
    arg: '<dur>',
    env: 'WEFT_NODE_NOT_READY_AFTER',
    inFile: true,
    help: 'an agent node silent this long becomes NotReady (e.g. 40s, 2m, 500ms)',
    parse: positiveDurationMs,
  },
  {
    key: 'nodeLostAfterMs',
    flag: '--node-lost-after',
    arg: '<dur>',
    env: 'WEFT_NODE_LOST_AFTER',
    inFile: true,
    help: 'after this long NotReady, its allocations are Lost and rescheduled',
    parse: positiveDurationMs,
  },
  {
    key: 'auditDir',
    flag: '--audit-dir',
    arg: '<dir>',
    env: 'WEFT_AUDIT_DIR',
    inFile: true,
    help: 'server key and signed audit checkpoints, outside the database (default: <data-dir>-audit; .weft-audit with a database URL and --data-dir memory://)',
    parse: (v, base) => resolve(base, nonEmpty(text(v))),
  },
  {
    key: 'imageDir',
    flag: '--image-dir',
    arg: '<dir>',
    env: 'WEFT_IMAGE_DIR',
    inFile: true,
    help: 'uploaded Image disks (default: <data-dir>-images); with several servers, one directory they all share',
    parse: (v, base) => resolve(base, nonEmpty(text(v))),
  },
  {
    key: 'imageUploadMaxBytes',
    flag: '--image-upload-limit',
    arg: '<size>',
    env: 'WEFT_IMAGE_UPLOAD_LIMIT',
    inFile: true,
    help: 'the largest Image disk an upload may bring (e.g. 64Gi, 500Mi)',
    parse: (v) => parseMemoryBytes(text(v), 'imageUploadMaxBytes'),
  },
  {
    key: 'auditCheckpointMs',
    flag: '--audit-checkpoint-interval',
    arg: '<dur>',
    env: 'WEFT_AUDIT_CHECKPOINT_INTERVAL',
    inFile: true,
    help: "how often the audit chain's head is checkpointed when it grew (e.g. 60s, 500ms)",
    parse: positiveDurationMs,
  },
  {
    key: 'mcpReadOnly',
    flag: '--mcp-read-only',
    env: 'WEFT_MCP_READ_ONLY',
    inFile: true,
    help: 'the MCP endpoint (/mcp) offers only tools that change nothing (what a token may do is unchanged elsewhere)',
    parse: bool,
  },
  {
    key: 'eventTtlMs',
    flag: '--event-ttl',
    arg: '<dur>',
    env: 'WEFT_EVENT_TTL',
    inFile: true,
    help: 'Events last seen longer ago than this are deleted (e.g. 1h, 30m, 7d)',
    parse: positiveDurationMs,
  },
  {
    key: 'networkPool',
    flag: '--network-pool',
    arg: '<cidr>',
    env: 'WEFT_NETWORK_POOL',
    inFile: true,
    help: 'IPv4 block a Network without spec.subnet gets a /24 of (per project; e.g. 10.128.0.0/16)',
    parse: (v) => {
      const s = parseSubnet(text(v));
      if (typeof s === 'string') throw new Error(s);
      return formatSubnet(s);
    },
  },
];

function nonEmpty(s: string): string {
  if (s === '') throw new Error('must not be empty');
  return s;
}

/**
 * What a setting is called in the config file and in `flags`: the flag without dashes, in
 * camelCase (as commander names a parsed option).
 */
export function fileKey(s: AnySetting): string {
  return s.flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const DEFAULTS: Omit<ServerConfig, 'databaseUrl' | 'dataDir' | 'auditDir'> & { dataDir: string } = {
  dataDir: '.weft',
  host: '127.0.0.1',
  port: 7070,
  logLevel: 'info',
  policy: 'weft',
  newAdminToken: false,
  demo: false,
  simFailureRate: 0,
  nodeNotReadyAfterMs: 40_000,
  nodeLostAfterMs: 60_000,
  auditCheckpointMs: 60_000,
  mcpReadOnly: false,
  eventTtlMs: DEFAULT_EVENT_TTL_MS,
  networkPool: DEFAULT_NETWORK_POOL,
  imageUploadMaxBytes: 64 * 1024 ** 3,
};

/** The value a command uses when no source sets it (for help texts). */
export function defaultOf(command: ServerCommand, key: keyof ServerConfig): RawValue | undefined {
  if (key === 'logLevel' && command === 'up') return 'warn'; // `weft up` is interactive: quiet by default
  if (key === 'nodeNotReadyAfterMs') return '40s';
  if (key === 'nodeLostAfterMs') return '60s';
  if (key === 'auditCheckpointMs') return '60s';
  if (key === 'eventTtlMs') return '1h';
  if (key === 'imageUploadMaxBytes') return '64Gi';
  return (DEFAULTS as Partial<Record<keyof ServerConfig, RawValue>>)[key];
}

/** The settings a command has. */
export function settingsOf(command: ServerCommand): AnySetting[] {
  return SETTINGS.filter((s) => !s.commands || s.commands.includes(command));
}

export const CONFIG_FILE_ENV = 'WEFT_SERVER_CONFIG';

export interface ConfigSources {
  command: ServerCommand;
  /** Flag values as parsed from the command line, by fileKey (commander's names); absent = not given. */
  flags?: Readonly<Record<string, unknown>>;
  /** The config file named by --config (else $WEFT_SERVER_CONFIG). */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves relative paths given by flags or the environment (default: the working directory). */
  cwd?: string;
}

/** Builds the configuration from its sources; ServerConfigError names the first bad value. */
export function loadServerConfig(src: ConfigSources): ServerConfig {
  const env = src.env ?? process.env;
  const cwd = src.cwd ?? process.cwd();
  const fileName = src.configFile ?? (env[CONFIG_FILE_ENV] || undefined);
  const file = fileName !== undefined ? readConfigFile(resolve(cwd, fileName), src.command) : undefined;
  const out: Partial<Record<keyof ServerConfig, unknown>> = {};
  for (const s of settingsOf(src.command)) {
    const flag = src.flags?.[fileKey(s)] as RawValue | undefined;
    const fromEnv = s.env !== undefined ? env[s.env] : undefined;
    const fromFile = file?.values.get(fileKey(s));
    const [value, source, base] =
      flag !== undefined
        ? [flag, s.flag, cwd]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, s.env!, cwd]
          : fromFile !== undefined
            ? [fromFile, `${fileKey(s)} (in ${file!.path})`, dirname(file!.path)]
            : [defaultOf(src.command, s.key), undefined, cwd];
    if (value === undefined) continue;
    try {
      out[s.key] = s.parse(value, base);
    } catch (e) {
      // A default that does not parse is a bug here, not bad input: let it be one.
      if (source === undefined) throw e;
      throw new ServerConfigError(source, (e as Error).message);
    }
  }
  const config = { ...DEFAULTS, ...out } as ServerConfig;
  return { ...config, auditDir: config.auditDir ?? defaultAuditDir(config, cwd) };
}

/** Where the server key and checkpoints go when no source names a place; undefined for a memory store. */
function defaultAuditDir(config: ServerConfig, cwd: string): string | undefined {
  if (config.dataDir !== IN_MEMORY) return `${config.dataDir}-audit`;
  if (config.databaseUrl === undefined) return undefined;
  // A PostgreSQL server with no data directory still seals Secrets that outlive it. Earlier
  // versions put its key under "memory:/-audit" in the working directory: a key there sealed
  // Secrets, so it is kept where it is.
  const earlier = resolve(cwd, `${IN_MEMORY}-audit`);
  return existsSync(resolve(earlier, PRIVATE_KEY_FILE)) ? earlier : resolve(cwd, `${DEFAULTS.dataDir}-audit`);
}

function readConfigFile(path: string, command: ServerCommand): { path: string; values: Map<string, RawValue> } {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ServerConfigError(`--config ${path}`, err.code === 'ENOENT' ? 'no such file' : err.message);
  }
  if (doc === null || doc === undefined) return { path, values: new Map() };
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ServerConfigError(`--config ${path}`, 'must be a mapping of settings (key: value)');
  const known = new Map(SETTINGS.filter((s) => s.inFile).map((s) => [fileKey(s), s]));
  const values = new Map<string, RawValue>();
  for (const [key, value] of Object.entries(doc)) {
    const s = known.get(key);
    const where = `${key} (in ${path})`;
    if (!s) throw new ServerConfigError(where, `unknown setting; settings: ${[...known.keys()].join(', ')}`);
    if (s.commands && !s.commands.includes(command)) throw new ServerConfigError(where, `not a setting of \`weft ${command}\` (only of \`weft ${s.commands.join('`, `weft ')}\`)`);
    if (value === null || !['string', 'number', 'boolean'].includes(typeof value)) throw new ServerConfigError(where, 'must be a single value (text, number or true/false)');
    values.set(key, value as RawValue);
  }
  return { path, values };
}
