// What scheduling decides from: the fleet (Nodes, Projects' sharing flags, active Allocations),
// the workloads, the priority classes, the fair-share queues and where each project's work may
// run (Projects, Sites, DataClasses) — folded from stored objects and
// their changes. The scheduling loop keeps one current from the store; a what-if (what-if.ts)
// loads one to ask "where would this go, and when?" with exactly the loop's rules.
import type { PriorityClassSpec } from '../model/kinds/priority-class.js';
import type { Resource } from '../model/metadata.js';
import type { Store, WatchEvent } from '../store/types.js';
import { FleetView } from './fleet-view.js';
import type { BackfillConfig, GangRequest } from '../scheduler/index.js';
import { gangRequest, maxRuntimeMs, priorityValue } from './gang.js';
import { QueueState, type QueueCount } from './queue-state.js';
import { listAtOneVersion } from './lists-at-one-version.js';
import { ResidencyView } from './residency.js';
import { VolumeView } from './volumes.js';
import { ReservationView } from './reservations/view.js';
import type { BookedCapacity } from '../scheduler/types.js';
import { ownerKey } from './workloads/allocations.js';
import { NodeImageIndex } from './node-images.js';
import type { VolumeMount } from '../model/container.js';
import type { PlacementDemand, WorkloadAdapter } from './workloads/types.js';

export const workloadKeyOf = (o: Resource): string => `${o.kind}/${o.metadata.project ?? ''}/${o.metadata.name}`;

export interface Folded {
  /** The change may change what a cycle does. */
  changed: boolean;
  /** The workload (kind/project/name) whose demand the change may have changed. */
  touched?: string;
}

export class SchedulingPicture {
  fleet: FleetView;
  readonly workloads = new Map<string, Resource>();
  /** Fair-share queues (Queue resources → tree; usage recounted each cycle). */
  readonly queues: QueueState;
  /** Where each project's work may run (Projects, DataClasses, Sites). */
  private residency = new ResidencyView();
  /** Where each project's Volumes are. */
  readonly volumes = new VolumeView();
  /** Capacity booked by reservations (status.booking), held against other work. */
  readonly reservations = new ReservationView();
  /** Which nodes hold which images (the image-locality tie-break). */
  private images = new NodeImageIndex();
  private readonly priorities = new Map<string, number>();
  private globalDefault = 0;
  /** Classes whose workloads may be preempted (spec.preemptible: true), and the global default's name. */
  private readonly preemptibleClasses = new Set<string>();
  private globalDefaultName: string | undefined;

  constructor(
    /** The workload kinds scheduled (those with an adapter). */
    readonly workloadKinds: ReadonlySet<string>,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.fleet = new FleetView(log);
    this.queues = new QueueState(log);
  }

  /** Every kind the picture is made of. */
  kinds(): string[] {
    return ['PriorityClass', 'Queue', 'Project', 'Site', 'DataClass', 'Volume', 'Reservation', 'Lease', 'Node', 'Allocation', ...this.workloadKinds];
  }

  /** The picture as of one version of the store (lists-at-one-version.ts). */
  static async load(store: Store, workloadKinds: ReadonlySet<string>, log?: (msg: string) => void): Promise<SchedulingPicture> {
    const p = new SchedulingPicture(workloadKinds, log);
    const lists = await listAtOneVersion(store, p.kinds());
    for (const items of lists.values()) for (const object of items) p.fold({ type: 'ADDED', object });
    return p;
  }

  reset(): void {
    this.workloads.clear();
    this.priorities.clear();
    this.preemptibleClasses.clear();
    this.queues.clear();
    this.fleet = new FleetView(this.log);
    this.residency = new ResidencyView();
    this.images = new NodeImageIndex();
  }

  fold(ev: WatchEvent): Folded {
    const o = ev.object;
    switch (o.kind) {
      case 'Project': {
        // GPU-sharing flags (shared isolation tier) and data residency
        const residency = this.residency.apply(ev.type, o);
        return { changed: this.fleet.applyProject(ev.type, o) || residency };
      }
      case 'Site':
      case 'DataClass':
        return { changed: this.residency.apply(ev.type, o) };
      case 'Volume':
        return { changed: this.volumes.apply(ev.type, o) };
      case 'Reservation':
      case 'Lease':
        return { changed: this.reservations.apply(ev.type, o) };
      case 'Node':
        // Images only break ties: a new list alone does not wake a cycle.
        this.images.apply(ev.type, o);
        return { changed: this.fleet.applyNode(ev.type, o) };
      case 'Allocation': {
        if (!this.fleet.applyAllocation(ev.type, o)) return { changed: false };
        const w = o.spec as { workload?: { kind: string; name: string } };
        return w.workload ? { changed: true, touched: `${w.workload.kind}/${o.metadata.project ?? ''}/${w.workload.name}` } : { changed: true };
      }
      case 'Queue':
        return { changed: this.queues.apply(ev.type, o) };
      case 'PriorityClass': {
        const spec = o.spec as unknown as PriorityClassSpec;
        if (ev.type === 'DELETED') this.priorities.delete(o.metadata.name);
        else this.priorities.set(o.metadata.name, spec.value);
        if (ev.type !== 'DELETED' && spec.preemptible === true) this.preemptibleClasses.add(o.metadata.name);
        else this.preemptibleClasses.delete(o.metadata.name);
        if (spec.globalDefault) {
          this.globalDefault = ev.type === 'DELETED' ? 0 : spec.value;
          this.globalDefaultName = ev.type === 'DELETED' ? undefined : o.metadata.name;
        }
        return { changed: true };
      }
      default: {
        if (!this.workloadKinds.has(o.kind)) return { changed: false };
        const k = workloadKeyOf(o);
        const old = this.workloads.get(k);
        if (old && BigInt(old.metadata.resourceVersion) >= BigInt(o.metadata.resourceVersion)) return { changed: false };
        if (ev.type === 'DELETED') this.workloads.delete(k);
        else this.workloads.set(k, o);
        return { changed: true, touched: k };
      }
    }
  }

  /** Priority of a workload: its class, else the global default, else what its adapter said. */
  priorityOf(w: Resource, fallback = 0): number {
    const spec = w.spec as { priorityClass?: string };
    return spec.priorityClass !== undefined || this.globalDefault !== 0 ? priorityValue(spec.priorityClass, this.priorities, this.globalDefault) : fallback;
  }

  /** Only work whose priority class says so may be evicted (a class without the flag is not). */
  preemptible(w: Resource): boolean {
    const cls = (w.spec as { priorityClass?: string }).priorityClass ?? this.globalDefaultName;
    return cls !== undefined && this.preemptibleClasses.has(cls);
  }

  /** What a workload still needs placed now (its adapter's word), at its priority; null when nothing. */
  demandOf(w: Resource, adapter: WorkloadAdapter, now: Date): PlacementDemand | null {
    const d = adapter.demand(w, this.fleet.activeFor(w.metadata.uid), now);
    if (d) d.priority = this.priorityOf(w, d.priority);
    return d;
  }

  /** The scheduler's request for a demand, with its tenant's GPU-sharing flag and data residency. */
  gangOf(id: string, d: PlacementDemand): GangRequest {
    const project = d.workload.metadata.project;
    const spec = d.workload.spec as { volumeMounts?: VolumeMount[]; image?: string };
    const volumes = this.volumes.placementOf(project ?? '', spec.volumeMounts);
    const imageNodes = spec.image !== undefined ? this.images.nodesWith(spec.image) : [];
    const g = gangRequest(id, d, { allowSharing: this.fleet.allowsSharing(project), residency: this.residency.residency(project ?? ''), ...(volumes ? { volumes } : {}), ...(imageNodes.length > 0 ? { imageNodes } : {}) });
    if (this.preemptible(d.workload)) g.preemptible = true;
    return g;
  }

  /** What each fair-share queue holds now; undefined without queues. */
  count(now: Date): QueueCount | undefined {
    return this.queues.count(this.fleet, this.workloads, now.getTime());
  }

  /** Capacity booked by reservations at `now`, with what their owners' work holds on it. */
  bookings(now: Date): BookedCapacity[] {
    return this.reservations.bookings(now.getTime(), this.fleet.activeAllocations(), (a) => {
      const o = ownerKey(a);
      return this.workloads.get(`${o.kind}/${o.project}/${o.name}`);
    });
  }

  /**
   * Backfill: running work ends at its start + declared max runtime (unknown = never). Read from
   * every active allocation, so only when the cycle first needs a reservation, not every cycle.
   */
  backfill(): Pick<BackfillConfig, 'running'> {
    return { running: () => this.fleet.runningForBackfill((w) => maxRuntimeMs(this.workloads.get(`${w.kind}/${w.project}/${w.name}`) ?? {})) };
  }
}
