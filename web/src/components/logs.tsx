// Live logs of one replica: streams text/plain from the logs endpoint (follow=true) and appends
// it as it arrives. Servers without the endpoint get a clear notice instead.
import { useEffect, useRef, useState } from 'react';
import { WeftApiError, type WeftClient } from '../../../src/client/index.js';
import { errorText } from '../format.js';
import { NotAvailable } from './common.js';

const MAX_CHARS = 200_000;

interface Props {
  client: WeftClient;
  project: string;
  plural: string;
  name: string;
  /** The replica indices to choose from. */
  replicas: number[];
  /** Changes when the workload's allocations do (placed, restarted): the stream is opened again. */
  placement?: string;
}

export function Logs({ client, project, plural, name, replicas, placement }: Props) {
  const [replica, setReplica] = useState(replicas[0] ?? 0);
  const [text, setText] = useState('');
  const [state, setState] = useState<'loading' | 'streaming' | 'ended' | 'missing' | 'error'>('loading');
  const [error, setError] = useState<string | undefined>();
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setText('');
    setError(undefined);
    setState('loading');
    const path = `/api/v1/projects/${encodeURIComponent(project)}/${plural}/${encodeURIComponent(name)}/logs`;
    (async () => {
      const res = await client.fetch('GET', path, { query: { replica, follow: true, tail: 1000 }, accept: 'text/plain', signal: abort.signal });
      if (!res.ok) {
        const err = await WeftApiError.fromResponse(res, 'GET', path);
        // A missing route means the server has no log support; a missing replica is just "no logs yet".
        if (err.status === 404 && /no route/i.test(err.detail)) return setState('missing');
        setError(err.detail);
        return setState('error');
      }
      setState('streaming');
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        setText((t) => (t + value).slice(-MAX_CHARS));
      }
      setState('ended');
    })().catch((err: unknown) => {
      if (abort.signal.aborted) return;
      setError(errorText(err));
      setState('error');
    });
    return () => abort.abort();
  }, [client, project, plural, name, replica, placement]);

  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [text]);

  if (state === 'missing') return <NotAvailable what="Log streaming" />;
  return (
    <div className="logs">
      {replicas.length > 1 && (
        <label>Replica{' '}
          <select value={replica} onChange={(e) => setReplica(Number(e.target.value))}>
            {replicas.map((i) => <option key={i} value={i}>{i}</option>)}
          </select>
        </label>
      )}
      <span className="muted" aria-live="polite"> {state === 'streaming' ? 'following…' : state === 'ended' ? 'stream ended' : state === 'loading' ? 'connecting…' : ''}</span>
      {error && <p className="muted">Logs: {error}</p>}
      <pre ref={pre} className="log-text" tabIndex={0} aria-label={`Logs of replica ${replica}`}>{text || (state === 'streaming' ? '(no output yet: the replica has written nothing so far)' : state === 'ended' ? '(no output: the replica ended without writing anything)' : '')}</pre>
    </div>
  );
}
