// The CLI's config file: named contexts (server, token, default project) and the current one.
// It holds bearer tokens, so it is written with mode 0600 inside a 0700 directory.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError } from './errors.js';

export interface Context {
  name: string;
  server: string;
  token?: string;
  project?: string;
}

export interface CliConfig {
  currentContext?: string;
  contexts: Context[];
}

/** $WEFT_CONFIG, else $XDG_CONFIG_HOME/weft/config.yaml, else ~/.config/weft/config.yaml. */
export function configPath(): string {
  if (process.env.WEFT_CONFIG) return process.env.WEFT_CONFIG;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'weft', 'config.yaml');
}

export function loadConfig(path = configPath()): CliConfig {
  if (!existsSync(path)) return { contexts: [] };
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read the config file ${path}: ${(err as Error).message}`);
  }
  if (raw === null || raw === undefined) return { contexts: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CliError(`the config file ${path} is not a YAML mapping`);
  const r = raw as { currentContext?: unknown; contexts?: unknown };
  const contexts = Array.isArray(r.contexts) ? r.contexts.filter(isContext) : [];
  return { currentContext: typeof r.currentContext === 'string' ? r.currentContext : undefined, contexts };
}

export function saveConfig(cfg: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const body = stringify({ currentContext: cfg.currentContext, contexts: cfg.contexts.map(clean) });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `# Weft CLI configuration. Contains bearer tokens: keep it private.\n${body}`, { mode: 0o600 });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

/** Inserts or replaces a context by name; optionally makes it current. */
export function upsertContext(cfg: CliConfig, ctx: Context, makeCurrent: boolean): CliConfig {
  const contexts = cfg.contexts.filter((c) => c.name !== ctx.name);
  contexts.push(ctx);
  return { contexts, currentContext: makeCurrent || !cfg.currentContext ? ctx.name : cfg.currentContext };
}

function isContext(v: unknown): v is Context {
  const c = v as Context;
  return !!c && typeof c === 'object' && typeof c.name === 'string' && typeof c.server === 'string';
}

function clean(c: Context): Context {
  const out: Context = { name: c.name, server: c.server };
  if (c.token) out.token = c.token;
  if (c.project) out.project = c.project;
  return out;
}
