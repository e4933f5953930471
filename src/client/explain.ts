// What-if (docs/api.md, "What-if"): where and when a workload would start, asked of the server,
// which evaluates it against the live fleet with the scheduling loop's own rules.
import type { ResourceInput } from '../model/metadata.js';
import { kindNames, type WorkloadKind } from '../model/kind-names.js';
import type { WhatIfAnswer } from '../model/what-if.js';
import type { WeftClient } from './client.js';

export type { WhatIfAnswer, WhatIfPlacement, WorkloadRefs } from '../model/what-if.js';

/** A stored workload: where it stands in line (or, when it is not waiting, a copy submitted now). */
export function explainWorkload(client: WeftClient, kind: WorkloadKind, project: string, name: string): Promise<WhatIfAnswer> {
  const path = `/api/v1/projects/${encodeURIComponent(project)}/${kindNames(kind).plural}/${encodeURIComponent(name)}/explain`;
  return client.request<WhatIfAnswer>('GET', path);
}

/** A manifest, as if the caller submitted it now (admission included: a refusal is the same error). */
export function explainManifest(client: WeftClient, manifest: ResourceInput): Promise<WhatIfAnswer> {
  return client.request<WhatIfAnswer>('POST', '/api/v1/explain', { body: manifest });
}
