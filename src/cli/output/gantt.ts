// The capacity calendar as a terminal Gantt chart: one row per node, one column per time block;
// a cell shows the letter of the reservation that books the most of the node's GPUs then
// (upper case: all of them; lower case: some), "." when nothing is booked. A last row gives the
// share of the drawn nodes' GPUs still free in each block (0–9, "+" when all are free).
export interface GanttNode {
  name: string;
  site: string;
  model: string;
  gpus: number;
}

export interface GanttReservation {
  name: string;
  start: number;
  end: number;
  phase: string;
  nodes: readonly { node: string; gpus: number; whole?: boolean }[];
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function ganttText(nodes: readonly GanttNode[], reservations: readonly GanttReservation[], window: { from: number; to: number; width: number }): string {
  const { from, to, width } = window;
  const step = (to - from) / width;
  const shown = reservations.filter((r) => r.end > from && r.start < to && r.phase !== 'Ended' && r.nodes.length > 0).sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
  if (nodes.length === 0) return 'No nodes to draw.';
  const letter = new Map(shown.map((r, i) => [r, LETTERS[i % LETTERS.length]!]));
  const label = Math.max(4, ...nodes.map((n) => n.name.length));
  const lines: string[] = [];
  // Axis: the day's name where a day starts, else spaces. The first column's label names a day
  // that may have only a few hours left: where the next day's label would collide with it, the
  // next day's wins (a whole day is what a reader looks for), so no day goes unnamed.
  let axis = '';
  for (let c = 0; c < width; c++) {
    const t = from + c * step;
    const d = new Date(t);
    const newDay = c > 0 && new Date(t - step).getUTCDate() !== d.getUTCDate();
    const label = `|${DAYS[d.getUTCDay()]!} ${d.getUTCDate()}`;
    if (c === 0) axis = label;
    else if (newDay && axis.length <= c) axis = axis.padEnd(c) + label;
    else if (newDay && !axis.slice(1).includes('|')) axis = ''.padEnd(c) + label;
  }
  lines.push(`${''.padEnd(label)}  ${axis.slice(0, width)}`);
  const freeGpus = new Array<number>(width).fill(0);
  const totalGpus = nodes.reduce((s, n) => s + n.gpus, 0);
  for (const n of nodes) {
    let row = '';
    for (let c = 0; c < width; c++) {
      const t = from + (c + 0.5) * step;
      let best: { r: GanttReservation; gpus: number } | undefined;
      let booked = 0;
      for (const r of shown) {
        if (t < r.start || t >= r.end) continue;
        for (const x of r.nodes) {
          if (x.node !== n.name) continue;
          const g = x.whole ? n.gpus : x.gpus;
          booked += g;
          if (!best || g > best.gpus) best = { r, gpus: g };
        }
      }
      freeGpus[c]! += Math.max(0, n.gpus - booked);
      if (!best) row += '.';
      else row += best.gpus >= n.gpus ? letter.get(best.r)! : letter.get(best.r)!.toLowerCase();
    }
    lines.push(`${n.name.padEnd(label)}  ${row}`);
  }
  const free = freeGpus.map((f) => (totalGpus === 0 ? ' ' : f >= totalGpus ? '+' : String(Math.min(9, Math.floor((10 * f) / totalGpus))))).join('');
  lines.push(`${'free'.padEnd(label)}  ${free}`);
  const hours = step / 3_600_000;
  lines.push('', `One column is ${hours >= 1 ? `${+hours.toFixed(2)} h` : `${Math.round(hours * 60)} min`} (UTC). free: tenths of the ${totalGpus} GPUs shown left unbooked ("+" all).`);
  for (const r of shown) {
    const gpus = r.nodes.reduce((s, x) => s + x.gpus, 0);
    lines.push(`${letter.get(r)!}  ${r.name}  ${gpus} GPUs on ${r.nodes.length} node(s)  ${new Date(r.start).toISOString()} – ${new Date(r.end).toISOString()}  ${r.phase}`);
  }
  if (shown.length === 0) lines.push('Nothing booked in this window.');
  return lines.join('\n');
}
