// Request body parsing: JSON, JSON merge patch and YAML, all size-limited by Fastify's bodyLimit,
// and all checked for values PostgreSQL's jsonb cannot store (NUL, lone surrogates, non-finite
// numbers, absurd nesting) so that such input is a 400 here rather than a database error later.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseAllDocuments } from 'yaml';
import { BadRequestError } from '../model/errors.js';

export const JSON_TYPES = ['application/json', 'application/merge-patch+json'];
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

const MAX_DEPTH = 64;
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function badString(s: string): string | undefined {
  if (!BAD_CHARS.test(s)) return undefined;
  return s.includes('\u0000') ? 'contains a NUL character' : 'contains an unpaired UTF-16 surrogate';
}

/** Throws BadRequestError naming the first field holding a value the store cannot keep. */
export function checkStorable(value: unknown): void {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    const field = path || '(root)';
    if (typeof v === 'string') {
      const why = badString(v);
      if (why) throw new BadRequestError(`${field}: ${why}`, [{ field, message: why }]);
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new BadRequestError(`${field}: must be a finite number`, [{ field, message: 'must be a finite number' }]);
    } else if (v !== null && typeof v === 'object') {
      if (depth >= MAX_DEPTH) throw new BadRequestError(`${field}: nested more than ${MAX_DEPTH} levels deep`, [{ field, message: `nested more than ${MAX_DEPTH} levels deep` }]);
      if (Array.isArray(v)) {
        v.forEach((item, i) => stack.push({ v: item, path: `${path}${path ? '.' : ''}${i}`, depth: depth + 1 }));
      } else {
        for (const [k, item] of Object.entries(v)) {
          const sub = `${path}${path ? '.' : ''}${k}`;
          const why = k === '__proto__' ? 'is not an allowed key' : badString(k);
          if (why) throw new BadRequestError(`${JSON.stringify(k)}: ${why}`, [{ field: sub, message: why }]);
          stack.push({ v: item, path: sub, depth: depth + 1 });
        }
      }
    } else if (v !== undefined && v !== null && typeof v !== 'boolean') {
      throw new BadRequestError(`${field}: unsupported value`, [{ field, message: 'unsupported value' }]);
    }
  }
}

function parseYaml(text: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(docs)) throw new BadRequestError('YAML body is empty');
  if (docs.length !== 1) throw new BadRequestError(`expected one YAML document per request, got ${docs.length}`);
  const doc = docs[0]!;
  const err = doc.errors[0];
  if (err) throw new BadRequestError(`malformed YAML: ${err.message.split('\n')[0]}`);
  // Alias expansion is capped so a "billion laughs" document cannot balloon in memory.
  return doc.toJS({ maxAliasCount: 100 });
}

export function registerBodyParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  // Only the types below are accepted; anything else (including text/plain) is a 415.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  const handle = (parse: (req: FastifyRequest, text: string) => Promise<unknown>) => async (req: FastifyRequest, body: string | Buffer): Promise<unknown> => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    // An empty body is "no body": routes that need one say so, others (DELETE) do not care.
    if (text.trim() === '') return undefined;
    const value = await parse(req, text);
    checkStorable(value);
    return value;
  };
  const parseJson = (req: FastifyRequest, text: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      void json(req, text, (err, value) => (err ? reject(err) : resolve(value)));
    });
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, handle(parseJson));
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, handle(async (_req, text) => {
    try {
      return parseYaml(text);
    } catch (e) {
      if (e instanceof BadRequestError) throw e;
      throw new BadRequestError(`malformed YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }));
}
