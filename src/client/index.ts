export { WeftClient } from './client.js';
export { cordonNode, uncordonNode, drainNode, activeAllocationsOn } from './nodes.js';
export { explainWorkload, explainManifest, type WhatIfAnswer, type WhatIfPlacement, type WorkloadRefs } from './explain.js';
export { readLogs, readLogsOf, followLogs, type LogQuery, type LogWorkloadKind } from './logs.js';
export { pushServiceMetric, servicePath } from './services.js';
export { getSummary, watchSummary, type FleetSummary, type SummaryGpus, type SummaryNodes, type SummaryWorkloads, type SummaryHeld, type SummaryWatchOptions } from './summary.js';
export { getUsage, getInvoice, getOpenCostAllocation, type UsageReport, type UsageRow, type UsageOptions, type UsageGrouping, type Invoice, type InvoiceLine } from './usage.js';
export type {
  ClientOptions,
  ListOptions,
  ListResult,
  ItemOptions,
  ApplyAction,
  ApplyResult,
  ApplyPlan,
  TokenCreateRequest,
  CreatedToken,
  TokenInfo,
  WhoAmI,
  AuditListOptions,
  AuditPage,
  RequestOptions,
} from './client.js';
export type { AuditEntry, AuditVerifyResult, ResidencyReport } from '../model/audit.js';
export { WeftApiError, WeftConnectionError, type ProblemDetails } from './errors.js';
export { kindOf, resourcePath, UnknownKindError, MissingProjectError } from './paths.js';
export { LAST_APPLIED_ANNOTATION, threeWayPatch, deepEqual } from './apply.js';
export type { WatchEvent, WatchEventType, SyncEvent, WatchMessage, WatchOptions } from './watch.js';
export { openStream, STREAM_PATH, type StreamWatchSpec, type StreamFrame } from './stream.js';
export { allocationsOf, eventsAbout, eventTime } from './related.js';
export { setSuspended } from './suspend.js';
