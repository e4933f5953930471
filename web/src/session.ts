// Who is signed in and what they may do. The token lives in sessionStorage (gone when the tab
// closes); roles come from /api/v1/whoami and only decide what the UI offers — the server
// enforces every permission regardless.
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

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
