// The console's shell: sign-in gate, navigation, and the page for the current route.
import { lazy, Suspense, useEffect, useState } from 'react';
import { WeftApiError } from '../../src/client/index.js';
import { closeAll } from './live.js';
import { href, useRoute } from './router.js';
import { announceSignIn, borrowToken, onSessionElsewhere, savedToken, signIn, signOut, type Session } from './session.js';
import { SignIn } from './pages/sign-in.js';
import { Overview } from './pages/overview.js';
import { Fleet } from './pages/fleet.js';
import { Workloads } from './pages/workloads.js';
import { WorkloadDetail } from './pages/workload-detail.js';
import { Queues } from './pages/queues.js';
import { Billing } from './pages/billing.js';
import { Calendar } from './pages/calendar.js';
import { Vms } from './pages/vms.js';
import { VmDetail } from './pages/vm-detail.js';

// The editor pulls in a YAML parser: load it only when someone submits.
const Submit = lazy(() => import('./pages/submit.js').then((m) => ({ default: m.Submit })));

const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'fleet', label: 'Fleet' },
  { path: 'workloads', label: 'Workloads' },
  { path: 'vms', label: 'Virtual machines' },
  { path: 'queues', label: 'Queues & projects' },
  { path: 'calendar', label: 'Calendar' },
  { path: 'billing', label: 'Billing' },
] as const;

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [restoring, setRestoring] = useState(true);

  useEffect(() => {
    let live = true;
    // This tab's own session (a reload), else the one another console tab holds.
    void (async () => {
      const token = savedToken() ?? (await borrowToken());
      if (!token) return;
      const s = await signIn(token, true).catch((err: unknown) => {
        // Refused (revoked, expired): that session is over in every tab. Unreachable: ask again.
        if (err instanceof WeftApiError && err.status === 401) signOut();
        return undefined;
      });
      if (live && s) setSession(s);
    })().finally(() => live && setRestoring(false));
    // One session per browser: a sign-out anywhere signs this tab out; a sign-in elsewhere
    // signs in this tab too if it was waiting at the sign-in form.
    const stop = onSessionElsewhere({
      signedOut: () => {
        closeAll();
        setSession(undefined);
      },
      signedIn: (token) => {
        if (savedToken()) return;
        void signIn(token).then((s) => live && setSession(s), () => undefined);
      },
    });
    return () => {
      live = false;
      stop();
    };
  }, []);

  if (restoring) return <p className="muted center">Signing in…</p>;
  if (!session) {
    return (
      <SignIn
        onSignedIn={(s, token) => {
          announceSignIn(token);
          setSession(s);
        }}
      />
    );
  }
  const leave = (): void => {
    closeAll();
    signOut();
    setSession(undefined);
  };
  return <Shell session={session} onSignOut={leave} />;
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const top = route[0] ?? 'overview';
  useEffect(() => {
    const label = NAV.find((n) => n.path === top)?.label ?? 'Weft';
    document.title = `${label} · Weft`;
  }, [top]);
  return (
    <div className="shell">
      <a className="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header className="topbar">
        <span className="brand">Weft</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={href(n.path)} aria-current={top === n.path ? 'page' : undefined}>{n.label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <span title={session.admin ? 'cluster admin' : [...session.projects].map(([p, r]) => `${r} in ${p}`).join(', ')}>{session.user}</span>
          <button type="button" className="link" onClick={onSignOut}>Sign out</button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page session={session} route={route} />
      </main>
    </div>
  );
}

function Page({ session, route }: { session: Session; route: string[] }) {
  const [top, ...rest] = route;
  switch (top ?? 'overview') {
    case 'overview':
      return <Overview session={session} />;
    case 'fleet':
      return <Fleet session={session} node={rest[0] === 'node' ? rest[1] : undefined} />;
    case 'workloads':
      if (rest[0] === 'new') return <Suspense fallback={<p className="muted">Loading the editor…</p>}><Submit session={session} /></Suspense>;
      // An older link to a VM through the generic page shows the VM's own.
      if (rest.length >= 3 && rest[0] === 'VirtualMachine') return <VmDetail session={session} project={rest[1]!} name={rest[2]!} />;
      if (rest.length >= 3) return <WorkloadDetail session={session} kind={rest[0]!} project={rest[1]!} name={rest[2]!} />;
      return <Workloads session={session} />;
    case 'vms':
      if (rest.length >= 2) return <VmDetail session={session} project={rest[0]!} name={rest[1]!} />;
      return <Vms session={session} />;
    case 'queues':
      return <Queues session={session} />;
    case 'billing':
      return <Billing session={session} />;
    case 'calendar':
      return <Calendar session={session} />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>There is no page here. <a href={href('overview')}>Go to the overview</a>.</p>
        </section>
      );
  }
}
