// The "typical pod" distribution FGD measures fragmentation against: the most frequent request
// shapes that together cover 95% of pods, with their relative frequencies (METHODOLOGY §3.1 of
// the Alibaba benchmark). Memory is deliberately not part of a shape.

export interface PodShape {
  cpuMilli: number;
  /** Milli-GPU per GPU; 0 for CPU-only. */
  gpuMilli: number;
  /** GPUs; 0 for CPU-only. */
  gpuCount: number;
  /** Allowed GPU models; empty = any. */
  gpuModels: readonly string[];
}

export interface TypicalPod extends PodShape {
  /** Probability within the typical set; the set's probabilities sum to 1. */
  p: number;
}

interface Bucket {
  shape: PodShape;
  spec: string;
  count: number;
}

export function typicalPods(pods: Iterable<PodShape>, coverage = 0.95): TypicalPod[] {
  const buckets = new Map<string, Bucket>();
  let total = 0;
  for (const pod of pods) {
    const spec = pod.gpuModels.join('|');
    const key = `${pod.cpuMilli}:${pod.gpuMilli}:${pod.gpuCount}:${spec}`;
    const b = buckets.get(key);
    if (b) b.count++;
    else buckets.set(key, { shape: pod, spec, count: 1 });
    total++;
  }
  const sorted = [...buckets.values()].sort(
    (a, b) =>
      b.count - a.count ||
      b.shape.cpuMilli - a.shape.cpuMilli ||
      b.shape.gpuMilli - a.shape.gpuMilli ||
      b.shape.gpuCount - a.shape.gpuCount ||
      (a.spec < b.spec ? 1 : a.spec > b.spec ? -1 : 0),
  );
  const chosen: Bucket[] = [];
  let covered = 0;
  for (const b of sorted) {
    if (covered >= coverage * total) break;
    chosen.push(b);
    covered += b.count;
  }
  return chosen.map((b) => ({
    cpuMilli: b.shape.cpuMilli,
    gpuMilli: b.shape.gpuMilli,
    gpuCount: b.shape.gpuCount,
    gpuModels: [...b.shape.gpuModels],
    p: b.count / covered,
  }));
}
