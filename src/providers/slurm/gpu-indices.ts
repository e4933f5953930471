// Which of a batch job's GPUs each replica of an uneven gang uses (uneven-submission.ts): pure.
//
// Each replica's step cannot name GPUs to Slurm, only counts, and Slurm picks the lowest free
// indices of the job when the step is created: a step created after another replica's step has
// already ended is given that replica's GPUs again. So the batch script reads the job's GPUs on
// each node from Slurm (`scontrol show job -d`: `Nodes=n1 … GRES=gpu:h100:4(IDX:0-3),…`) and
// hands every replica fixed, disjoint slices of them, worked out here from the replicas' counts.

/** A replica's slice of its node's GPUs: per GRES type ('' = untyped), from `offset`, `count` of them. */
export interface GpuSlice {
  type: string;
  offset: number;
  count: number;
}

/** Each request's slices: replicas on one node take consecutive GPUs of each type, in replica order. */
export function gpuSlices(requests: readonly { host: string; gres: string }[]): GpuSlice[][] {
  const taken = new Map<string, number>();
  return requests.map((r) =>
    (r.gres ? r.gres.split(',') : []).map((part) => {
      const [type, n] = part.includes(':') ? (part.split(':') as [string, string]) : ['', part];
      const key = `${r.host}\0${type}`;
      const offset = taken.get(key) ?? 0;
      taken.set(key, offset + Number(n));
      return { type, offset, count: Number(n) };
    }),
  );
}

/** The form weft_gpus (below) takes: "h100:0:3,a100:0:0". */
export function sliceArg(slices: readonly GpuSlice[]): string {
  return slices.map((s) => `${s.type}:${s.offset}:${s.count}`).join(',');
}

/**
 * A shell function for the batch script: `weft_gpus HOST SLICES` prints the global indices
 * (comma-separated) of the job's GPUs on HOST that SLICES name. Reads `$weft_job`, the output
 * of `scontrol show job -d`; a node line may name several hosts (`Nodes=n[1-2]`).
 */
export const WEFT_GPUS_FN = String.raw`weft_gpus() {
  printf '%s\n' "$weft_job" | sed -n 's/^ *Nodes=\([^ ]*\) .*GRES=\([^ ]*\).*/\1 \2/p' | while read -r nodes gres; do
    scontrol show hostnames "$nodes" | grep -qxF "$1" && printf '%s\n' "$gres"
  done | awk -v want="$2" '
    function add(t, r,   n, p, i, ab, a) {
      n = split(r, p, ",")
      for (i = 1; i <= n; i++) {
        if (split(p[i], ab, "-") == 2) { for (a = ab[1] + 0; a <= ab[2] + 0; a++) idx[t] = idx[t] "," a }
        else idx[t] = idx[t] "," p[i]
      }
    }
    {
      s = $0
      while (match(s, /gpu(:[^:(,]+)?:[0-9]+\(IDX:[^)]*\)/)) {
        e = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
        head = e; sub(/\(IDX:.*/, "", head); nf = split(head, f, ":")
        r = e; sub(/.*IDX:/, "", r); sub(/\)$/, "", r)
        add(nf == 3 ? f[2] : "", r); if (nf == 3) add("", r)
      }
    }
    END {
      out = ""; n = split(want, w, ",")
      for (i = 1; i <= n; i++) {
        split(w[i], s3, ":"); m = split(substr(idx[s3[1]], 2), l, ",")
        for (j = s3[2] + 1; j <= s3[2] + s3[3] && j <= m; j++) out = out (out == "" ? "" : ",") l[j]
      }
      print out
    }'
}`;
