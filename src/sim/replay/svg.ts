// A dependency-free SVG chart of a replay: GPU utilisation over time (thick line) and the GPUs
// each queue held, as a share of capacity (thin lines).
import type { ReplayResult } from './types.js';

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Hours on the x axis when the replay is longer than two hours, else minutes. */
function timeUnit(endMs: number): { div: number; label: string } {
  return endMs > 2 * 3_600_000 ? { div: 3_600_000, label: 'hours' } : { div: 60_000, label: 'minutes' };
}

export function utilisationSvg(r: ReplayResult, title: string): string {
  const W = 760;
  const H = 420;
  const m = { left: 60, right: 170, top: 40, bottom: 50 };
  const unit = timeUnit(r.end);
  const xMax = Math.max(r.end / unit.div, 1e-9);
  const sx = (x: number) => m.left + (x / xMax) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - (y / 100) * (H - m.top - m.bottom);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${(W - m.right) / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`);
  for (let y = 0; y <= 100; y += 20) {
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/>`);
    out.push(`<text x="${m.left - 6}" y="${sy(y) + 4}" text-anchor="end">${y}</text>`);
  }
  for (let k = 0; k <= 5; k++) {
    const x = (xMax * k) / 5;
    out.push(`<text x="${sx(x)}" y="${H - m.bottom + 16}" text-anchor="middle">${Number(x.toFixed(1))}</text>`);
  }
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - 12}" text-anchor="middle">virtual time (${unit.label})</text>`);
  out.push(`<text transform="translate(16 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">% of GPU capacity</text>`);
  const line = (ys: number[], color: string, width: number) => {
    const d = r.timeline.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.t / unit.div).toFixed(1)},${sy(Math.min(100, ys[j]!)).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}"/>`);
  };
  const legend = (k: number, color: string, text: string, width: number) => {
    const ly = m.top + 10 + k * 20;
    out.push(`<line x1="${W - m.right + 12}" x2="${W - m.right + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${width}"/>`);
    out.push(`<text x="${W - m.right + 42}" y="${ly + 4}">${escapeXml(text)}</text>`);
  };
  if (r.timeline.length > 0) {
    line(r.timeline.map((p) => p.utilisationPct), '#000', 2.5);
    legend(0, '#000', `all (${r.utilisationPct.toFixed(1)}%)`, 3);
    // Queues that held nothing (parents of the tree) would only be flat lines at zero.
    const shown = r.queues.map((q, i) => ({ q, i })).filter(({ i }) => r.timeline.some((p) => p.byQueue[i]! > 0));
    shown.forEach(({ q, i }, k) => {
      const color = COLORS[k % COLORS.length]!;
      line(r.timeline.map((p) => (r.capacityGpus > 0 ? (100 * p.byQueue[i]!) / r.capacityGpus : 0)), color, 1.5);
      legend(k + 1, color, q, 2);
    });
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
