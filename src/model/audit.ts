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

/** What a checkpoint says about the chain: its entry `id` has `hash` and is entry number `count`. */
export interface AuditAnchor {
  id: string;
  hash: string;
  count: number;
  /** When the checkpoint was taken (for messages). */
  time?: string;
}

/** The newest entry of the chain, and how many entries there are after a given one (or in all). */
export interface AuditHead {
  id: string;
  hash: string;
  count: number;
}

/** How the chain compares with the signed checkpoints published outside the database. */
export interface AuditCheckpointReport {
  /** Checkpoints whose entry the chain holds with the same hash at the same position. */
  matched: number;
  /** Every disagreement found (the signature of a line, or the chain against a checkpoint). */
  problems: string[];
  /** The newest valid checkpoint. */
  latest?: { time: string; count: number; id: string; hash: string };
  /** Lines signed by another key (an earlier server key): not checked. */
  otherKeys?: number;
  /** Where the server keeps them. */
  file?: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** The first entry whose link or hash does not match. */
  firstBadId?: string;
  reason?: string;
  /** Present when checkpoints were compared (a server that keeps none reports none). */
  checkpoints?: AuditCheckpointReport;
}

/** The residency report (GET /api/v1/audit/residency; docs/policy.md "Proving residency"). */
export interface ResidencyPlace {
  node: string;
  site: string;
  /** '' when the site declares no country (or the node no site). */
  country: string;
  /** 0 for a node that ran only the project's CPU work. */
  gpuSeconds: number;
}

export interface ResidencyBreach {
  allocation: string;
  workload: string;
  node: string;
  site: string;
  country: string;
  start: string;
  end: string;
  /** True when the allocation still ran at the report's end. */
  open: boolean;
  gpuSeconds: number;
}

export interface ResidencyReport {
  project: string;
  from: string;
  to: string;
  generatedAt: string;
  /** The residency checked against: the project's as of generatedAt (sites null = anywhere). */
  residency: { sites: string[] | null; rule: string; dataClass?: string };
  gpuSeconds: number;
  byCountry: { country: string; gpuSeconds: number }[];
  bySite: { site: string; country: string; gpuSeconds: number }[];
  byNode: ResidencyPlace[];
  breaches: ResidencyBreach[];
  audit: {
    /** Entries in the window about the project's objects or the rules behind its residency. */
    entries: number;
    /** Successful writes in the window to the Project, its DataClass or any Site: the rules may have changed. */
    ruleChanges: Pick<AuditEntry, 'id' | 'time' | 'principal' | 'verb' | 'kind' | 'name' | 'hash'>[];
    /** The whole chain re-checked when the report was made. */
    chain: { ok: boolean; checked: number; headId?: string; headHash?: string; reason?: string };
  };
}
