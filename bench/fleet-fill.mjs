// The large store the console and restart benchmarks measure, filled through the API: NODES
// hosts (8 GPUs each, provider "agent", in 4 sites and 25-node racks) and WORKLOADS one-replica
// Jobs spread over 5 projects, each "running" 6 h on the sim clock.
export const PROJECTS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

export async function api(url, token, method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Runs fn(0..n-1) with at most `concurrency` calls in flight. */
export async function pool(n, concurrency, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

export async function fillFleet(url, token, { nodes, workloads, log = () => {} }) {
  for (const p of PROJECTS) await api(url, token, 'POST', '/api/v1/projects', { apiVersion: 'weft/v1', kind: 'Project', metadata: { name: p }, spec: {} });
  await pool(nodes, 32, (i) => {
    const model = i % 5 === 4 ? 'A100-80GB' : 'H100-80GB';
    return api(url, token, 'POST', '/api/v1/nodes', {
      apiVersion: 'weft/v1', kind: 'Node',
      metadata: { name: `node-${String(i).padStart(4, '0')}` },
      spec: {
        site: `site-${i % 4}`, rack: `rack-${String(Math.floor(i / 25)).padStart(2, '0')}`, cpu: '224', memory: '2Ti', provider: 'agent',
        gpus: Array.from({ length: 8 }, (_, g) => ({ index: g, model, memory: '80Gi', ...(model === 'A100-80GB' ? { migEnabled: true } : {}) })),
      },
    });
  });
  log(`  ${nodes} nodes created`);
  await pool(workloads, 32, (i) => {
    const p = PROJECTS[i % PROJECTS.length];
    return api(url, token, 'POST', `/api/v1/projects/${p}/jobs`, {
      apiVersion: 'weft/v1', kind: 'Job',
      metadata: { name: `job-${String(i).padStart(5, '0')}`, labels: { team: p }, annotations: { 'weft.dev/sim-duration': '6h' } },
      spec: { replicas: 1, resources: { cpu: '4', memory: '16Gi', gpu: { count: 1 + (i % 2) } } },
    });
  });
}
