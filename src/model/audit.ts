// The audit log's entries as the API returns them: shared by the store, which writes and chains
// them, and the client, which reads them.

export type AuditPrincipalKind = 'user' | 'node' | 'anonymous';

/** One mutating request as the API saw it. Strings are '' where there is nothing to say. */
export interface AuditEntryInput {
  /** RFC 3339; absent = the store's clock. Kept to the millisecond. */
  time?: string;
  requestId: string;
  /** User or node name; '' when the caller could not be authenticated. */
  principal: string;
  principalKind: AuditPrincipalKind;
  /** create, update, patch, delete, status, … */
  verb: string;
  /** Resource kind (Job, Token, …); '' when the path names none. */
  kind: string;
  project: string;
  name: string;
  method: string;
  path: string;
  /** The HTTP status the caller got. */
  status: number;
  /** The caller's address. */
  source: string;
}

export interface AuditEntry extends Required<AuditEntryInput> {
  /** Position in the chain (a decimal bigint); ids only grow, gaps are allowed. */
  id: string;
  prevHash: string;
  /** sha256(prevHash || canonical JSON of the entry's fields); see docs/store.md. */
  hash: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** The first entry whose link or hash does not match. */
  firstBadId?: string;
  reason?: string;
}
