// Errors the client raises. A WeftApiError carries the server's problem details unchanged, so
// callers (the CLI, the console) can name the offending field instead of printing a status code.
import type { FieldIssue } from '../model/errors.js';

/** The body of an application/problem+json response. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  issues?: FieldIssue[];
}

export class WeftApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly issues: FieldIssue[];

  constructor(status: number, problem: ProblemDetails, readonly method = '', readonly url = '') {
    const detail = problem.detail ?? problem.title ?? `HTTP ${status}`;
    super(detail);
    this.name = 'WeftApiError';
    this.status = status;
    this.code = problem.code ?? codeForStatus(status);
    this.title = problem.title ?? this.code;
    this.detail = detail;
    this.issues = Array.isArray(problem.issues) ? problem.issues.filter(isIssue) : [];
  }

  /** Builds the error from a non-2xx response, tolerating bodies that are not problem+json. */
  static async fromResponse(res: Response, method: string, url: string): Promise<WeftApiError> {
    const text = await res.text().catch(() => '');
    let problem: ProblemDetails = {};
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') problem = parsed as ProblemDetails;
    } catch {
      if (text.trim()) problem = { detail: text.trim().slice(0, 500) };
    }
    return new WeftApiError(res.status, problem, method, url);
  }
}

/** The server could not be reached at all (refused, DNS, TLS, timeout). */
export class WeftConnectionError extends Error {
  constructor(readonly server: string, cause: unknown) {
    super(`cannot reach the Weft server at ${server}: ${describeCause(cause)}`);
    this.name = 'WeftConnectionError';
  }
}

function isIssue(v: unknown): v is FieldIssue {
  return !!v && typeof v === 'object' && typeof (v as FieldIssue).field === 'string' && typeof (v as FieldIssue).message === 'string';
}

function codeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    409: 'Conflict',
    410: 'Gone',
    413: 'PayloadTooLarge',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
  };
  return codes[status] ?? (status >= 500 ? 'InternalError' : `HTTP${status}`);
}

// fetch() wraps the interesting error (ECONNREFUSED, ENOTFOUND) in `cause`.
function describeCause(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 3 && e instanceof Error && e.cause; i++) e = e.cause;
  if (e && typeof e === 'object' && 'code' in e && typeof e.code === 'string') {
    const hints: Record<string, string> = {
      ECONNREFUSED: 'connection refused (is `weft up` running?)',
      ENOTFOUND: 'host not found',
      ECONNRESET: 'connection reset',
      ETIMEDOUT: 'timed out',
    };
    return hints[e.code] ?? e.code;
  }
  return e instanceof Error ? e.message : String(e);
}
