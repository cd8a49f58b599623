import { ERROR_CATALOGUE, isErrorCode } from '@ipay/platform';
import type { PersistedOperation } from './manifest.ts';
import { problem, type FieldError, type Problem } from './problems.ts';

/** A GraphQL-over-HTTP response as `execute` returns it. */
export interface GraphQLResponseBody {
  data?: Record<string, unknown> | null;
  errors?: GraphQLResponseError[];
  extensions?: Record<string, unknown>;
}

export interface GraphQLResponseError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

export type Interpretation =
  | { kind: 'data'; value: unknown; data: Record<string, unknown> }
  | {
      kind: 'problem';
      problem: Problem;
      headers: Record<string, string>;
      /** The operation began executing. */ executed: boolean;
      errors: GraphQLResponseError[];
    };

/** Seconds a client should wait when a service behind the gateway is down; restarts take seconds. */
const UPSTREAM_RETRY_AFTER_SECONDS = 5;

interface Classified {
  status: number;
  kind: string;
  code?: string;
  /** The catalogue's title of the code. */
  title?: string;
  /** Messages of 5xx errors can carry internals; they are logged, and the client gets a generic detail. */
  detail: string;
  /** The error the classification rests on (a subgraph's own error when the gateway wrapped it). */
  source: GraphQLResponseError;
}

/** The order in which one error outranks another when a response has several. */
const PRECEDENCE = [401, 403, 429, 400, 422, 409, 503, 504, 502, 500, 404];

/**
 * Turns a GraphQL result into the REST answer: the value at the operation's response path, or a problem
 * whose status follows the errors' `extensions.code`. REST answers are all-or-nothing: any error fails the
 * request, because a partial body (a null shipment because logistics is down) would read as a fact.
 */
export function interpretResult(
  operation: PersistedOperation,
  status: number,
  rawBody: unknown,
  headers: Record<string, string>,
  /** What the request identified the resource by, for a 404's detail. */
  identifiers: Record<string, string>,
): Interpretation {
  let body: GraphQLResponseBody;
  try {
    body = (typeof rawBody === 'string' ? JSON.parse(rawBody) : rawBody) as GraphQLResponseBody;
  } catch {
    body = undefined as never;
  }
  if (!body || typeof body !== 'object') {
    return {
      kind: 'problem',
      problem: problem(502, 'upstream-error', 'the gateway answered with something that is not a GraphQL response'),
      headers: {},
      executed: false,
      errors: [],
    };
  }
  const errors = Array.isArray(body.errors) ? body.errors : [];
  const executed = 'data' in body;

  if (errors.length > 0) {
    const classified = errors.map(classify);
    const worst = mostDecisive(classified);
    const fieldErrors =
      worst.status === 422 || worst.status === 400
        ? classified.filter((c) => c.status === worst.status).map((c) => fieldError(operation, c.source))
        : undefined;
    const extraHeaders: Record<string, string> = {};
    if (worst.status === 429) extraHeaders['retry-after'] = String(retryAfter(worst.source, headers) ?? 1);
    if (worst.status === 503) extraHeaders['retry-after'] = String(retryAfter(worst.source, headers) ?? UPSTREAM_RETRY_AFTER_SECONDS);
    return {
      kind: 'problem',
      problem: problem(worst.status, worst.kind, worst.detail, {
        ...(worst.code ? { code: worst.code } : {}),
        ...(worst.title ? { title: worst.title } : {}),
        ...(fieldErrors ? { errors: fieldErrors } : {}),
      }),
      headers: extraHeaders,
      executed,
      errors,
    };
  }
  if (status >= 400) {
    const classifiedStatus = [401, 403, 429, 503].includes(status) ? status : status >= 500 ? 502 : 500;
    const kinds: Record<number, string> = {
      401: 'unauthenticated',
      403: 'forbidden',
      429: 'rate-limited',
      503: 'upstream-unavailable',
      502: 'upstream-error',
      500: 'internal',
    };
    const retry = retryAfter(undefined, headers);
    return {
      kind: 'problem',
      problem: problem(classifiedStatus, kinds[classifiedStatus]!, `the gateway answered HTTP ${status} without errors`),
      headers: retry !== undefined ? { 'retry-after': String(retry) } : {},
      executed,
      errors,
    };
  }
  const data = body.data;
  if (!data || typeof data !== 'object') {
    return { kind: 'problem', problem: problem(502, 'upstream-error', 'the gateway answered without data'), headers: {}, executed, errors };
  }

  let value: unknown = data;
  for (const segment of operation.response.segments) {
    value = (value as Record<string, unknown>)[segment.key];
    if (value === null || value === undefined) {
      if (!segment.nullable)
        return { kind: 'problem', problem: problem(502, 'upstream-error', `the graph returned no ${segment.key}`), headers: {}, executed, errors };
      const given = Object.entries(identifiers)
        .map(([name, v]) => `${name}: ${v}`)
        .join(', ');
      return {
        kind: 'problem',
        problem: problem(404, 'not-found', `${segment.typeName} not found${given ? ` (${given})` : ''}`, { code: 'NOT_FOUND' }),
        headers: {},
        executed,
        errors,
      };
    }
  }
  return { kind: 'data', value, data };
}

const rank = (status: number) => {
  const index = PRECEDENCE.indexOf(status);
  return index === -1 ? PRECEDENCE.length : index;
};

const mostDecisive = (classified: Classified[]) => classified.reduce((a, b) => (rank(b.status) < rank(a.status) ? b : a));

function classify(error: GraphQLResponseError): Classified {
  const extensions = error.extensions ?? {};
  const code = typeof extensions.code === 'string' ? extensions.code : undefined;
  const message = typeof error.message === 'string' ? error.message : 'error';
  // A subgraph answered the gateway with an HTTP error ("401: Unauthorized"). Subgraphs answer 401/403 when a
  // resolver refuses the caller: those errors (they have a path) are the caller's. A refusal of the request as
  // a whole (no path: e.g. the gateway's own internal token) or a body that is not GraphQL is the gateway's.
  const upstream = extensions.response as { status?: unknown; body?: { errors?: unknown } } | undefined;
  if (upstream && typeof upstream.status === 'number') {
    const inner = Array.isArray(upstream.body?.errors) ? (upstream.body.errors as GraphQLResponseError[]).filter((e) => e && Array.isArray(e.path)) : [];
    if (inner.length > 0) return mostDecisive(inner.map(classify));
    return { status: 502, kind: 'upstream-error', detail: 'a service behind the gateway failed', source: error };
  }
  const outcome = classifyCode(code, message);
  return { ...outcome, source: error };
}

/**
 * A code's status, problem type and title come from the one error catalogue (subgraphs/platform/src/errors.ts),
 * which the subgraphs throw from and the OpenAPI document is generated from. A code missing from the catalogue is
 * a bug (a test walks the source for thrown codes), answered as 500.
 */
function classifyCode(code: string | undefined, message: string): Omit<Classified, 'source'> {
  if (isErrorCode(code)) {
    const spec = ERROR_CATALOGUE[code];
    const kind = spec.type.replace(/^urn:ipay:problem:/, '');
    // Messages of 5xx errors can carry internals (a PSP's or a subgraph's): the catalogue's description goes out instead.
    if (spec.status >= 500 && code !== 'INTERNAL_SERVER_ERROR')
      return { status: spec.status, kind, code, title: spec.title, detail: spec.layer === 'domain' ? spec.description : detailOf5xx(spec.status) };
    if (spec.status < 500) return { status: spec.status, kind, code, title: spec.title, detail: message };
  }
  if (!code || code === 'INTERNAL_SERVER_ERROR') {
    // @apollo/gateway reports a subgraph it could not reach as INTERNAL_SERVER_ERROR carrying the fetch error's message.
    if (/^fetch failed$|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|socket hang up|other side closed/i.test(message)) {
      return { status: 503, kind: 'upstream-unavailable', title: ERROR_CATALOGUE.SERVICE_UNAVAILABLE.title, detail: detailOf5xx(503) };
    }
    if (/aborted due to timeout|operation was aborted/i.test(message))
      return { status: 504, kind: 'upstream-timeout', title: ERROR_CATALOGUE.GATEWAY_TIMEOUT.title, detail: detailOf5xx(504) };
    if (/^Expected JSON response body/.test(message))
      return { status: 502, kind: 'upstream-error', title: ERROR_CATALOGUE.BAD_GATEWAY.title, detail: detailOf5xx(502) };
  }
  return { status: 500, kind: 'internal', title: ERROR_CATALOGUE.INTERNAL_SERVER_ERROR.title, ...(code ? { code } : {}), detail: detailOf5xx(500) };
}

function detailOf5xx(status: number): string {
  switch (status) {
    case 502:
      return 'a service behind the gateway failed';
    case 503:
      return 'a service behind the gateway is unavailable';
    case 504:
      return 'a service behind the gateway timed out';
    default:
      return 'an unexpected error occurred';
  }
}

/** The field a graph input error is about: `extensions.field`, or the variable GraphQL's own coercion names. */
function fieldError(operation: PersistedOperation, error: GraphQLResponseError): FieldError {
  const declared = typeof error.extensions?.field === 'string' ? error.extensions.field : undefined;
  const variable = error.message.match(/^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/)?.[1];
  const at = error.message.match(/ at "([^"]+)"/)?.[1];
  let field = declared ?? (at && variable ? at : variable);
  const root = field?.split(/[.[]/)[0];
  const spec = operation.variables.find((v) => v.name === root);
  // When the whole body is one variable, body fields are named relative to the body.
  if (spec && operation.body.kind === 'variable' && operation.body.variable === spec.name && field !== spec.name) field = field!.slice(spec.name.length + 1);
  const detail = declared && error.message.startsWith(`${declared}: `) ? error.message.slice(declared.length + 2) : error.message;
  return { ...(field ? { field } : {}), ...(spec ? { in: spec.source } : {}), detail };
}

function retryAfter(error: GraphQLResponseError | undefined, headers: Record<string, string>): number | undefined {
  for (const candidate of [error?.extensions?.retryAfter, error?.extensions?.retryAfterSeconds, headers['retry-after']]) {
    const seconds = typeof candidate === 'number' ? candidate : typeof candidate === 'string' && /^\d+$/.test(candidate) ? Number(candidate) : undefined;
    if (seconds !== undefined && Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  }
  return undefined;
}

/** The problem a graph error code stands for (status, type and title from the catalogue), for routes outside GraphQL. */
export function problemOfCode(code: string | undefined, message: string): Problem {
  const c = classifyCode(code, message);
  return problem(c.status, c.kind, c.detail, { ...(c.code ? { code: c.code } : {}), ...(c.title ? { title: c.title } : {}) });
}
