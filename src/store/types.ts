// The store's contract. Two implementations (embedded PGlite, PostgreSQL server) share one SQL
// dialect and one contract test suite.
import type { AuditAnchor, AuditEntry, AuditEntryInput, AuditHead, AuditVerifyResult } from '../model/audit.js';
import type { Resource, ResourceInput } from '../model/metadata.js';

export type { AuditAnchor, AuditCheckpointReport, AuditEntry, AuditEntryInput, AuditHead, AuditPrincipalKind, AuditVerifyResult } from '../model/audit.js';
export type { UsageHour, UsageInterval, UsageQuery, UsageRecordRow, UsageStore } from './usage.js';
import type { UsageStore } from './usage.js';
import type { SummaryQuery } from './summary.js';
import type { FleetSummary } from '../model/summary.js';
export type { LogChunk, LogChunkInput, LogReadOptions, LogStore, LogStream } from './logs.js';
import type { LogStore } from './logs.js';
import type { SecretValueStore } from './secrets.js';
import type { HeartbeatStore } from './heartbeats.js';
export type { HeartbeatStore } from './heartbeats.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  object: Resource;
}

/** Identifies one object. `project` is '' for cluster-scoped kinds. */
export interface ObjectKey {
  kind: string;
  project?: string;
  name: string;
}

export interface ListOptions {
  /** Restrict to one project (project-scoped kinds); absent = all projects. */
  project?: string;
  /** Several projects (used for "all projects this user may see"). */
  projects?: string[];
  /** Kubernetes-style selector: "a=b,c!=d,e,!f,g in (x,y),h notin (z)". */
  labelSelector?: string;
  /**
   * Only objects with exactly this metadata.name (the API's `fieldSelector=metadata.name=NAME`),
   * so a client can follow one object without reading the whole collection.
   */
  name?: string;
  /** Page size; absent = everything. */
  limit?: number;
  /** Opaque token from the previous page; only valid with the same `order` it was issued for. */
  continue?: string;
  /**
   * 'name' (default): by (project, name). 'newest': by creation time, newest first, ties by
   * (project, name), so a console can fetch the first page of the newest objects without
   * reading them all.
   */
  order?: ListOrder;
}

export type ListOrder = 'name' | 'newest';

export interface ListResult {
  items: Resource[];
  /** The store's resourceVersion when the list was read; a watch from here misses nothing. */
  resourceVersion: string;
  /** Present when more items remain. */
  continue?: string;
}

export interface WatchOptions {
  /** Absent = all kinds. */
  kind?: string;
  project?: string;
  projects?: string[];
  labelSelector?: string;
  /** Only changes to objects with exactly this metadata.name (DELETED included). */
  name?: string;
  /** Deliver every change with a resourceVersion greater than this one. */
  resourceVersion: string;
  signal: AbortSignal;
}

export interface WriteOptions {
  /** When set, the write fails with ConflictError unless the stored version equals it. */
  resourceVersion?: string;
}

/** Reads and writes inside one transaction. Writes are serialised store-wide. */
export interface StoreTx {
  /** Tokens, read and written in this transaction (registration swaps a node's credential atomically). */
  tokens: TokenStore;
  /** Replica logs, written in this transaction. */
  logs: LogStore;
  /** Sealed Secret values, written with their Secret in this transaction. */
  secrets: SecretValueStore;
  get(key: ObjectKey): Promise<Resource | undefined>;
  /** The objects at these keys, in order (undefined where none), read in one round trip. */
  getMany(keys: readonly ObjectKey[]): Promise<(Resource | undefined)[]>;
  list(kind: string, opts?: ListOptions): Promise<ListResult>;
  /**
   * A short value that differs whenever an object of these kinds was created, changed or deleted
   * since it was last read (their count and newest resourceVersion), so a cache of rarely changing
   * kinds can be checked in one cheap query instead of being read again.
   */
  stamp(kinds: readonly string[]): Promise<string>;
  /** Inserts a new object; AlreadyExistsError if the key is taken. Sets uid, resourceVersion, generation=1, creationTimestamp. */
  create(input: ResourceInput): Promise<Resource>;
  /**
   * Replaces spec, labels, annotations and status of an existing object. generation increases
   * when spec changes. NotFoundError if missing; ConflictError if opts.resourceVersion is stale.
   */
  update(input: ResourceInput, opts?: WriteOptions): Promise<Resource>;
  /**
   * Several updates, each checked as update() checks it, written by one statement (one round
   * trip) with versions in order; all or none. The same object twice is refused (ConflictError).
   */
  updateMany(items: readonly { input: ResourceInput; opts?: WriteOptions }[]): Promise<Resource[]>;
  delete(key: ObjectKey, opts?: WriteOptions): Promise<Resource>;
}

export interface TransactionOptions {
  /**
   * The audit entry of the request this transaction carries out. It is built after fn succeeded
   * and appended to the audit chain in the same database transaction, so the write and its
   * entry commit together or not at all (nothing acknowledged goes unrecorded, even on a crash).
   */
  audit?: () => AuditEntryInput;
  /**
   * Send the transaction's creates together, in one statement, just before its next other
   * statement (or its commit), instead of one round trip each. The creates still return at once
   * with their versions; a name found taken then fails the whole transaction (ConflictError)
   * rather than the create call itself.
   */
  batchCreates?: boolean;
}

export interface Store extends StoreTx {
  readonly dialect: 'pglite' | 'postgres';
  /**
   * Runs fn in one transaction; everything it wrote commits together or not at all. Like a
   * retried database transaction, fn may run more than once (the store groups concurrent writes
   * into one commit and re-runs them one by one if a neighbour fails): keep its effects inside tx.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Streams changes after opts.resourceVersion in order, each exactly once; GoneError if compacted. */
  watch(opts: WatchOptions): AsyncIterable<WatchEvent>;
  currentResourceVersion(): Promise<string>;
  /** This database's own id, made once in it and kept by copies of it: what the server files outside it about it is keyed by this. */
  databaseId(): Promise<string>;
  /** GPUs by model and site, Nodes by state and workload counts, from one consistent snapshot. */
  summary(q: SummaryQuery): Promise<FleetSummary>;
  /** Drops change-log entries older than the newest `keep`; watches from before then get 410. */
  compact(keep: number): Promise<void>;
  /**
   * Reclaims the space of dead row versions and refreshes the planner's statistics. PostgreSQL's
   * autovacuum does this by itself (a no-op there); the embedded engine has no background
   * workers, so without it every update leaves a dead row that later reads must step over.
   */
  vacuum(): Promise<void>;
  tokens: TokenStore;
  /** Replica log chunks shipped by node agents, bounded per allocation. */
  logs: LogStore;
  /** Sealed Secret values, read when a node agent asks for what its replica needs. */
  secrets: SecretValueStore;
  /**
   * When each Node last sent a heartbeat: renewed in place, outside resources, so a fleet that
   * only says it is alive writes no resource version and no change-log entry.
   */
  heartbeats: HeartbeatStore;
  /** The append-only, hash-chained record of mutating API requests. */
  audit: AuditLog;
  /** Usage records (what allocations held, and how long), written by the database with each allocation change. */
  usage: UsageStore;
  /**
   * Becomes the leader for `name` among every process on this database, waiting (retrying) as
   * long as another holds it; rejects when `signal` aborts first. The leadership's own signal
   * aborts when it is lost (its database session ended) or released: the holder must stop acting
   * as leader then. On the embedded engine the single process is always the leader.
   */
  acquireLeadership(name: string, signal: AbortSignal): Promise<Leadership>;
  close(): Promise<void>;
}

export interface Leadership {
  /** Aborted when leadership is lost or released. */
  readonly signal: AbortSignal;
  /** Gives leadership up so another process can take it. */
  release(): Promise<void>;
}

export type TokenKind = 'user' | 'join' | 'node';

export interface TokenRecord {
  id: string;
  kind: TokenKind;
  /** User name for user tokens; node name for node tokens; creator for join tokens. */
  subject: string;
  description?: string;
  createdAt: string;
  expiresAt?: string;
  /** For one-time join tokens: when it was exchanged. */
  usedAt?: string;
}

/** Bearer tokens, stored as SHA-256 hashes only. */
export interface TokenStore {
  create(rec: { kind: TokenKind; subject: string; hash: string; description?: string; expiresAt?: string }): Promise<TokenRecord>;
  findByHash(hash: string): Promise<TokenRecord | undefined>;
  /** Atomically marks a join token used; false if it was already used, expired or unknown. */
  consumeJoin(hash: string): Promise<TokenRecord | undefined>;
  list(subject?: string): Promise<TokenRecord[]>;
  revoke(id: string): Promise<boolean>;
  /** Revokes every token of this kind and subject (a node's credential before a new one); returns how many. */
  revokeAll(kind: TokenKind, subject: string): Promise<number>;
  /** True when no user token exists yet (first start: bootstrap an admin). */
  isEmpty(): Promise<boolean>;
}

export interface AuditQuery {
  project?: string;
  /** Entries of any of these projects (a project-admin's view). */
  projects?: string[];
  /** Principal name. */
  user?: string;
  /** RFC 3339: entries at or after this time. */
  since?: string;
  /** Page size (default 100, at most 10000). */
  limit?: number;
  /** Entries with an id greater than this one (the last id of the previous page). */
  after?: string;
}

/** Append-only. There is deliberately no way to change or remove an entry through the store. */
export interface AuditLog {
  /** Appends in order to the chain; concurrent appends are grouped and serialised (no forks). */
  append(entries: AuditEntryInput[]): Promise<AuditEntry[]>;
  /** Oldest first, by id. Waits for this process's pending appends first. */
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  /**
   * Recomputes the whole chain; with anchors (signed checkpoints kept outside the database), also
   * checks that each one's entry is there, unchanged, at the same position: the only way to see
   * that the newest entries were removed, which leaves a valid, shorter chain.
   */
  verify(anchors?: readonly AuditAnchor[]): Promise<AuditVerifyResult>;
  /** The newest entry and how many entries follow `afterId` (all of them without it); undefined when none do. */
  head(afterId?: string): Promise<AuditHead | undefined>;
  /** Resolves once every append issued so far has committed (or failed). */
  flush(): Promise<void>;
}
