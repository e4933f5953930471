// Enforces DESIGN.md §2: folders are layers and imports only point down. The scheduler stays
// pure; agent, cli, mcp and web reach the server only through the client, and only `server`
// assembles the store, the control plane and the providers (the CLI calls it for `weft up`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Which layers each layer may import (besides itself). */
const allowed: Record<string, string[]> = {
  model: [],
  scheduler: ['model'],
  sim: ['scheduler', 'model'],
  store: ['model'],
  control: ['store', 'scheduler', 'sim', 'model'],
  providers: ['control', 'store', 'scheduler', 'sim', 'model', 'client'],
  api: ['control', 'providers', 'store', 'scheduler', 'sim', 'model'],
  // The MCP server's HTTP transport is mounted by api and handed to it here (api may not import mcp).
  server: ['api', 'providers', 'control', 'store', 'scheduler', 'sim', 'model', 'mcp'],
  client: ['model'],
  agent: ['client', 'model'],
  mcp: ['client', 'model'],
  // `weft up` / `weft server` call the server; `weft sim` runs the simulator; `weft agent` the agent.
  cli: ['client', 'model', 'sim', 'scheduler', 'server', 'agent', 'mcp'],
};

/** Layers nothing but `server` may import: their parts are wired together in one place. */
const assembled = ['store', 'control', 'providers', 'api'];

/**
 * Known imports against the rules, each with what should remove it. Nothing else may join them:
 * a new one fails like any other.
 */
const knownExceptions: Record<string, RegExp> = {};

/** Node built-ins the pure layers must never touch (I/O, clocks, processes). */
const impureModules = /^(node:)?(fs|fs\/promises|net|http|https|child_process|worker_threads|dgram|os|process)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    out.push((m[1] ?? m[2])!);
  }
  return out;
}

describe('layering', () => {
  const all = files(src);

  it('has source files to check', () => {
    expect(all.length).toBeGreaterThan(5);
  });

  it('keeps the assembled layers away from the clients', () => {
    for (const client of ['agent', 'cli', 'mcp', 'client']) {
      for (const layer of assembled) expect(allowed[client], `${client} may import ${layer}`).not.toContain(layer);
    }
  });

  for (const file of all) {
    const rel = relative(src, file);
    const layer = rel.split('/')[0]!;
    it(`${rel} imports only from allowed layers`, () => {
      expect(Object.keys(allowed), `unknown layer folder src/${layer}`).toContain(layer);
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          const target = relative(src, resolve(dirname(file), spec)).split('/')[0]!;
          if (target === layer || knownExceptions[rel]?.test(spec)) continue;
          expect(allowed[layer], `${rel} imports ${spec} (layer ${target})`).toContain(target);
        } else if (layer === 'scheduler' || layer === 'model') {
          expect(impureModules.test(spec), `${rel} is in a pure layer but imports ${spec}`).toBe(false);
        }
      }
    });
  }
});

// The console (web/) is a client like the CLI: it may reach into src/ only for the client and
// the model, and never for Node built-ins (it runs in a browser).
describe('console layering', () => {
  const webSrc = join(root, 'web', 'src');
  const webFiles = readdirSync(webSrc, { recursive: true })
    .map((f) => join(webSrc, String(f)))
    .filter((p) => /\.tsx?$/.test(p) && !/\.test\.tsx?$/.test(p));

  it('has console files to check', () => {
    expect(webFiles.length).toBeGreaterThan(3);
  });

  for (const file of webFiles) {
    const rel = relative(root, file);
    it(`${rel} imports only the client, the model and browser code`, () => {
      for (const spec of imports(file)) {
        expect(/^(node:|fs$|path$|child_process$)/.test(spec), `${rel} imports ${spec}`).toBe(false);
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(dirname(file), spec));
        if (!target.startsWith('src/')) continue;
        expect(['client', 'model'], `${rel} imports ${spec}`).toContain(target.split('/')[1]);
      }
    });
  }
});

// The console is shipped to every browser: nothing it loads may pull the schema library, which
// the model's plain modules (kind-names, allocation-rules, annotations, gpu-catalog) exist to avoid.
describe('console bundle', () => {
  /** Imports that stay in the built code (`import type` and `export type` are erased). */
  function valueImports(file: string): string[] {
    const text = readFileSync(file, 'utf8');
    const out: string[] = [];
    for (const m of text.matchAll(/(?:import|export)\s+(?!type\s)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push((m[1] ?? m[2])!);
    return out;
  }

  it('never reaches @sinclair/typebox through what it imports from src/', () => {
    const webSrc = join(root, 'web', 'src');
    const start = readdirSync(webSrc, { recursive: true }).map((f) => join(webSrc, String(f))).filter((p) => /\.tsx?$/.test(p) && !/\.test\.tsx?$/.test(p));
    const seen = new Set<string>();
    const queue = [...start];
    const chains = new Map<string, string>(start.map((f) => [f, relative(root, f)]));
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of valueImports(file)) {
        expect(spec, `${chains.get(file)} imports the schema library`).not.toMatch(/^@sinclair\/typebox/);
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
        const next = statSync(target, { throwIfNoEntry: false }) ? target : target.replace(/\.ts$/, '.tsx');
        if (!chains.has(next)) chains.set(next, `${chains.get(file)} → ${relative(root, next)}`);
        queue.push(next);
      }
    }
    expect([...seen].some((f) => f.includes(`${join('src', 'client')}`))).toBe(true);
  });
});
