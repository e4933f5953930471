// A dependency-free SVG line chart: unallocated GPU % (100 − allocation) against arrived GPU
// request %, one line per policy, as in Fig. 9(a) of the FGD paper.
import type { PolicySummary } from '../summary.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface ChartOptions {
  title: string;
  /** Arrival range shown (the paper zooms to 75..120; we default to 60..130). */
  fromPct?: number;
  toPct?: number;
}

export function allocationChartSvg(summaries: readonly PolicySummary[], opts: ChartOptions): string {
  const W = 760;
  const H = 440;
  const m = { left: 60, right: 170, top: 40, bottom: 50 };
  const from = opts.fromPct ?? 60;
  const to = opts.toPct ?? 130;
  const series = summaries.map((s) => s.meanColumns.slice(from, to + 1).map((v, i) => ({ x: from + i, y: 100 - v })));
  const ys = series.flat().map((p) => p.y).filter((y) => Number.isFinite(y));
  const yMax = Math.max(1, Math.ceil(Math.max(...ys, 0) / 5) * 5);
  const sx = (x: number) => m.left + ((x - from) / (to - from)) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - (y / yMax) * (H - m.top - m.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`);
  for (let y = 0; y <= yMax; y += yMax <= 20 ? 2 : 5) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`);
  }
  for (let x = from; x <= to; x += 10) {
    out.push(`<line x1="${sx(x)}" x2="${sx(x)}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${sx(x)}" y="${H - m.bottom + 16}" text-anchor="middle">${x}</text>`);
  }
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle">arrived GPU request (% of capacity)</text>`);
  out.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">unallocated GPU (%)</text>`);
  series.forEach((pts, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = pts
      .filter((p) => Number.isFinite(p.y))
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const ly = m.top + 10 + i * 20;
    out.push(`<line x1="${W - m.right + 12}" x2="${W - m.right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    const s = summaries[i]!;
    out.push(`<text x="${W - m.right + 42}" y="${ly + 4}">${escapeXml(s.policy)} (${(100 - s.alloc_at_130).toFixed(2)}%)</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
