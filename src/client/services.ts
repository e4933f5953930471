// Serving (docs/serving.md): pushing a Service's autoscaling metric, and the gateway path a
// Service answers on.
import type { WeftClient } from './client.js';

/** Reports the current Service-wide value of spec.autoscaling.metric (e.g. the model server's queue depth). */
export async function pushServiceMetric(client: WeftClient, project: string, service: string, metric: { name: string; value: number }): Promise<void> {
  await client.request<void>('POST', `/api/v1/projects/${encodeURIComponent(project)}/services/${encodeURIComponent(service)}/metrics`, { body: metric });
}

/** The gateway path of a Service: `/{project}/{service}/`, to which a request path is appended. */
export function servicePath(project: string, service: string, path = '/'): string {
  return `/${encodeURIComponent(project)}/${encodeURIComponent(service)}${path.startsWith('/') ? path : `/${path}`}`;
}
