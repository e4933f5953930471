import { describe, expect, it } from 'vitest';
import type { Resource } from '../../model/metadata.js';
import { renderWorkloadDetails } from './workload-details.js';

const job = (status: Record<string, unknown>): Resource =>
  ({ apiVersion: 'weft/v1', kind: 'Job', metadata: { name: 'train', project: 'p', uid: 'u', resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: {}, status }) as unknown as Resource;

describe('workload details', () => {
  it('shows the scheduler explanation under the node counts of a pending workload', () => {
    const out = renderWorkloadDetails(
      job({ phase: 'Pending', scheduling: { message: '0/3 nodes fit: 3 InsufficientGpu', explanation: 'needs 8×GPU; 2 gangs ahead in queue team-a' } }),
      [],
    ).join('\n');
    expect(out).toMatch(/^Why pending:\s+0\/3 nodes fit: 3 InsufficientGpu\n\s+needs 8×GPU; 2 gangs ahead in queue team-a$/m);
  });

  it('shows the locality a placed gang achieved', () => {
    const out = renderWorkloadDetails(job({ phase: 'Running', locality: { within: 'rack', mode: 'preferred', domain: 'r2', achieved: true } }), []).join('\n');
    expect(out).toMatch(/^Locality:\s+one rack \(r2\), preferred$/m);
  });
});
