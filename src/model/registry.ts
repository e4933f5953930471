// The kinds Weft knows. Everything generic (store, API routes, OpenAPI, CLI) is driven by this list.
import type { KindDef } from './kind.js';
import { resolveKindNames } from './kind-names.js';
import { AllocationKind } from './kinds/allocation.js';
import { DevEnvironmentKind } from './kinds/dev-environment.js';
import { EventKind } from './kinds/event.js';
import { JobKind } from './kinds/job.js';
import { NodeKind } from './kinds/node.js';
import { PriorityClassKind } from './kinds/priority-class.js';
import { ProjectKind } from './kinds/project.js';
import { ServiceKind } from './kinds/service.js';
import { QueueKind } from './kinds/queue.js';
import { SiteKind } from './kinds/site.js';
import { UserKind } from './kinds/user.js';
import { BudgetKind } from './kinds/budget.js';
import { PriceBookKind } from './kinds/price-book.js';
import { PolicyKind, ProjectPolicyKind } from './kinds/policy.js';
import { DataClassKind } from './kinds/data-class.js';
import { ClusterKind } from './kinds/cluster.js';
import { SecretKind } from './kinds/secret.js';
import { VolumeKind } from './kinds/volume.js';
import { ImageKind } from './kinds/image.js';
import { NetworkKind } from './kinds/network.js';
import { VirtualMachineKind } from './kinds/virtual-machine.js';
import { ReservationKind } from './kinds/reservation.js';
import { LeaseKind } from './kinds/lease.js';
import { closestName } from './suggest.js';

export const KINDS: readonly KindDef[] = [
  ProjectKind, QueueKind, PriorityClassKind, SiteKind, NodeKind, UserKind,
  JobKind,
  ServiceKind,
  DevEnvironmentKind,
  AllocationKind,
  EventKind,
  PriceBookKind,
  BudgetKind,
  PolicyKind,
  ProjectPolicyKind,
  DataClassKind,
  ClusterKind,
  SecretKind,
  VolumeKind,
  ImageKind,
  NetworkKind,
  VirtualMachineKind,
  ReservationKind,
  LeaseKind,
];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

export function kindDef(kind: string): KindDef | undefined {
  return byKind.get(kind);
}

/** Resolves what a user types ("jobs", "job", "Job", "pc") to a kind. */
export function resolveKind(name: string): KindDef | undefined {
  const names = resolveKindNames(name);
  return names && byKind.get(names.kind);
}

export function kindByPlural(plural: string): KindDef | undefined {
  const k = resolveKind(plural);
  return k && k.plural === plural ? k : undefined;
}

/**
 * What to tell someone who typed a kind that does not exist: the nearest kind if it looks like a
 * typo, and every kind, as manifests name them (`Job`) or as commands do (`jobs`).
 */
export function unknownKindMessage(typed: string, spelling: 'kind' | 'plural'): string {
  const nameOf = (k: KindDef): string => (spelling === 'kind' ? k.kind : k.plural);
  // Commands accept the singular and the aliases too: a typo of any of them points at the kind.
  const spellings = new Map<string, KindDef>();
  for (const k of KINDS) for (const n of spelling === 'kind' ? [k.kind] : [k.plural, k.kind.toLowerCase(), ...k.aliases]) spellings.set(n, k);
  const near = closestName(typed, spellings.keys());
  const hint = near !== undefined ? `; did you mean "${nameOf(spellings.get(near)!)}"?` : '';
  return `unknown kind "${typed}"${hint}; known kinds: ${KINDS.map(nameOf).sort().join(', ')}`;
}
