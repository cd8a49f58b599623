import type { ServerResponse } from 'node:http';

/** Where a field at fault was in the request. */
export type FieldLocation = 'path' | 'query' | 'body' | 'header';

export interface FieldError {
  field?: string;
  in?: FieldLocation;
  detail: string;
}

/** RFC 9457 problem details, with the members this API adds (`code`, `requestId`, `errors`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** The graph's `extensions.code`, when the graph reported the problem. */
  code?: string;
  requestId?: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A problem of a kind: `kind` becomes the type URN (urn:ipay:problem:<kind>), which clients branch on.
 * URNs because the kinds are identifiers, not pages anybody should have to fetch.
 */
export function problem(status: number, kind: string, detail: string, extra: Partial<Pick<Problem, 'code' | 'errors' | 'title'>> = {}): Problem {
  return { type: `urn:ipay:problem:${kind}`, title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

/** RFC 6750 §3: a 401 names the scheme the client must authenticate with. */
export const WWW_AUTHENTICATE = 'Bearer realm="ipay", error="invalid_token"';

/** Headers every problem of a status carries (401: WWW-Authenticate). */
export function problemHeaders(status: number): Record<string, string> {
  return status === 401 ? { 'www-authenticate': WWW_AUTHENTICATE } : {};
}

export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail);
  }
}

export function sendProblem(res: ServerResponse, value: Problem, headers: Record<string, string> = {}, headOnly = false): void {
  const text = JSON.stringify(value);
  res.writeHead(value.status, {
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...problemHeaders(value.status),
    ...headers,
  });
  res.end(headOnly ? undefined : text);
}
