// Forwards one request to a replica with node:http, streaming both bodies. The caller's bearer
// token is never passed on (the model server is the tenant's code); hop-by-hop headers are
// dropped both ways, and the X-Forwarded-* headers tell the replica where the request came from.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
]);

/** Headers safe to pass on: no hop-by-hop ones, none the Connection header names, no credentials. */
export function forwardableHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || named.has(k)) continue;
    out[k] = v;
  }
  return out;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
  ) {
    super(message);
  }
}

export interface UpstreamRequest {
  endpoint: string;
  /** Path and query to ask the replica for, starting with "/". */
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: IncomingMessage;
  timeoutMs: number;
  agents: { http: http.Agent; https: https.Agent };
  /** The caller went away: give up on the replica too. */
  signal?: AbortSignal;
}

export interface Upstream {
  response: IncomingMessage;
  /** Ends the exchange early (the caller went away). */
  abort(): void;
}

/**
 * Opens the request and resolves once the replica's response headers arrive. The whole exchange
 * (body included) is bounded by timeoutMs: past it the upstream socket is destroyed.
 */
export function openUpstream(u: UpstreamRequest): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const url = new URL(u.path, u.endpoint);
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, { method: u.method, headers: u.headers, agent: secure ? u.agents.https : u.agents.http });
    let settled = false;
    const timer = setTimeout(() => {
      const err = new UpstreamError(`the replica did not answer within ${u.timeoutMs} ms`, true);
      if (!settled) {
        settled = true;
        reject(err);
      }
      req.destroy(err);
    }, u.timeoutMs);
    req.on('response', (response) => {
      settled = true;
      response.on('close', () => clearTimeout(timer));
      resolve({ response, abort: () => req.destroy() });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(err instanceof UpstreamError ? err : new UpstreamError(`the replica could not be reached: ${err.message}`, false));
    });
    req.on('close', () => {
      if (!settled) clearTimeout(timer);
    });
    u.signal?.addEventListener('abort', () => req.destroy(new UpstreamError('the caller went away', false)), { once: true });
    u.body.pipe(req);
  });
}
