// A VM's serial console in the browser: an xterm.js terminal joined to the API's console
// WebSocket. Keys go to the guest as typed; what the guest writes comes back. The socket and the
// terminal are closed when the component goes away (leaving the page). Loaded lazily: xterm.js
// is most of its weight and only this view needs it.
import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { browserConsoleProtocols, vmConsolePath } from '../../../src/client/console-path.js';
import type { WeftClient } from '../../../src/client/index.js';

type State = { kind: 'connecting' } | { kind: 'open' } | { kind: 'closed'; why: string };

export function SerialTerminal({ client, project, name }: { client: WeftClient; project: string; name: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<State>({ kind: 'connecting' });
  useEffect(() => {
    const term = new Terminal({ convertEol: false, cursorBlink: true, fontSize: 14, scrollback: 5000 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(box.current!);
    fit.fit();
    const token = (client.socketHeaders().authorization ?? '').replace(/^Bearer /, '');
    const url = new URL(vmConsolePath(project, name), window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, browserConsoleProtocols(token));
    ws.binaryType = 'arraybuffer';
    let leaving = false;
    ws.onopen = () => {
      setState({ kind: 'open' });
      term.focus();
    };
    ws.onmessage = (m: MessageEvent<ArrayBuffer | string>) => term.write(typeof m.data === 'string' ? m.data : new Uint8Array(m.data));
    ws.onclose = (e) => {
      if (leaving) return;
      // The server refuses before the upgrade (not running, no right) with a plain close here.
      setState({ kind: 'closed', why: e.reason || (e.code === 1006 ? 'the server refused or dropped the console (is the VM running, and may you use it?)' : `closed (${e.code})`) });
    };
    const typed = term.onData((d) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(new TextEncoder().encode(d));
    });
    const resize = (): void => fit.fit();
    window.addEventListener('resize', resize);
    return () => {
      leaving = true;
      window.removeEventListener('resize', resize);
      typed.dispose();
      ws.close(1000, 'left the page');
      term.dispose();
    };
  }, [client, project, name]);
  return (
    <div className="serial">
      <p className="muted" role="status" data-testid="console-state">
        {state.kind === 'connecting' ? 'Connecting to the serial console…' : state.kind === 'open' ? 'Connected: keys go to the guest.' : `Console closed: ${state.why}`}
      </p>
      <div ref={box} className="terminal" data-testid="serial-terminal" />
    </div>
  );
}
