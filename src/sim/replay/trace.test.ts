// The default Alibaba trace in time mode, cut to its first pods so it runs in seconds.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAlibabaNodes } from '../alibaba.js';
import { HAS_TRACES, SKIP_NOTE, tracePath } from '../testing/traces.js';
import { parseAlibabaTimedPods } from './alibaba-timed.js';
import { runReplay } from './engine.js';

const FIRST = 1500;

describe.skipIf(!HAS_TRACES)(`replay of openb_pod_list_default in time mode${SKIP_NOTE}`, () => {
  it('replays the first pods by creation time with trace durations', { timeout: 60_000 }, () => {
    const nodes = parseAlibabaNodes(readFileSync(tracePath('openb_node_list_gpu_node.csv'), 'utf8'));
    const text = readFileSync(tracePath('openb_pod_list_default.csv'), 'utf8');
    const gangs = parseAlibabaTimedPods(text, { limit: FIRST });
    expect(gangs).toHaveLength(FIRST);
    // Arrivals are in creation order and each carries the trace's own run time.
    for (let i = 1; i < gangs.length; i++) expect(gangs[i]!.submitAt).toBeGreaterThanOrEqual(gangs[i - 1]!.submitAt);
    expect(gangs.every((g) => g.durationMs === null || g.durationMs >= 0)).toBe(true);
    const queues = [...new Set(gangs.map((g) => g.queue))].map((name) => ({ name, nominalGpus: 1 }));

    // QoS classes carry no quotas: queues label the accounting only (fairShare off).
    const r = runReplay({ nodes, gangs, queues }, { policy: 'weft', seed: 1, fairShare: false });
    expect(r.capacityGpus).toBe(6212);
    expect(r.overall.submitted).toBe(FIRST);
    expect(r.overall.started).toBeGreaterThan(FIRST * 0.95);
    expect(r.utilisationPct).toBeGreaterThan(0);
    expect(r.utilisationPct).toBeLessThanOrEqual(100);
    expect(r.timeline.every((p) => p.utilisationPct >= 0 && p.utilisationPct <= 100 + 1e-9)).toBe(true);
    // Everything is priority 0 here, so nothing is ever preempted.
    expect(r.overall.preemptions).toBe(0);
    expect(new Set(r.queues)).toEqual(new Set(gangs.map((g) => g.queue)));
    const shares = r.byQueue.reduce((s, q) => s + q.share, 0);
    expect(shares).toBeCloseTo(1, 3);
  });
});
