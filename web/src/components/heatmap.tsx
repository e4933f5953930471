// GPU heatmap: one cell per GPU, coloured by the project holding it; MIG slices are drawn as
// segments inside the GPU and time-sliced shares as a partial fill.
import type { GpuCell, NodeView } from '../fleet.js';
import { colourFor } from '../format.js';

const CELL = 14;

export function GpuCells({ view }: { view: NodeView }) {
  const w = view.gpus.length * (CELL + 2);
  return (
    <svg width={w} height={CELL} viewBox={`0 0 ${w} ${CELL}`} aria-hidden="true" className="gpu-cells">
      {view.gpus.map((g, i) => <Gpu key={g.index} g={g} x={i * (CELL + 2)} />)}
    </svg>
  );
}

function Gpu({ g, x }: { g: GpuCell; x: number }) {
  const title = g.uses.length ? `GPU ${g.index} (${g.model}): ${g.uses.map((u) => `${u.project}/${u.workload}${u.mig ? ` ${u.mig.profile}` : ` ${u.milli / 1000}`}`).join(', ')}` : `GPU ${g.index} (${g.model}): free`;
  return (
    <g transform={`translate(${x} 0)`}>
      <title>{title}</title>
      <rect width={CELL} height={CELL} rx={2} className={g.migEnabled ? 'gpu gpu-mig' : 'gpu'} />
      {g.uses.map((u, i) => {
        if (u.mig) {
          // 8 memory slices stacked bottom to top.
          const h = CELL / 8;
          return <rect key={i} x={1} width={CELL - 2} y={CELL - (u.mig.start + u.mig.size) * h} height={u.mig.size * h - 0.5} fill={colourFor(u.project)} />;
        }
        const before = g.uses.slice(0, i).filter((x) => !x.mig).reduce((s, x) => s + x.milli, 0);
        return <rect key={i} x={(before / 1000) * CELL} width={(u.milli / 1000) * CELL} height={CELL} fill={colourFor(u.project)} />;
      })}
      {g.migEnabled && [1, 2, 3, 4, 5, 6, 7].map((s) => <line key={s} x1={0} x2={CELL} y1={(s * CELL) / 8} y2={(s * CELL) / 8} className="mig-line" />)}
    </g>
  );
}
