// The providers this server knows, and what the control plane asks of them. See provider.ts.
import type { Resource } from '../model/metadata.js';
import { agentProvider } from './agent/index.js';
import type { NodeLiveness, Provider } from './provider.js';
import { simProvider } from './sim/index.js';
import { slurmProvider } from './slurm/index.js';

export type { NodeLiveness, Provider, ProviderContext } from './provider.js';
export { agentProvider } from './agent/index.js';
export { simProvider } from './sim/index.js';
export { slurmProvider } from './slurm/index.js';

export interface ProviderSettings {
  /** Probability that a replica on a simulated node fails instead of succeeding. */
  simFailureRate?: number;
}

/** Every provider a server process runs. */
export function builtInProviders(settings: ProviderSettings = {}): Provider[] {
  return [agentProvider, simProvider({ failureRate: settings.simFailureRate }), slurmProvider()];
}

/** How a node's liveness is known: its provider says; undefined when no known provider serves it. */
export function livenessOf(providers: readonly Provider[]): (node: Resource) => NodeLiveness | undefined {
  const byName = new Map(providers.map((p) => [p.name, p.liveness]));
  return (node) => {
    const name = (node.spec as { provider?: unknown }).provider;
    return typeof name === 'string' ? byName.get(name) : undefined;
  };
}
