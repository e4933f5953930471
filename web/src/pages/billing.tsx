// Billing: usage by project and by model over the last 30 days, this month's invoices and the
// budgets, from the metering API. Servers without metering get a notice.
import { useEffect, useState } from 'react';
import { TimeColumns } from '../components/charts.js';
import { ErrorBox, Loading, NotAvailable } from '../components/common.js';
import { colourFor, errorText, num, obj, spec, status, str } from '../format.js';
import type { Session } from '../session.js';
import { invoice, money, usage, type Invoice, type UsageReport } from '../usage.js';
import { WeftApiError } from '../../../src/client/index.js';
import type { Resource } from '../../../src/model/metadata.js';

interface Data {
  byProject?: UsageReport;
  byModel?: UsageReport;
  invoices: Invoice[];
  budgets?: Resource[];
}

export function Billing({ session }: { session: Session }) {
  const [data, setData] = useState<Data | null | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let live = true;
    const from = new Date(Date.now() - 30 * 86400_000).toISOString();
    const month = new Date().toISOString().slice(0, 7);
    (async () => {
      const c = session.client;
      const [byProject, byModel] = await Promise.all([
        usage(c, { from, by: 'project', step: 'day' }),
        usage(c, { from, by: 'model', step: 'day' }),
      ]);
      if (!byProject) return live && setData(null);
      const projects = byProject.rows.map((r) => r.key);
      const invoices = (await Promise.all(projects.map((p) => invoice(c, p, month).catch(() => undefined)))).filter((i): i is Invoice => !!i);
      const budgets = await c
        .request<{ items?: Resource[] }>('GET', '/api/v1/budgets')
        .then((r) => r.items ?? [])
        .catch((err: unknown) => (err instanceof WeftApiError && err.status === 404 ? undefined : []));
      if (live) setData({ byProject, byModel, invoices, budgets });
    })().catch((err: unknown) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [session.client]);

  return (
    <section aria-labelledby="billing-title">
      <h1 id="billing-title">Billing</h1>
      {error ? <ErrorBox>{error}</ErrorBox> : data === undefined ? <Loading what="usage" /> : data === null ? <NotAvailable what="Metering (usage, invoices and budgets)" /> : <BillingBody data={data} />}
    </section>
  );
}

function BillingBody({ data }: { data: Data }) {
  const currency = data.byProject?.currency ?? 'USD';
  return (
    <>
      <div className="grid">
        {data.byProject && <TimeColumns title="GPU-hours per day by project" colourOf={colourFor} points={(data.byProject.series ?? []).map((p) => ({ t: p.t, key: p.key, value: p.gpuHours }))} />}
        {data.byModel && <TimeColumns title="GPU-hours per day by model" colourOf={colourFor} points={(data.byModel.series ?? []).map((p) => ({ t: p.t, key: p.key, value: p.gpuHours }))} />}
      </div>
      <h2>Last 30 days by project</h2>
      <div className="table-wrap">
        <table data-testid="usage-table">
          <thead><tr><th scope="col">Project</th><th scope="col">GPU-hours</th><th scope="col">CPU core-hours</th><th scope="col">Memory GiB-hours</th><th scope="col">Cost</th></tr></thead>
          <tbody>
            {(data.byProject?.rows ?? []).map((r) => (
              <tr key={r.key}><th scope="row">{r.key}</th><td>{r.gpuHours.toFixed(2)}</td><td>{r.cpuCoreHours.toFixed(1)}</td><td>{r.memoryGiBHours.toFixed(1)}</td><td>{money(r.cost, currency)}</td></tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Invoices this month</h2>
      {data.invoices.length === 0 ? <p className="muted">No invoices yet.</p> : data.invoices.map((inv) => (
        <details key={inv.project}>
          <summary>{inv.project} — {inv.month}: {money(inv.total, inv.currency)}</summary>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Description</th><th scope="col">Site</th><th scope="col">Quantity</th><th scope="col">Unit price</th><th scope="col">Amount</th></tr></thead>
              <tbody>
                {inv.lines.map((l, i) => (
                  <tr key={i}><td>{l.description}</td><td>{l.site}</td><td>{l.quantity.toFixed(2)} {l.unit}</td><td>{money(l.unitPrice, inv.currency, true)}</td><td>{money(l.amount, inv.currency)}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ))}
      <h2>Budgets</h2>
      {data.budgets === undefined ? <NotAvailable what="Budgets" /> : data.budgets.length === 0 ? <p className="muted">No budgets are set.</p> : <Budgets budgets={data.budgets} currency={currency} />}
    </>
  );
}

/** Each budget's spend in its current period against its limit, in money or GPU-hours. */
function Budgets({ budgets, currency: billed }: { budgets: Resource[]; currency: string }) {
  return (
    <div className="table-wrap">
      <table data-testid="budgets-table">
        <thead>
          <tr><th scope="col">Project</th><th scope="col">Budget</th><th scope="col">Period</th><th scope="col">Used</th><th scope="col">Limit</th><th scope="col">Used %</th><th scope="col">When used up</th></tr>
        </thead>
        <tbody>
          {budgets.map((b) => {
            const limit = obj(spec(b).limit);
            const st = status(b);
            const used = obj(st.used);
            const currency = str(used.currency) ?? billed;
            const byMoney = typeof limit.amount === 'string';
            const percent = typeof st.percent === 'number' ? st.percent : undefined;
            return (
              <tr key={`${b.metadata.project}/${b.metadata.name}`}>
                <td>{b.metadata.project}</td>
                <th scope="row">{b.metadata.name}</th>
                <td>{str(spec(b).period) ?? 'month'}</td>
                <td>{st.used === undefined ? '—' : byMoney ? money(str(used.amount) ?? '0', currency) : `${num(used.gpuHours).toFixed(1)} GPU-h`}</td>
                <td>{byMoney ? money(str(limit.amount)!, currency) : `${num(limit.gpuHours)} GPU-h`}</td>
                <td>
                  {percent === undefined ? '—' : (
                    <><meter min={0} max={100} value={Math.min(percent, 100)} aria-label={`${percent}% used`} /> {percent}%</>
                  )}
                </td>
                <td>{st.exhausted === true ? (spec(b).enforce ? 'used up: new work refused' : 'used up: alerting only') : spec(b).enforce ? 'new work refused' : 'alerts only'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
