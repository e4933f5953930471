// The agent provider: Weft's node agent (`weft agent`, src/agent) runs on the host. It registers
// the Node, heartbeats, watches the Allocations bound to it and runs them as processes, all
// through the API with a node-scoped token, so nothing of it runs in the server: the control
// plane judges its nodes by their heartbeats.
import type { Provider } from '../provider.js';

export const AGENT_PROVIDER = 'agent';

export const agentProvider: Provider = {
  name: AGENT_PROVIDER,
  liveness: 'heartbeat',
  controller: () => undefined,
};
