import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A strong validator of exact response bytes. */
export function entityTag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * Whether `If-None-Match` matches the current tag (RFC 9110 §13.1.2: weak comparison, `*` matches any
 * current representation).
 */
export function ifNoneMatchMatches(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (value: string) => value.trim().replace(/^W\//, '');
  const wanted = opaque(tag);
  return (header.match(/(?:W\/)?"[^"]*"/g) ?? []).some((candidate) => opaque(candidate) === wanted);
}

/** RFC 8288 Link to the next page: the same request with the cursor parameter set to the page's end cursor. */
export function nextPageLink(pathname: string, query: URLSearchParams, cursorParameter: string, endCursor: string): string {
  const next = new URLSearchParams(query);
  next.set(cursorParameter, endCursor);
  return `<${pathname}?${next.toString()}>; rel="next"`;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The origin a client reached us at, for absolute URLs in documents we serve (the Postman collection). */
export function requestOrigin(req: IncomingMessage): string {
  const forwardedProto = header(req, 'x-forwarded-proto')?.split(',')[0]?.trim();
  const protocol =
    forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : 'encrypted' in req.socket && req.socket.encrypted ? 'https' : 'http';
  const host = header(req, 'x-forwarded-host')?.split(',')[0]?.trim() || header(req, 'host') || 'localhost';
  return `${protocol}://${host}`;
}
