// Hash routing (#/workloads/job/vision/train): deep links work with one index.html and the
// server needs no knowledge of client routes.
import { useSyncExternalStore } from 'react';

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

const current = (): string => window.location.hash.replace(/^#/, '') || '/';

/** The current route's path segments, decoded: "#/fleet/node/n1" → ["fleet", "node", "n1"]. */
export function useRoute(): string[] {
  const path = useSyncExternalStore(subscribe, current);
  return path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
}

export function href(...segments: string[]): string {
  return '#/' + segments.map(encodeURIComponent).join('/');
}

export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments).slice(1);
}

/** A workload's page: virtual machines have their own (state, actions, serial console). */
export function workloadHref(kind: string, project: string, name: string): string {
  return kind === 'VirtualMachine' ? href('vms', project, name) : href('workloads', kind, project, name);
}
