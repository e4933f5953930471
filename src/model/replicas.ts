// How many replicas a workload has, the same way everywhere it is shown (CLI tables, console).
// A Job asks for spec.replicas; a Service for min..max, of which its controller keeps
// status.replicas (what the autoscaler last chose) and counts status.readyReplicas; a
// DevEnvironment is one replica.
import type { Resource } from './metadata.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

/** The replicas the workload should have now. */
export function desiredReplicas(w: Resource): number {
  const spec = obj(w.spec);
  if (w.kind === 'Service') return int(obj(w.status).replicas) ?? int(obj(spec.replicas).min) ?? 1;
  return int(spec.replicas) ?? 1;
}

/** A Service's replicas as "ready/desired" ("2/2"); other kinds their replica count. */
export function replicasText(w: Resource): string {
  if (w.kind !== 'Service') return String(desiredReplicas(w));
  return `${int(obj(w.status).readyReplicas) ?? 0}/${desiredReplicas(w)}`;
}
