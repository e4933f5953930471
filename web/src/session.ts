// Who is signed in and what they may do. The session belongs to the browser, not the tab: the
// token lives in each console tab's sessionStorage (never on disk), a new tab borrows it from an
// open one over a BroadcastChannel, and signing out in one tab signs out all of them. It ends
// as before, when the last console tab closes (or the token expires). Roles come from
// /api/v1/whoami and only decide what the UI offers — the server enforces every permission.
import { WeftClient, type WhoAmI } from '../../src/client/index.js';
import { closeAll } from './live.js';
import { prefetchSummary } from './summary.js';

const TOKEN_KEY = 'weft.console.token';

export type ProjectRole = 'project-admin' | 'member' | 'viewer';

export interface Session {
  client: WeftClient;
  user: string;
  /** Cluster admin: fleet actions, users, every project. */
  admin: boolean;
  /** May read every project (cluster admin or cluster-wide viewer). */
  readsAll: boolean;
  projects: Map<string, ProjectRole>;
}

const RANK: Record<ProjectRole, number> = { viewer: 1, member: 2, 'project-admin': 3 };

export function sessionFrom(client: WeftClient, who: WhoAmI): Session {
  const admin = who.roles.some((r) => r.role === 'admin' && !r.project);
  const readsAll = admin || who.roles.some((r) => r.role === 'viewer' && !r.project);
  const projects = new Map<string, ProjectRole>();
  for (const r of who.roles) {
    if (!r.project) continue;
    const role: ProjectRole = r.role === 'admin' ? 'project-admin' : (r.role as ProjectRole);
    const had = projects.get(r.project);
    if (!had || RANK[role] > RANK[had]) projects.set(r.project, role);
  }
  return { client, user: who.user, admin, readsAll, projects };
}

/** May submit, delete, suspend workloads in `project`. */
export function canWrite(s: Session, project: string): boolean {
  if (s.admin) return true;
  const role = s.projects.get(project);
  return role === 'member' || role === 'project-admin';
}

export function newClient(token: string): WeftClient {
  return new WeftClient({ server: window.location.origin, token, userAgent: 'weft-console' });
}

/** Checks the token; `warm` (a token saved earlier, so most likely good) starts the fleet summary at once. */
export async function signIn(token: string, warm = false): Promise<Session> {
  const client = newClient(token.trim());
  // whoami goes out first; the summary (a few kilobytes) follows while it is answered.
  const asked = client.whoami();
  if (warm) prefetchSummary(client);
  const who = await asked.catch((err: unknown) => {
    closeAll();
    throw err;
  });
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return sessionFrom(client, who);
}

export function savedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

/** Signs this tab out, and every other console tab of this browser with it. */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  channel()?.postMessage({ type: 'signed-out' } satisfies Message);
}

// ---- the session shared by the browser's console tabs ----

type Message = { type: 'ask' } | { type: 'token'; token: string } | { type: 'signed-in'; token: string } | { type: 'signed-out' };

/** How long a new tab waits for an open one to hand over the session before asking for a token. */
const ASK_MS = 300;
const CHANNEL = 'weft.console.session';
let bus: BroadcastChannel | null | undefined;
const elsewhere = new Set<(m: Message) => void>();

function channel(): BroadcastChannel | null {
  if (bus === undefined) {
    bus = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);
    bus?.addEventListener('message', (e: MessageEvent<Message>) => {
      const m = e.data;
      // A tab with a session hands it to a new tab that asks; it never sends it unasked to others.
      if (m.type === 'ask') {
        const token = savedToken();
        if (token) bus!.postMessage({ type: 'token', token } satisfies Message);
        return;
      }
      if (m.type === 'signed-out') sessionStorage.removeItem(TOKEN_KEY);
      for (const l of elsewhere) l(m);
    });
  }
  return bus;
}

/** The session of another open console tab, if there is one. */
export function borrowToken(): Promise<string | undefined> {
  const ch = channel();
  if (!ch) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const done = (token: string | undefined): void => {
      clearTimeout(timer);
      elsewhere.delete(listen);
      resolve(token);
    };
    const listen = (m: Message): void => {
      if (m.type === 'token' || m.type === 'signed-in') done(m.token);
    };
    const timer = setTimeout(() => done(undefined), ASK_MS);
    elsewhere.add(listen);
    ch.postMessage({ type: 'ask' } satisfies Message);
  });
}

/** Tells the other tabs this one signed in, so those showing the sign-in form follow. */
export function announceSignIn(token: string): void {
  channel()?.postMessage({ type: 'signed-in', token: token.trim() } satisfies Message);
}

/** Calls back when another tab signs in or out; returns the function that stops it. */
export function onSessionElsewhere(handlers: { signedIn(token: string): void; signedOut(): void }): () => void {
  channel();
  const listen = (m: Message): void => {
    if (m.type === 'signed-in') handlers.signedIn(m.token);
    else if (m.type === 'signed-out') handlers.signedOut();
  };
  elsewhere.add(listen);
  return () => elsewhere.delete(listen);
}
