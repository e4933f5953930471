// Small building blocks shared by the pages.
import type { ReactNode } from 'react';

export function Phase({ phase }: { phase: string }) {
  return <span className={`phase phase-${phase.toLowerCase()}`}>{phase}</span>;
}

/** Shown in place of a feature the connected server does not offer (it answered 404). */
export function NotAvailable({ what }: { what: string }) {
  return (
    <div className="notice" role="status">
      <strong>{what}</strong> is not available on this server.
    </div>
  );
}

export function ErrorBox({ children }: { children: ReactNode }) {
  return <div className="error" role="alert">{children}</div>;
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-live="polite">Loading {what}…</p>;
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat">
      <div className="stat-value">{value}</div>
      <div className="stat-label">{label}</div>
      {hint && <div className="stat-hint">{hint}</div>}
    </div>
  );
}
