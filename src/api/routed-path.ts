// Decisions about a request (is it public, is it audited, does it change who is who) are taken on
// the path the router acted on, never on the raw URL: `/%61pi/v1/jobs` is routed exactly like
// `/api/v1/jobs`, so a test of the raw text would let it pass as something else.
import type { FastifyRequest } from 'fastify';

/**
 * The request's path as the router sees it: the matched route's pattern when one matched
 * (`/api/v1/projects/:project/jobs`), else the raw path with each segment percent-decoded.
 */
export function routedPath(req: FastifyRequest): string {
  return req.routeOptions.url ?? decodedPath(req.url);
}

/** The path part of a URL with every segment percent-decoded ('%2F' stays inside its segment). */
export function decodedPath(url: string): string {
  return decodedSegments(url).join('/');
}

/** The path part of a URL split into percent-decoded segments (the first is '' for a leading '/'). */
export function decodedSegments(url: string): string[] {
  const path = url.split('?')[0] ?? '';
  return path.split('/').map(decodeSegment);
}

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    // Malformed escapes never reach a route (the router refuses them); keep the text as sent.
    return seg;
  }
}
