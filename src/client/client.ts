// Typed HTTP client for the Weft API. The CLI, the node agent, the MCP server and the console
// all talk to the control plane through this class and nothing else.
import type { AuditEntry, AuditVerifyResult, ResidencyReport } from '../model/audit.js';
import type { KindNames } from '../model/kind-names.js';
import type { Resource, ResourceInput } from '../model/metadata.js';
import { LAST_APPLIED_ANNOTATION, applyIntent, applyPatch, type Json } from './apply.js';
import { MAX_REQUEST_BYTES, tooLargeMessage } from '../model/limits.js';
import { WeftApiError, WeftConnectionError } from './errors.js';
import { kindOf, resourcePath } from './paths.js';
import { watchEvents, type WatchMessage, type WatchOptions } from './watch.js';

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:7070 */
  server: string;
  token?: string;
  /** Per-request timeout in ms for ordinary (non-watch) requests; default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** Called with each warning the server sends (a Warn policy's message), e.g. to print it. */
  onWarning?: (message: string) => void;
}

export interface ListOptions {
  /** Project for project-scoped kinds; absent = every project the caller may see. */
  project?: string;
  labelSelector?: string;
  /** Only "metadata.name=<name>" is supported: the one object of that name (or none). */
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  /** 'name' (the server's default) or 'newest' first; a `continue` token only works with the order that issued it. */
  order?: 'name' | 'newest';
  /** Follow `continue` tokens and return every item (pages of `limit`, default 500). */
  autoPaginate?: boolean;
}

export interface ListResult<T = Resource> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface ItemOptions {
  project?: string;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface ApplyPlan {
  live?: Resource;
  patch?: Record<string, unknown>;
}

export interface ApplyResult {
  action: ApplyAction;
  object: Resource;
}

export interface TokenCreateRequest {
  /** The user the token acts as; absent = the caller. */
  user?: string;
  description?: string;
  expiresInSeconds?: number;
  /** A one-time join token for registering a node. */
  join?: boolean;
}

export interface CreatedToken {
  id: string;
  token: string;
  [key: string]: unknown;
}

export interface TokenInfo {
  id: string;
  kind?: string;
  subject?: string;
  description?: string;
  createdAt?: string;
  expiresAt?: string;
  usedAt?: string;
  [key: string]: unknown;
}

export interface WhoAmI {
  user: string;
  roles: { role: string; project?: string }[];
  [key: string]: unknown;
}

export interface AuditListOptions {
  project?: string;
  user?: string;
  /** RFC 3339. */
  since?: string;
  limit?: number;
  /** The last id of the previous page. */
  after?: string;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Present when the page was full: pass it as `after` for the next one. */
  next?: string;
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  auth?: boolean;
}

export class WeftClient {
  readonly server: string;
  private readonly token?: string;
  private readonly timeoutMs: number;
  private readonly userAgent: string;
  private readonly onWarning: ((message: string) => void) | undefined;

  constructor(opts: ClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.userAgent = opts.userAgent ?? 'weft-client';
    this.onWarning = opts.onWarning;
  }

  /** The headers a request of this client carries (for a WebSocket opened beside it: socket.ts). */
  socketHeaders(): Record<string, string> {
    return { 'user-agent': this.userAgent, ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) };
  }

  /** The same server and token with other per-call options, e.g. to collect one call's warnings. */
  with(opts: Pick<ClientOptions, 'onWarning' | 'userAgent'>): WeftClient {
    return new WeftClient({ server: this.server, token: this.token, timeoutMs: this.timeoutMs, userAgent: opts.userAgent ?? this.userAgent, onWarning: opts.onWarning ?? this.onWarning });
  }

  async get(kind: string, name: string, opts: ItemOptions = {}): Promise<Resource> {
    return this.request<Resource>('GET', resourcePath(kindOf(kind), opts, name));
  }

  async list(kind: string, opts: ListOptions = {}): Promise<ListResult> {
    const path = resourcePath(kindOf(kind), opts);
    const page = async (cont?: string, limit?: number): Promise<ListResult> =>
      normalizeList(await this.request<RawList>('GET', path, { query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit, continue: cont, order: opts.order } }));
    if (!opts.autoPaginate) return page(opts.continue, opts.limit);
    const first = await page(opts.continue, opts.limit ?? 500);
    const items = [...first.items];
    let cont = first.continue;
    while (cont) {
      const next = await page(cont, opts.limit ?? 500);
      items.push(...next.items);
      cont = next.continue;
    }
    // The first page's version: a watch from there misses nothing that happened while paging.
    return { items, resourceVersion: first.resourceVersion };
  }

  async create(obj: ResourceInput, opts: ItemOptions = {}): Promise<Resource> {
    const def = kindOf(obj.kind);
    return this.request<Resource>('POST', resourcePath(def, scopeOf(def, obj, opts)), { body: obj });
  }

  /** PUT: replaces the object; fails with 409 if metadata.resourceVersion is set and stale. */
  async replace(obj: ResourceInput, opts: ItemOptions = {}): Promise<Resource> {
    const def = kindOf(obj.kind);
    return this.request<Resource>('PUT', resourcePath(def, scopeOf(def, obj, opts), obj.metadata.name), { body: obj });
  }

  /** JSON merge patch (RFC 7396): null removes a field. */
  async patch(kind: string, name: string, patch: Record<string, unknown>, opts: ItemOptions = {}): Promise<Resource> {
    return this.request<Resource>('PATCH', resourcePath(kindOf(kind), opts, name), {
      body: patch,
      contentType: 'application/merge-patch+json',
    });
  }

  async delete(kind: string, name: string, opts: ItemOptions = {}): Promise<Resource | undefined> {
    return this.request<Resource | undefined>('DELETE', resourcePath(kindOf(kind), opts, name));
  }

  /**
   * Creates the object or brings it to the manifest's spec, labels and annotations. Writes
   * nothing when it already matches. Retries when another writer gets in between.
   */
  async apply(obj: ResourceInput, opts: ItemOptions = {}): Promise<ApplyResult> {
    const def = kindOf(obj.kind);
    const input = withProject(def, obj, opts);
    const scope = { project: input.metadata.project };
    for (let attempt = 0; ; attempt++) {
      const { live, patch } = await this.planApply(input, scope);
      try {
        if (!live) {
          const { serialized } = applyIntent(input);
          const annotations = { ...(input.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: serialized };
          const body = { apiVersion: input.apiVersion, kind: input.kind, metadata: { ...input.metadata, annotations }, spec: input.spec ?? {} };
          return { action: 'created', object: await this.create(body, scope) };
        }
        if (!patch) return { action: 'unchanged', object: live };
        // The live version rides along as a precondition so a concurrent change is not overwritten.
        const meta = (patch.metadata ?? {}) as Record<string, Json>;
        patch.metadata = { ...meta, resourceVersion: live.metadata.resourceVersion };
        return { action: 'configured', object: await this.patch(def.kind, input.metadata.name, patch, scope) };
      } catch (err) {
        if (attempt < 3 && err instanceof WeftApiError && err.status === 409) continue;
        throw err;
      }
    }
  }

  /**
   * What `apply` would do, writing nothing: the live object (absent: it would be created) and the
   * merge patch that would bring it to the manifest (absent: unchanged).
   */
  async planApply(obj: ResourceInput, opts: ItemOptions = {}): Promise<ApplyPlan> {
    const def = kindOf(obj.kind);
    const input = withProject(def, obj, opts);
    const live = await this.get(def.kind, input.metadata.name, { project: input.metadata.project }).catch(notFoundAsUndefined);
    if (!live) return {};
    const patch = applyPatch(input, live);
    return Object.keys(patch).length === 0 ? { live } : { live, patch };
  }

  /** Changes as an async iterable; see watch.ts for resume, reconnect and relist behaviour. */
  watch(kind: string, opts: WatchOptions = {}): AsyncGenerator<WatchMessage> {
    const def = kindOf(kind);
    const path = resourcePath(def, opts);
    return watchEvents(
      {
        open: (p, query, signal) => this.fetch('GET', p, { query, accept: 'text/event-stream', signal }),
        // The relist must be narrowed exactly like the watch, or a SYNC would hand over objects the watch never follows.
        relist: () => this.list(def.kind, { project: opts.project, labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, autoPaginate: true }),
      },
      path,
      opts,
    );
  }

  readonly tokens = {
    create: (req: TokenCreateRequest): Promise<CreatedToken> => this.request<CreatedToken>('POST', '/api/v1/tokens', { body: req }),
    list: async (): Promise<TokenInfo[]> => {
      const res = await this.request<TokenInfo[] | { items: TokenInfo[] }>('GET', '/api/v1/tokens');
      return Array.isArray(res) ? res : res.items;
    },
    revoke: async (id: string): Promise<void> => {
      await this.request<unknown>('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
    },
  };

  /** The audit log: read-only by design (the API has no way to change it). */
  readonly audit = {
    list: (opts: AuditListOptions = {}): Promise<AuditPage> =>
      this.request<AuditPage>('GET', '/api/v1/audit', { query: { project: opts.project, user: opts.user, since: opts.since, limit: opts.limit, after: opts.after } }),
    verify: (): Promise<AuditVerifyResult> => this.request<AuditVerifyResult>('GET', '/api/v1/audit/verify'),
    /** A period of the chain as JSON Lines (a stream: pipe `body` where it should go). */
    export: async (q: { from?: string; to?: string } = {}): Promise<Response> => {
      const res = await this.fetch('GET', '/api/v1/audit/export', { query: { from: q.from, to: q.to }, accept: 'application/x-ndjson' });
      if (!res.ok) throw await WeftApiError.fromResponse(res, 'GET', '/api/v1/audit/export');
      return res;
    },
    /** Where a project's work ran in [from, to), from the usage ledger, with any residency breach. */
    residency: (q: { project: string; from?: string; to?: string }): Promise<ResidencyReport> =>
      this.request<ResidencyReport>('GET', '/api/v1/audit/residency', { query: { project: q.project, from: q.from, to: q.to } }),
  };

  async whoami(): Promise<WhoAmI> {
    return normalizeWhoAmI(await this.request<unknown>('GET', '/api/v1/whoami'));
  }

  /** The server's release and API version. */
  async version(): Promise<{ version: string; apiVersion: string }> {
    return this.request<{ version: string; apiVersion: string }>('GET', '/api/v1/version');
  }

  /** True when /healthz answers 2xx; never throws. */
  async healthy(): Promise<boolean> {
    try {
      const res = await this.fetch('GET', '/healthz', { auth: false });
      await res.body?.cancel();
      return res.ok;
    } catch {
      return false;
    }
  }

  /** A JSON request to any API path; feature modules (nodes, logs, usage…) build on it. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const res = await this.fetch(method, path, { ...opts, signal });
    if (this.onWarning) for (const w of parseWarnings(res.headers.get('warning'))) this.onWarning(w);
    if (!res.ok) throw await WeftApiError.fromResponse(res, method, path);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** The raw response (streams such as logs -f); callers check res.ok themselves. */
  async fetch(
    method: string,
    path: string,
    opts: RequestOptions & { accept?: string; signal?: AbortSignal },
  ): Promise<Response> {
    const url = new URL(path, this.server + '/');
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: opts.accept ?? 'application/json', 'user-agent': this.userAgent };
    if (this.token && opts.auth !== false) headers.authorization = `Bearer ${this.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      body = JSON.stringify(opts.body);
      // Refused here, not sent: the server answers 413 as soon as it sees the length, and a large
      // body still being written then fails as a broken connection instead of saying why.
      const size = new TextEncoder().encode(body).length;
      if (size > MAX_REQUEST_BYTES) throw new WeftApiError(413, { code: 'PayloadTooLarge', title: 'Payload Too Large', detail: tooLargeMessage(MAX_REQUEST_BYTES, size) }, method, path);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetch(url, { method, headers, body, signal: opts.signal });
      } catch (err) {
        if (opts.signal?.aborted && (err as Error).name === 'AbortError') throw err;
        if (attempt < MAX_STALE_RETRIES && staleConnection(err, method)) continue;
        throw new WeftConnectionError(this.server, err);
      }
    }
  }
}

/**
 * Pooled keep-alive connections the server closed (it restarted, or ended a watch stream while
 * shutting down) fail the next request before the server sees it, and the pool may hold a few of
 * them. Retrying on another connection is safe for that case; a reset mid-request is only
 * retried when the method is idempotent.
 */
const MAX_STALE_RETRIES = 3;

function staleConnection(err: unknown, method: string): boolean {
  const code = ((err as Error).cause as { code?: string } | undefined)?.code;
  if (code === 'UND_ERR_SOCKET') return true;
  return code === 'ECONNRESET' && ['GET', 'PUT', 'DELETE', 'HEAD'].includes(method);
}

/** The texts of `Warning: 299 - "text"` headers (several arrive joined by commas). */
export function parseWarnings(header: string | null): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const m of header.matchAll(/\d{3} \S+ ("(?:[^"\\]|\\.)*")/g)) {
    try {
      out.push(JSON.parse(m[1]!) as string);
    } catch {
      out.push(m[1]!.slice(1, -1));
    }
  }
  return out;
}

interface RawList {
  items?: Resource[];
  resourceVersion?: string;
  continue?: string;
  metadata?: { resourceVersion?: string; continue?: string };
}

function normalizeList(raw: RawList): ListResult {
  const cont = raw.metadata?.continue ?? raw.continue;
  return {
    items: raw.items ?? [],
    resourceVersion: String(raw.metadata?.resourceVersion ?? raw.resourceVersion ?? '0'),
    ...(cont ? { continue: cont } : {}),
  };
}

function normalizeWhoAmI(raw: unknown): WhoAmI {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const u = r.user;
  // Either {user: "name", roles} or {user: <User resource>}.
  if (u && typeof u === 'object') {
    const res = u as Resource<{ roles?: WhoAmI['roles'] }>;
    return { ...r, user: res.metadata?.name ?? '', roles: res.spec?.roles ?? (r.roles as WhoAmI['roles']) ?? [] };
  }
  return { ...r, user: typeof u === 'string' ? u : String(r.name ?? ''), roles: Array.isArray(r.roles) ? (r.roles as WhoAmI['roles']) : [] };
}

function scopeOf(def: KindNames, obj: ResourceInput, opts: ItemOptions): ItemOptions {
  return def.scope === 'project' ? { project: obj.metadata.project ?? opts.project } : {};
}

function withProject(def: KindNames, obj: ResourceInput, opts: ItemOptions): ResourceInput {
  if (def.scope !== 'project' || obj.metadata.project || !opts.project) return obj;
  return { ...obj, metadata: { ...obj.metadata, project: opts.project } };
}

function notFoundAsUndefined(err: unknown): undefined {
  if (err instanceof WeftApiError && err.status === 404) return undefined;
  throw err;
}
