// Typed errors shared by every layer. Each carries a stable code and the HTTP status the API
// maps it to, so that bad input is never reported as a 500.

export interface FieldIssue {
  /** JSON pointer-ish path of the offending field, e.g. "spec.replicas". */
  field: string;
  message: string;
}

export class WeftError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or fails validation (400/422). */
export class ValidationError extends WeftError {
  constructor(message: string, issues: FieldIssue[] = [], status = 422) {
    super('Invalid', status, message, issues);
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError(`${field}: ${message}`, [{ field, message }]);
  }
}

export class BadRequestError extends WeftError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('BadRequest', 400, message, issues);
  }
}

export class NotFoundError extends WeftError {
  constructor(message: string) {
    super('NotFound', 404, message);
  }
}

export class AlreadyExistsError extends WeftError {
  constructor(message: string) {
    super('AlreadyExists', 409, message);
  }
}

/** Optimistic-concurrency failure: the caller's resourceVersion is stale. */
export class ConflictError extends WeftError {
  constructor(message: string) {
    super('Conflict', 409, message);
  }
}

/** A watch asked to resume from a resourceVersion that has been compacted away. */
export class GoneError extends WeftError {
  constructor(message: string) {
    super('Gone', 410, message);
  }
}

export class UnauthorizedError extends WeftError {
  constructor(message = 'a valid bearer token is required') {
    super('Unauthorized', 401, message);
  }
}

export class ForbiddenError extends WeftError {
  constructor(message: string) {
    super('Forbidden', 403, message);
  }
}

/** Admission refused the object (quota, policy). */
export class QuotaExceededError extends WeftError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('QuotaExceeded', 403, message, issues);
  }
}

export class PayloadTooLargeError extends WeftError {
  constructor(message: string) {
    super('PayloadTooLarge', 413, message);
  }
}

/** An admission policy refused the request; each issue names the policy and says why. */
export class PolicyDeniedError extends WeftError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('PolicyDenied', 403, message, issues);
  }
}

/**
 * The database cannot be reached (restarting, network loss) or cannot take more data (disk full).
 * A write refused this way may still have committed if the connection broke during its COMMIT:
 * read the object back before retrying.
 */
export class StoreUnavailableError extends WeftError {
  constructor(message: string, status: 503 | 507 = 503) {
    super(status === 507 ? 'InsufficientStorage' : 'Unavailable', status, message);
  }
}
