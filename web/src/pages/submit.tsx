// Submit a workload through a form or as YAML. The server validates; its problem details name
// each bad field, and the console shows each message at that field (the form input, or the
// YAML line that holds it).
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { parseAllDocuments, stringify, type Document } from 'yaml';
import { WeftApiError } from '../../../src/client/index.js';
import type { WorkloadKind } from '../../../src/model/kind-names.js';
import type { ResourceInput } from '../../../src/model/metadata.js';
import { GPU_CATALOG } from '../../../src/model/gpu-catalog.js';
import { ErrorBox } from '../components/common.js';
import { errorText, WORKLOAD_KINDS } from '../format.js';
import { useLive } from '../live.js';
import { navigate } from '../router.js';
import { canWrite, type Session } from '../session.js';

interface Form {
  kind: WorkloadKind;
  project: string;
  name: string;
  replicas: string;
  gpuCount: string;
  gpuModel: string;
  cpu: string;
  memory: string;
  image: string;
  command: string;
  simDuration: string;
}

/** Which form input shows the server's message for a field path. */
const FIELD_INPUT: [RegExp, keyof Form][] = [
  [/^metadata\.name/, 'name'],
  [/^metadata\.project/, 'project'],
  [/^spec\.replicas/, 'replicas'],
  [/^spec\.resources\.gpu\.models/, 'gpuModel'],
  [/^spec\.resources\.gpu/, 'gpuCount'],
  [/^spec\.resources\.cpu/, 'cpu'],
  [/^spec\.resources\.memory/, 'memory'],
  [/^spec\.image/, 'image'],
  [/^spec\.command/, 'command'],
  [/^metadata\.annotations/, 'simDuration'],
];

interface Issue {
  field: string;
  message: string;
  line?: number;
}

export function Submit({ session }: { session: Session }) {
  const allProjects = useLive(session.client, 'projects');
  // Cluster admins may submit anywhere; others where their role allows writing.
  const writable = session.admin ? allProjects.items.map((p) => p.metadata.name).sort() : [...session.projects.keys()].filter((p) => canWrite(session, p));
  const [mode, setMode] = useState<'form' | 'yaml'>('form');
  const [form, setForm] = useState<Form>({
    kind: 'Job', project: writable[0] ?? '', name: '', replicas: '1', gpuCount: '1', gpuModel: '', cpu: '4', memory: '16Gi', image: '', command: '', simDuration: '2m',
  });
  const [yamlText, setYamlText] = useState('');
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | undefined>();
  /** A policy refused the last submit: each entry names the policy and says why. */
  const [denials, setDenials] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  const firstProject = writable[0];
  useEffect(() => {
    if (firstProject && !form.project) setForm((f) => ({ ...f, project: firstProject }));
  }, [firstProject, form.project]);

  const set = (k: keyof Form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const formIssues = useMemo(() => {
    const out: Partial<Record<keyof Form, string[]>> = {};
    for (const i of issues) {
      const input = FIELD_INPUT.find(([re]) => re.test(i.field))?.[1];
      if (input) (out[input] ??= []).push(`${i.field}: ${i.message}`);
    }
    return out;
  }, [issues]);

  const switchTo = (m: 'form' | 'yaml'): void => {
    if (m === 'yaml' && mode === 'form') setYamlText(stringify(manifestOf(form)));
    setIssues([]);
    setError(undefined);
    setDenials([]);
    setMode(m);
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setIssues([]);
    setError(undefined);
    setDenials([]);
    let manifest: ResourceInput;
    let doc: Document | undefined;
    if (mode === 'yaml') {
      const docs = parseAllDocuments(yamlText);
      const first = Array.isArray(docs) ? docs[0] : undefined;
      if (!first) return setError('The YAML is empty.');
      if (first.errors.length) return setIssues(first.errors.map((er) => ({ field: '(yaml)', message: er.message.split('\n')[0]!, line: er.linePos?.[0]?.line })));
      doc = first;
      manifest = first.toJS() as ResourceInput;
      if (!manifest || typeof manifest !== 'object' || typeof manifest.kind !== 'string') return setIssues([{ field: 'kind', message: 'a manifest needs apiVersion, kind, metadata and spec', line: 1 }]);
    } else {
      manifest = manifestOf(form);
    }
    setBusy(true);
    try {
      const project = manifest.metadata?.project ?? (mode === 'form' ? form.project : undefined);
      const created = await session.client.create(manifest, { project });
      navigate('workloads', created.kind, created.metadata.project ?? '', created.metadata.name);
    } catch (err) {
      if (err instanceof WeftApiError && err.code === 'PolicyDenied') {
        // Shown as the policies' own words; those that name a field are also marked there.
        setDenials(err.issues.length ? err.issues.map((i) => i.message) : [err.detail]);
        setIssues(err.issues.filter((i) => i.field).map((i) => ({ ...i, line: doc ? lineOf(doc, yamlText, i.field) : undefined })));
      } else if (err instanceof WeftApiError && err.issues.length) {
        setIssues(err.issues.map((i) => ({ ...i, line: doc ? lineOf(doc, yamlText, i.field) : undefined })));
        setError(err.detail);
      } else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a workload</h1>
      <div role="tablist" aria-label="Editor" className="tabs">
        <button type="button" role="tab" aria-selected={mode === 'form'} onClick={() => switchTo('form')}>Form</button>
        <button type="button" role="tab" aria-selected={mode === 'yaml'} onClick={() => switchTo('yaml')}>YAML</button>
      </div>
      <form onSubmit={(e) => void submit(e)} noValidate className="submit-form">
        {mode === 'form' ? (
          <div className="form-grid">
            <Field id="kind" label="Kind" errors={undefined}>
              <select id="kind" value={form.kind} onChange={set('kind')}>
                {WORKLOAD_KINDS.map((k) => <option key={k.kind}>{k.kind}</option>)}
              </select>
            </Field>
            <Field id="project" label="Project" errors={formIssues.project}>
              <select id="project" value={form.project} onChange={set('project')}>
                {!writable.includes(form.project) && <option value={form.project}>{form.project || '(choose a project)'}</option>}
                {writable.map((p) => <option key={p}>{p}</option>)}
              </select>
            </Field>
            <Field id="name" label="Name" errors={formIssues.name}><input id="name" value={form.name} onChange={set('name')} required /></Field>
            <Field id="replicas" label="Replicas" errors={formIssues.replicas}><input id="replicas" inputMode="numeric" value={form.replicas} onChange={set('replicas')} /></Field>
            <Field id="gpuCount" label="GPUs per replica" errors={formIssues.gpuCount}><input id="gpuCount" inputMode="numeric" value={form.gpuCount} onChange={set('gpuCount')} /></Field>
            <Field id="gpuModel" label="GPU model" errors={formIssues.gpuModel}>
              <select id="gpuModel" value={form.gpuModel} onChange={set('gpuModel')}>
                <option value="">Any</option>
                {GPU_CATALOG.map((m) => <option key={m.name}>{m.name}</option>)}
              </select>
            </Field>
            <Field id="cpu" label="CPU per replica" errors={formIssues.cpu}><input id="cpu" value={form.cpu} onChange={set('cpu')} /></Field>
            <Field id="memory" label="Memory per replica" errors={formIssues.memory}><input id="memory" value={form.memory} onChange={set('memory')} /></Field>
            <Field id="image" label="Image" errors={formIssues.image}><input id="image" value={form.image} onChange={set('image')} /></Field>
            <Field id="command" label="Command (space-separated)" errors={formIssues.command}><input id="command" value={form.command} onChange={set('command')} /></Field>
            <Field id="simDuration" label="Simulated run time (demo fleet)" errors={formIssues.simDuration}><input id="simDuration" value={form.simDuration} onChange={set('simDuration')} /></Field>
          </div>
        ) : (
          <YamlEditor text={yamlText} onChange={setYamlText} issues={issues} />
        )}
        {mode === 'form' && issues.some((i) => !FIELD_INPUT.some(([re]) => re.test(i.field))) && (
          <ul className="field-errors">{issues.filter((i) => !FIELD_INPUT.some(([re]) => re.test(i.field))).map((i) => <li key={i.field + i.message}>{i.field}: {i.message}</li>)}</ul>
        )}
        {error && <ErrorBox>{error}</ErrorBox>}
        {denials.length > 0 && (
          <ErrorBox>
            <div data-testid="policy-denial">
              <strong>Refused by {denials.length === 1 ? 'a policy' : `${denials.length} policies`}</strong>
              <ul>{denials.map((d) => <li key={d}>{d}</li>)}</ul>
            </div>
          </ErrorBox>
        )}
        <button type="submit" disabled={busy}>{busy ? 'Submitting…' : 'Submit'}</button>
      </form>
    </section>
  );
}

function Field({ id, label, errors, children }: { id: string; label: string; errors: string[] | undefined; children: ReactNode }) {
  return (
    <div className={`field${errors?.length ? ' invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {errors?.map((e) => <p key={e} className="field-error" role="alert" data-field={id}>{e}</p>)}
    </div>
  );
}

function YamlEditor({ text, onChange, issues }: { text: string; onChange: (t: string) => void; issues: Issue[] }) {
  const lines = text.split('\n');
  const byLine = new Map<number, Issue[]>();
  for (const i of issues) if (i.line) byLine.set(i.line, [...(byLine.get(i.line) ?? []), i]);
  return (
    <div className="yaml">
      <label htmlFor="manifest">Manifest (YAML)</label>
      <textarea
        id="manifest"
        spellCheck={false}
        rows={Math.min(30, Math.max(14, lines.length + 2))}
        value={text}
        aria-invalid={issues.length ? true : undefined}
        aria-describedby="manifest-errors"
        onChange={(e) => onChange(e.target.value)}
      />
      <ul id="manifest-errors" className="field-errors" aria-live="polite">
        {issues.map((i) => (
          <li key={i.field + i.message} className="field-error" data-field={i.field}>
            {i.line ? <span className="line">line {i.line}</span> : null} <code>{i.field}</code>: {i.message}
            {i.line && lines[i.line - 1] !== undefined && <pre className="line-text">{lines[i.line - 1]}</pre>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The 1-based line of `field` (a.b.c) in the document, or of its nearest existing parent. */
function lineOf(doc: Document, text: string, field: string): number | undefined {
  const path = field.split('.').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    // For a missing leaf, point at the key of the parent map entry.
    const pair = n < path.length ? undefined : keyOffset(doc, path);
    const offset = pair ?? node?.range?.[0];
    if (offset !== undefined) return text.slice(0, offset).split('\n').length;
  }
  return undefined;
}

function keyOffset(doc: Document, path: (string | number)[]): number | undefined {
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  const items = (parent as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | null)?.items;
  const item = items?.find((p) => p.key?.value === path[path.length - 1]);
  return item?.key?.range?.[0];
}

function manifestOf(f: Form): ResourceInput {
  const count = Number(f.gpuCount);
  const gpu: Record<string, unknown> = { count: Number.isFinite(count) && f.gpuCount.trim() !== '' ? count : f.gpuCount };
  if (f.gpuModel) gpu.models = [f.gpuModel];
  const replicas = Number(f.replicas);
  const spec: Record<string, unknown> = {
    replicas: Number.isFinite(replicas) && f.replicas.trim() !== '' ? replicas : f.replicas,
    resources: { cpu: f.cpu, memory: f.memory, gpu },
  };
  if (f.kind === 'DevEnvironment') delete spec.replicas;
  if (f.image) spec.image = f.image;
  if (f.command.trim()) spec.command = f.command.trim().split(/\s+/);
  return {
    apiVersion: 'weft/v1',
    kind: f.kind,
    metadata: { name: f.name, project: f.project, ...(f.simDuration ? { annotations: { 'weft.dev/sim-duration': f.simDuration } } : {}) },
    spec,
  } as ResourceInput;
}
