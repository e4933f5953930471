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

/** The seven boundaries between MIG memory slices, as one path (not seven lines per GPU). */
export const MIG_LINES = [1, 2, 3, 4, 5, 6, 7].map((s) => `M0 ${(s * CELL) / 8}h${CELL}`).join('');

// A thousand nodes draw eight thousand of these, so each is as few SVG elements as it can be:
// the cell (carrying its tooltip), one rectangle per use and, on MIG GPUs, one path.
function Gpu({ g, x }: { g: GpuCell; x: number }) {
  const title = g.uses.length ? `GPU ${g.index} (${g.model}): ${g.uses.map((u) => `${u.project}/${u.workload}${u.mig ? ` ${u.mig.profile}` : ` ${u.milli / 1000}`}`).join(', ')}` : `GPU ${g.index} (${g.model}): free`;
  let before = 0;
  return (
    <>
      <rect x={x} width={CELL} height={CELL} rx={2} className={g.migEnabled ? 'gpu gpu-mig' : 'gpu'}>
        <title>{title}</title>
      </rect>
      {g.uses.map((u, i) => {
        if (u.mig) {
          // 8 memory slices stacked bottom to top.
          const h = CELL / 8;
          return <rect key={i} x={x + 1} width={CELL - 2} y={CELL - (u.mig.start + u.mig.size) * h} height={u.mig.size * h - 0.5} fill={colourFor(u.project)} pointerEvents="none" />;
        }
        const at = before;
        before += u.milli;
        return <rect key={i} x={x + (at / 1000) * CELL} width={(u.milli / 1000) * CELL} height={CELL} fill={colourFor(u.project)} pointerEvents="none" />;
      })}
      {g.migEnabled && <path d={MIG_LINES} transform={`translate(${x} 0)`} className="mig-line" fill="none" pointerEvents="none" />}
    </>
  );
}
