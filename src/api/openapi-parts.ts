// Small builders every part of the OpenAPI document uses (openapi.ts and the *-openapi.ts files).
export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: Json): Json => ({ 'application/json': { schema } });
const problem: Json = { $ref: '#/components/responses/Problem' };
/** The problem-details response for each of these status codes. */
export const errors = (...codes: number[]): Json => Object.fromEntries(codes.map((c) => [String(c), problem]));
export const pathParam = (name: string, description: string): Json => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
export const queryParam = (name: string, description: string, schema: Json = { type: 'string' }): Json => ({ name, in: 'query', required: false, description, schema });
