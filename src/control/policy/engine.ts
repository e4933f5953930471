// Policies in a running server: the compiled set, checked against the store in every admission
// transaction (one cheap query; recompiled only when a policy changed), and the counters each
// policy's status shows, gathered in memory and added to the stored status every few seconds.
// Several server replicas may each add their own counts: every flush adds, none overwrites.
import type { Resource } from '../../model/metadata.js';
import { POLICY_KINDS, type PolicySpec, type PolicyStatus, type PolicyViolation } from '../../model/kinds/policy.js';
import type { Store, StoreTx } from '../../store/types.js';
import { compilePolicy, policyId, type CompiledPolicy } from './compile.js';
import type { PolicyRequest, Violation } from './evaluate.js';

const MAX_VIOLATIONS = 10;

interface Delta {
  matches: number;
  denials: number;
  warnings: number;
  audits: number;
  /** Oldest first. */
  violations: PolicyViolation[];
}

/** A stored policy that no longer compiles denies what it would match: a rule must never silently lapse. */
function brokenPolicy(obj: Resource, why: string): CompiledPolicy {
  const spec = obj.spec as unknown as PolicySpec;
  const kind = obj.kind as CompiledPolicy['kind'];
  const kinds = spec.match?.kinds ?? ['*'];
  const message = `this policy does not compile (${why}); fix or delete it`;
  return {
    id: policyId(kind, obj.metadata.name, obj.metadata.project),
    kind,
    name: obj.metadata.name,
    ...(obj.metadata.project ? { scopeProject: obj.metadata.project } : {}),
    action: 'Deny',
    kinds: kinds.includes('*') ? 'all' : new Set(kinds),
    operations: new Set(spec.match?.operations ?? ['CREATE', 'UPDATE']),
    validations: [{ program: { source: 'false', type: 'bool', run: () => false }, message }],
    mutations: [],
    reads: { user: false, userGpus: false },
  };
}

export function compileStored(obj: Resource): CompiledPolicy {
  try {
    return compilePolicy(obj.kind as CompiledPolicy['kind'], obj.metadata.name, obj.metadata.project, obj.spec as unknown as PolicySpec);
  } catch (e) {
    return brokenPolicy(obj, (e as Error).message);
  }
}

export interface PolicyEngineOptions {
  /**
   * How often counters are added to the policies' status (default 10 s). Each flush writes every
   * policy that matched since the last one, under the store's write lock, so it is kept rare.
   */
  flushIntervalMs?: number;
  log?: (msg: string) => void;
}

export class PolicyEngine {
  private stampSeen: string | undefined;
  private current: CompiledPolicy[] = [];
  /** By uid: the compiled form of one generation of a policy's spec. */
  private readonly compiled = new Map<string, { generation: number; policy: CompiledPolicy }>();
  private readonly deltas = new Map<string, { key: { kind: string; project?: string; name: string }; delta: Delta }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly opts: PolicyEngineOptions = {},
  ) {}

  /** The policies in force, as of this transaction. Sorted by id, so every replica applies mutations in one order. */
  async load(tx: StoreTx): Promise<readonly CompiledPolicy[]> {
    const stamp = await tx.stamp(POLICY_KINDS);
    if (stamp === this.stampSeen) return this.current;
    const seen = new Set<string>();
    const out: CompiledPolicy[] = [];
    for (const kind of POLICY_KINDS) {
      for (const obj of (await tx.list(kind)).items) {
        seen.add(obj.metadata.uid);
        const hit = this.compiled.get(obj.metadata.uid);
        if (hit && hit.generation === obj.metadata.generation) {
          out.push(hit.policy);
          continue;
        }
        const policy = compileStored(obj);
        this.compiled.set(obj.metadata.uid, { generation: obj.metadata.generation, policy });
        out.push(policy);
      }
    }
    for (const uid of this.compiled.keys()) if (!seen.has(uid)) this.compiled.delete(uid);
    out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.current = out;
    this.stampSeen = stamp;
    return out;
  }

  /** Counts one decided request: matched policies, and what each violation did. */
  record(matched: readonly CompiledPolicy[], violations: readonly Violation[], req: PolicyRequest, user: string, now: Date): void {
    const deltaOf = (p: CompiledPolicy): Delta => {
      let d = this.deltas.get(p.id);
      if (!d) {
        d = { key: { kind: p.kind, ...(p.scopeProject ? { project: p.scopeProject } : {}), name: p.name }, delta: { matches: 0, denials: 0, warnings: 0, audits: 0, violations: [] } };
        this.deltas.set(p.id, d);
      }
      return d.delta;
    };
    for (const p of new Set(matched)) deltaOf(p).matches++;
    for (const v of violations) {
      const d = deltaOf(v.policy);
      const result = v.action === 'Deny' ? 'Denied' : v.action === 'Warn' ? 'Warned' : 'Audited';
      if (result === 'Denied') d.denials++;
      else if (result === 'Warned') d.warnings++;
      else d.audits++;
      d.violations.push({
        time: now.toISOString(),
        result,
        operation: req.operation,
        kind: req.kind,
        ...(req.project ? { project: req.project } : {}),
        name: req.name,
        user,
        message: v.message,
      });
      if (d.violations.length > MAX_VIOLATIONS) d.violations.shift();
    }
  }

  /** Starts adding counters to the stored status every flushIntervalMs. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.opts.flushIntervalMs ?? 10_000);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  /** Adds the counters gathered since the last flush to each policy's stored status. */
  flush(): Promise<void> {
    this.flushing ??= this.flushNow().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    if (this.deltas.size === 0) return;
    const batch = [...this.deltas.values()];
    this.deltas.clear();
    try {
      await this.store.transaction(async (tx) => {
        for (const { key, delta } of batch) {
          const obj = await tx.get(key);
          if (!obj) continue; // deleted since: its counts go with it
          const st = (obj.status ?? {}) as PolicyStatus;
          const status: PolicyStatus = {
            ...st,
            matches: (st.matches ?? 0) + delta.matches,
            denials: (st.denials ?? 0) + delta.denials,
            warnings: (st.warnings ?? 0) + delta.warnings,
            audits: (st.audits ?? 0) + delta.audits,
            lastViolations: [...[...delta.violations].reverse(), ...(st.lastViolations ?? [])].slice(0, MAX_VIOLATIONS),
          };
          await tx.update({ ...obj, status: status as Record<string, unknown> }, { resourceVersion: obj.metadata.resourceVersion });
        }
      });
    } catch (e) {
      this.opts.log?.(`policy: could not record counters: ${(e as Error).message}`);
    }
  }
}
