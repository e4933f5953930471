// Hand-drawn SVG charts: horizontal stacked bars and a simple time series. Each chart has a
// text alternative (a title and a visually hidden table-like description) for screen readers.

export interface Segment {
  label: string;
  value: number;
  colour: string;
}

export interface StackedRow {
  key: string;
  segments: Segment[];
}

/**
 * One horizontal bar per row, its segments stacked. The legend names each segment colour; rows
 * of a single segment each (workloads by phase) are named by their own label and get none, so no
 * swatch can stand for bars of other colours.
 */
export function StackedBars({ title, rows, unit = '' }: { title: string; rows: StackedRow[]; unit?: string }) {
  const max = Math.max(1, ...rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0)));
  const rowH = 26;
  const labelW = 150;
  const width = 520;
  const barW = width - labelW - 70;
  const stacked = rows.some((r) => r.segments.length > 1);
  const legend = stacked ? [...new Map(rows.flatMap((r) => r.segments).map((s) => [`${s.label}|${s.colour}`, s])).values()] : [];
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${rows.length * rowH + 4}`} role="img" aria-label={`${title}: ${rows.map((r) => `${r.key} ${r.segments.map((s) => `${s.label} ${fmt(s.value)}`).join(', ')}`).join('; ')}`}>
        {rows.map((r, i) => {
          let x = labelW;
          const total = r.segments.reduce((s, seg) => s + seg.value, 0);
          return (
            <g key={r.key} transform={`translate(0 ${i * rowH})`}>
              <text x={0} y={17} className="chart-label">{r.key}</text>
              {r.segments.map((s) => {
                const w = (s.value / max) * barW;
                const rect = <rect key={s.label} x={x} y={4} width={Math.max(0, w)} height={rowH - 8} fill={s.colour}><title>{`${s.label}: ${fmt(s.value)}${unit}`}</title></rect>;
                x += w;
                return rect;
              })}
              <text x={x + 6} y={17} className="chart-value">{fmt(total)}{unit}</text>
            </g>
          );
        })}
      </svg>
      {legend.length > 0 && (
        <ul className="legend">
          {legend.map((s) => (
            <li key={`${s.label}|${s.colour}`}><span className="swatch" style={{ background: s.colour }} aria-hidden="true" />{s.label}</li>
          ))}
        </ul>
      )}
    </figure>
  );
}

export interface SeriesPoint {
  t: string;
  key: string;
  value: number;
}

/** Stacked columns over time, one colour per key (usage by project or model per day). */
export function TimeColumns({ title, points, colourOf }: { title: string; points: SeriesPoint[]; colourOf: (key: string) => string }) {
  const times = [...new Set(points.map((p) => p.t))].sort();
  const keys = [...new Set(points.map((p) => p.key))].sort();
  const totals = times.map((t) => points.filter((p) => p.t === t).reduce((s, p) => s + p.value, 0));
  const max = Math.max(1e-9, ...totals);
  const width = 520;
  const height = 160;
  const colW = times.length ? (width - 40) / times.length : 0;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={`${title}: ${times.length} periods, peak ${fmt(max)}`}>
        {times.map((t, i) => {
          let y = height;
          return (
            <g key={t}>
              {keys.map((k) => {
                const v = points.filter((p) => p.t === t && p.key === k).reduce((s, p) => s + p.value, 0);
                const h = (v / max) * (height - 10);
                y -= h;
                return <rect key={k} x={40 + i * colW + 1} y={y} width={Math.max(1, colW - 2)} height={h} fill={colourOf(k)}><title>{`${t.slice(0, 10)} ${k}: ${fmt(v)}`}</title></rect>;
              })}
            </g>
          );
        })}
        <text x={0} y={12} className="chart-value">{fmt(max)}</text>
        <text x={40} y={height + 16} className="chart-label">{times[0]?.slice(0, 10) ?? ''}</text>
        {/* One period (a first day of metering) is one date, said once. */}
        {times.length > 1 && <text x={width} y={height + 16} textAnchor="end" className="chart-label">{times[times.length - 1]!.slice(0, 10)}</text>}
      </svg>
      <ul className="legend">
        {keys.map((k) => (
          <li key={k}><span className="swatch" style={{ background: colourOf(k) }} aria-hidden="true" />{k}</li>
        ))}
      </ul>
    </figure>
  );
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1);
}
