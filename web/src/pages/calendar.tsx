// The capacity calendar: booked capacity per node and hour over the next days (Reservations and
// Leases, as admission booked them), and the GPUs left free in each hour — for the nodes of one
// site and GPU model when chosen.
import { useMemo, useState } from 'react';
import { ErrorBox, Loading } from '../components/common.js';
import { colourFor, obj, spec, status, str } from '../format.js';
import { useLive } from '../live.js';
import type { Session } from '../session.js';

const HOUR = 3_600_000;

interface Booked {
  key: string;
  kind: string;
  start: number;
  end: number;
  nodes: { node: string; gpus: number; whole?: boolean }[];
}

function bookingsOf(items: readonly { kind: string; metadata: { name: string; project?: string } }[]): Booked[] {
  return items.flatMap((r) => {
    const s = spec(r as never);
    const st = status(r as never);
    const nodes = (obj(st.booking).nodes as Booked['nodes'] | undefined) ?? [];
    if (nodes.length === 0 || str(st.phase) === 'Ended') return [];
    return [{ key: `${r.metadata.project ?? ''}/${r.metadata.name}`, kind: r.kind, start: Date.parse(str(s.start) ?? ''), end: Date.parse(str(s.end) ?? ''), nodes }];
  });
}

export function Calendar({ session }: { session: Session }) {
  const c = session.client;
  const nodes = useLive(c, 'nodes');
  const reservations = useLive(c, 'reservations');
  const leases = useLive(c, 'leases');
  const [site, setSite] = useState('');
  const [model, setModel] = useState('');
  const [hours, setHours] = useState(48);
  const from = useMemo(() => Math.floor(Date.now() / HOUR) * HOUR, []);
  const hourStarts = Array.from({ length: hours }, (_, i) => from + i * HOUR);

  const fleet = nodes.items.map((n) => {
    const s = spec(n);
    const gpus = Array.isArray(s.gpus) ? (s.gpus as { model?: string }[]) : [];
    return { name: n.metadata.name, site: str(s.site) ?? '', model: gpus[0]?.model ?? '', gpus: gpus.length };
  });
  const sites = [...new Set(fleet.map((n) => n.site).filter(Boolean))].sort();
  const models = [...new Set(fleet.map((n) => n.model).filter(Boolean))].sort();
  const shown = fleet.filter((n) => (!site || n.site === site) && (!model || n.model === model) && n.gpus > 0).sort((a, b) => a.name.localeCompare(b.name));
  const booked = bookingsOf([...reservations.items, ...leases.items]);

  /** GPUs booked on a node in the hour starting at t, and the booking holding most of them. */
  const cell = (node: { name: string; gpus: number }, t: number): { gpus: number; by?: Booked } => {
    let gpus = 0;
    let by: Booked | undefined;
    let most = 0;
    for (const b of booked) {
      if (b.end <= t || b.start >= t + HOUR) continue;
      for (const x of b.nodes) {
        if (x.node !== node.name) continue;
        const g = x.whole ? node.gpus : x.gpus;
        gpus += g;
        if (g > most) [most, by] = [g, b];
      }
    }
    return { gpus: Math.min(gpus, node.gpus), ...(by ? { by } : {}) };
  };
  const free = hourStarts.map((t) => shown.reduce((s, n) => s + n.gpus - cell(n, t).gpus, 0));
  const total = shown.reduce((s, n) => s + n.gpus, 0);
  const error = nodes.error ?? reservations.error ?? leases.error;
  const hourLabel = (t: number): string => {
    const d = new Date(t);
    return d.getUTCHours() === 0 || t === from ? `${d.toUTCString().slice(0, 11)} ${String(d.getUTCHours()).padStart(2, '0')}h` : String(d.getUTCHours()).padStart(2, '0');
  };

  return (
    <section aria-labelledby="calendar-title">
      <h1 id="calendar-title">Capacity calendar</h1>
      <p className="muted">Booked capacity per node and hour (UTC), from Reservations and Leases, and the GPUs left free each hour.</p>
      <div className="filters">
        <label>
          Site{' '}
          <select aria-label="Site" value={site} onChange={(e) => setSite(e.target.value)}>
            <option value="">every site</option>
            {sites.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>{' '}
        <label>
          GPU model{' '}
          <select aria-label="GPU model" value={model} onChange={(e) => setModel(e.target.value)}>
            <option value="">every model</option>
            {models.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>{' '}
        <label>
          Hours{' '}
          <select aria-label="Hours" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {[24, 48, 72, 168].map((h) => <option key={h} value={h}>{h}</option>)}
          </select>
        </label>
      </div>
      {error ? (
        <ErrorBox>{error}</ErrorBox>
      ) : !nodes.ready || !reservations.ready || !leases.ready ? (
        <Loading what="the calendar" />
      ) : shown.length === 0 ? (
        <p className="muted">No GPU nodes match.</p>
      ) : (
        <div className="table-wrap">
          <table className="calendar" data-testid="calendar">
            <thead>
              <tr>
                <th scope="col">Node</th>
                {hourStarts.map((t) => <th key={t} scope="col" className="hour">{hourLabel(t)}</th>)}
              </tr>
            </thead>
            <tbody>
              <tr data-testid="calendar-free">
                <th scope="row">Free GPUs (of {total})</th>
                {free.map((f, i) => <td key={i} className="hour free">{f}</td>)}
              </tr>
              {shown.map((n) => (
                <tr key={n.name}>
                  <th scope="row">{n.name}</th>
                  {hourStarts.map((t) => {
                    const { gpus, by } = cell(n, t);
                    return (
                      <td key={t} className="hour" title={by ? `${by.kind} ${by.key}: ${gpus} of ${n.gpus} GPUs booked` : `${n.gpus} GPUs free`} style={by ? { background: colourFor(by.key), opacity: 0.35 + (0.65 * gpus) / Math.max(1, n.gpus) } : undefined}>
                        {by ? gpus : ''}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {booked.length > 0 && (
        <ul className="legend" data-testid="calendar-legend">
          {booked.map((b) => (
            <li key={`${b.kind}/${b.key}`}>
              <span className="swatch" style={{ background: colourFor(b.key) }} /> {b.kind} {b.key}: {b.nodes.reduce((s, x) => s + x.gpus, 0)} GPUs, {new Date(b.start).toISOString()} – {new Date(b.end).toISOString()}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
