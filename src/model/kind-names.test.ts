// The plain registries agree with the schemas, and the GPU weight keeps its promises.
import { describe, expect, it } from 'vitest';
import { isActiveAllocation, migMilli, requestMilli } from './allocation-rules.js';
import { KIND_NAMES, WORKLOAD_KIND_NAMES, workloadKind, workloadKindWords } from './kind-names.js';
import { KINDS } from './registry.js';

describe('kind names', () => {
  it('name every kind the registry has a schema for, and nothing else', () => {
    expect(KINDS.map((k) => k.kind)).toEqual(KIND_NAMES.map((k) => k.kind));
  });

  it('list as workloads exactly the project-scoped kinds whose spec asks for per-replica resources', () => {
    const withResources = KINDS.filter((k) => k.scope === 'project' && 'resources' in ((k.spec as { properties?: object }).properties ?? {})).map((k) => k.kind);
    expect([...WORKLOAD_KIND_NAMES]).toEqual(withResources);
  });

  it('resolve a workload kind by any of its names, and say which exist', () => {
    for (const name of ['devenv', 'dev', 'devenvironments', 'DevEnvironment']) expect(workloadKind(name)?.kind).toBe('DevEnvironment');
    expect(workloadKind('svc')).toMatchObject({ kind: 'Service', plural: 'services', suspendable: false });
    expect(workloadKind('nodes')).toBeUndefined();
    expect(workloadKindWords()).toBe('job, service, devenv or vm');
  });
});

describe('allocation rules', () => {
  it('count an allocation without a phase (just bound) as active, and terminal ones not', () => {
    expect(isActiveAllocation({})).toBe(true);
    expect(['Bound', 'Running', 'Stopping'].map((phase) => isActiveAllocation({ status: { phase } }))).toEqual([true, true, true]);
    expect(['Succeeded', 'Failed', 'Lost', 'Preempted', 'Stopped'].map((phase) => isActiveAllocation({ status: { phase } }))).toEqual([false, false, false, false, false]);
  });

  it('weigh a MIG instance by its compute slices of 7, rounded down', () => {
    expect(['1g.10gb', '1g.20gb', '2g.20gb', '3g.40gb', '4g.40gb', '7g.80gb'].map(migMilli)).toEqual([142, 142, 285, 428, 571, 1000]);
    expect(requestMilli({ count: 8 })).toBe(8000);
    expect(requestMilli({ share: 0.25 })).toBe(250);
    expect(requestMilli({ mig: '3g.40gb' })).toBe(428);
  });

  it('never weigh the instances one GPU can hold at more than the GPU', () => {
    // Every multiset of instance sizes whose compute slices fit in 7.
    const sizes = [1, 2, 3, 4, 7];
    const check = (left: number, from: number, milli: number): void => {
      expect(milli).toBeLessThanOrEqual(1000);
      for (let i = from; i < sizes.length; i++) if (sizes[i]! <= left) check(left - sizes[i]!, i, milli + migMilli(`${sizes[i]}g.x`));
    };
    check(7, 0, 0);
  });
});
