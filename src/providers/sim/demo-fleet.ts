// The demo fleet `weft up --demo` registers: labelled simulated Sites and Nodes run by the sim
// provider, so a newcomer can watch the whole workload lifecycle with no GPUs. Nodes are laid
// out in order over the racks (H100 first, then the MIG-enabled A100s), so with the defaults the
// A100s share the last rack with a few H100s, as mixed halls often do.
import type { ResourceInput } from '../../model/metadata.js';
import { API_VERSION } from '../../model/metadata.js';
import type { Store } from '../../store/types.js';
import { deepEqual } from '../../client/apply.js';
import { SIMULATED_LABEL } from './heartbeat.js';

export interface DemoSite {
  name: string;
  /** Short prefix for rack and node names, e.g. "fra1". */
  prefix: string;
  country: string;
  region: string;
  description: string;
}

export interface DemoFleetOptions {
  sites?: DemoSite[];
  racksPerSite?: number;
  h100Nodes?: number;
  a100MigNodes?: number;
  gpusPerNode?: number;
}

export const DEFAULT_DEMO_SITES: DemoSite[] = [
  { name: 'eu-fra-1', prefix: 'fra1', country: 'DE', region: 'eu-central', description: 'Frankfurt (simulated)' },
  { name: 'eu-par-1', prefix: 'par1', country: 'FR', region: 'eu-west', description: 'Paris (simulated)' },
];

const SIM_LABELS = { [SIMULATED_LABEL]: 'true' };

/** The Sites and Nodes of the demo fleet, in registration order. */
export function demoFleet(opts: DemoFleetOptions = {}): ResourceInput[] {
  const sites = opts.sites ?? DEFAULT_DEMO_SITES;
  const racksPerSite = opts.racksPerSite ?? 2;
  const h100 = opts.h100Nodes ?? 32;
  const a100 = opts.a100MigNodes ?? 8;
  const gpus = opts.gpusPerNode ?? 8;
  const out: ResourceInput[] = sites.map((s) => ({
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: { name: s.name, labels: { ...SIM_LABELS } },
    spec: { region: s.region, zone: `${s.name}a`, country: s.country, jurisdiction: 'EU', description: s.description },
  }));
  const racks = sites.flatMap((s) => Array.from({ length: racksPerSite }, (_, i) => ({ site: s, rack: `${s.prefix}-r${pad(i + 1)}` })));
  const total = h100 + a100;
  const perRack = Math.max(1, Math.ceil(total / Math.max(1, racks.length)));
  const counters = new Map<string, number>();
  for (let i = 0; i < total; i++) {
    const { site, rack } = racks[Math.min(racks.length - 1, Math.floor(i / perRack))]!;
    const mig = i >= h100;
    const family = mig ? 'a100' : 'h100';
    const counterKey = `${site.prefix}-${family}`;
    const n = (counters.get(counterKey) ?? 0) + 1;
    counters.set(counterKey, n);
    const name = `${site.prefix}-${family}-${pad(n)}`;
    const model = mig ? 'A100-80GB' : 'H100-80GB';
    out.push({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name, labels: { ...SIM_LABELS, site: site.name, rack, gpu: family, ...(mig ? { 'weft.dev/mig': 'true' } : {}) } },
      spec: {
        site: site.name,
        rack,
        // One HGX baseboard per host: its 8 GPUs form one NVLink domain.
        nvlinkDomain: `${name}-nvl`,
        cpu: mig ? '256' : '224',
        memory: mig ? '1Ti' : '2Ti',
        gpus: Array.from({ length: gpus }, (_, g) => ({
          index: g,
          uuid: `GPU-sim-${name}-${g}`,
          model,
          memory: '80Gi',
          ...(mig ? { migEnabled: true } : {}),
        })),
        provider: 'sim',
      },
    });
  }
  return out;
}

/**
 * Creates what is missing and brings drifted specs and labels back; leaves status (state,
 * heartbeats) alone. Returns how many objects it created and updated.
 */
export async function registerDemoFleet(store: Store, opts: DemoFleetOptions = {}): Promise<{ created: number; updated: number }> {
  const wanted = demoFleet(opts);
  return store.transaction(async (tx) => {
    let created = 0;
    let updated = 0;
    for (const obj of wanted) {
      const live = await tx.get({ kind: obj.kind, name: obj.metadata.name });
      if (!live) {
        await tx.create(obj);
        created++;
      } else if (!deepEqual(live.spec, obj.spec) || !deepEqual(live.metadata.labels ?? {}, obj.metadata.labels)) {
        await tx.update({ ...live, metadata: { ...live.metadata, labels: obj.metadata.labels }, spec: obj.spec });
        updated++;
      }
    }
    return { created, updated };
  });
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
