// Least outstanding requests: a replica that answers slowly keeps more requests open and so gets
// fewer new ones. Among replicas tied on the fewest, the caller's turn counter picks in rotation,
// so equal replicas share the load evenly (a replica that just came up is not flooded).
import type { Replica } from './replicas.js';

export function pickReplica(ready: readonly Replica[], turn = 0): Replica | undefined {
  if (ready.length === 0) return undefined;
  const least = Math.min(...ready.map((r) => r.outstanding));
  const tied = ready.filter((r) => r.outstanding === least).sort((a, b) => a.replica - b.replica || a.name.localeCompare(b.name));
  return tied[turn % tied.length];
}
