import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, MAX_GRAPHQL_BODY_BYTES, readBody, type Logger, type RequestInfo, type RouteHandler } from '@ipay/platform';
import { docsRoutes } from './docs.ts';
import { interpretResult, type GraphQLResponseBody } from './graphql-result.ts';
import { entityTag, header, ifNoneMatchMatches, nextPageLink, requestOrigin } from './http.ts';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_LEASE_MS,
  IDEMPOTENCY_TTL_MS,
  defaultIdempotencyScope,
  ownIdempotencyVariable,
  ownKeyHolder,
  requestFingerprint,
  validIdempotencyKey,
  type IdempotencyClaimRef,
  type IdempotencyStore,
  type StoredResponse,
} from './idempotency.ts';
import { assertManifest, type PersistedOperation, type PersistedOperationsManifest } from './manifest.ts';
import { postmanCollection, type OpenApiDocument } from './postman.ts';
import { ProblemError, problem, problemHeaders, sendProblem, type Problem } from './problems.ts';
import { Router } from './router.ts';
import { collectVariables } from './variables.ts';

/** What the facade asks the gateway to run: one persisted operation, as a GraphQL-over-HTTP POST would. */
export interface ExecuteRequest {
  query: string;
  variables: Record<string, unknown>;
  operationName: string;
  /** The manifest id of the operation (sha256 of `query`). */
  operationId: string;
  /**
   * Request headers to run it with (lower-case names): `authorization` as the client sent it, `x-request-id`,
   * and when present `traceparent`, `tracestate`, `baggage`, `accept-language`, `user-agent`,
   * `idempotency-key` and `x-forwarded-for` (with the client's address appended).
   */
  headers: Record<string, string>;
}

export interface ExecuteResult {
  /** The HTTP status the GraphQL endpoint answered with. */
  status: number;
  /** The GraphQL response: `{ data?, errors?, extensions? }`, parsed or as the JSON text. */
  body: GraphQLResponseBody | string;
  /** Response headers worth passing on (lower-case names); only `retry-after` is used. */
  headers?: Record<string, string>;
}

export type ExecuteOperation = (request: ExecuteRequest, context: { requestId: string; logger: Logger }) => Promise<ExecuteResult>;

export interface RestFacadeOptions {
  manifest: PersistedOperationsManifest;
  openapi: Record<string, unknown>;
  execute: ExecuteOperation;
  logger: Logger;
  /** Required when any operation is a POST/PUT/PATCH (they take Idempotency-Key). */
  idempotencyStore?: IdempotencyStore;
  idempotency?: {
    /**
     * Whose keys they are: by default a hash of the Authorization header; return the authenticated principal's
     * id instead so a refreshed token keeps its keys.
     */
    scope?: (req: IncomingMessage) => string | Promise<string>;
    ttlMs?: number;
    leaseMs?: number;
  };
  /** The GraphQL endpoint GraphiQL uses (default /graphql); false serves no GraphiQL. */
  graphqlPath?: string | false;
  /** For tests of expiry. */
  now?: () => Date;
}

export interface RestFacade {
  /** Handlers for createHttpServer's route table: /v1/*, /openapi.json, /postman.json, /docs(/*), /redoc(/*), /graphiql(/*). */
  routes: Record<string, RouteHandler>;
}

const FORWARDED_HEADERS = ['authorization', 'traceparent', 'tracestate', 'baggage', 'accept-language', 'user-agent', IDEMPOTENCY_KEY_HEADER];
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The REST/OpenAPI facade over the persisted operations: each REST endpoint runs one operation through
 * the gateway's GraphQL pipeline (`execute`) and answers with its data, or an RFC 9457 problem.
 */
export function createRestFacade(options: RestFacadeOptions): RestFacade {
  const { manifest, execute, logger } = options;
  assertManifest(manifest);
  const openapi = options.openapi as unknown as OpenApiDocument;
  assertDocumentsAgree(manifest, openapi);
  const router = new Router(manifest.operations);
  const ownKeys = new Map(
    Object.entries(manifest.operations).flatMap(([id, op]) => {
      const own = ownIdempotencyVariable(op, manifest.inputObjects);
      return own ? [[id, own] as const] : [];
    }),
  );
  const now = options.now ?? (() => new Date());
  const ttlMs = options.idempotency?.ttlMs ?? IDEMPOTENCY_TTL_MS;
  const leaseMs = options.idempotency?.leaseMs ?? IDEMPOTENCY_LEASE_MS;
  const scopeOf = options.idempotency?.scope ?? ((req: IncomingMessage) => defaultIdempotencyScope(req.headers));
  const store = options.idempotencyStore;
  const needsStore = Object.values(manifest.operations).filter((op) => op.http.idempotency !== 'none');
  if (needsStore.length > 0 && !store) {
    throw new Error(`createRestFacade: ${needsStore.map((op) => op.name).join(', ')} take Idempotency-Key, so an idempotencyStore is required`);
  }
  const openapiText = JSON.stringify(openapi);
  const openapiTag = entityTag(openapiText);
  let lastPurge = 0;

  /** Keys past their 24 hours are deleted now and then, off the request path. */
  const maybePurge = () => {
    const at = now();
    if (!store || at.getTime() - lastPurge < PURGE_INTERVAL_MS) return;
    lastPurge = at.getTime();
    store.purgeExpired(at).then(
      (count) => count > 0 && logger.info({ count }, 'purged expired idempotency keys'),
      (error: unknown) => logger.warn({ err: error }, 'could not purge expired idempotency keys'),
    );
  };

  async function handleApi(info: RequestInfo): Promise<void> {
    const { req, res, requestId } = info;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const instance = url.pathname;
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    const headOnly = req.method === 'HEAD';
    const fail = (value: Problem, headers: Record<string, string> = {}) => sendProblem(res, { ...value, instance, requestId }, headers, headOnly);

    try {
      const match = router.match(method, url.pathname);
      if (match.kind === 'none') return fail(problem(404, 'route-not-found', `no endpoint at ${req.method} ${url.pathname}; see /openapi.json`));
      if (match.kind === 'bad-path') return fail(problem(400, 'invalid-parameter', match.detail));
      if (match.kind === 'method-not-allowed') {
        const allow = [...match.allowed, ...(match.allowed.includes('GET') ? ['HEAD'] : [])].join(', ');
        return fail(problem(405, 'method-not-allowed', `${req.method} is not allowed here; use ${allow}`), { allow });
      }
      const { route, params } = match;
      const operation = route.operation;

      const body = operation.body.kind === 'none' ? undefined : await readJsonBody(req);
      let idempotencyKey = header(req, IDEMPOTENCY_KEY_HEADER);
      // One key: where the operation has its own idempotency variable, the header fills it (when the body leaves
      // it out) and the subgraph keeps it; the gateway's store is for operations without one.
      const own = ownKeys.get(route.id);
      const ownHolder = own && ownKeyHolder(operation, own, body);
      const bodyHasOwnKey = ownHolder !== undefined && ownHolder.holder[ownHolder.name] !== undefined;
      if (ownHolder && !bodyHasOwnKey && idempotencyKey !== undefined && validIdempotencyKey(idempotencyKey)) ownHolder.holder[ownHolder.name] = idempotencyKey;
      const { variables, errors } = collectVariables(operation, manifest.inputObjects, { path: params, query: url.searchParams, body });
      if (operation.http.idempotency === 'none') idempotencyKey = undefined;
      else if (idempotencyKey === undefined && operation.http.idempotency === 'required' && !bodyHasOwnKey)
        errors.push({ field: 'Idempotency-Key', in: 'header', detail: 'is required' });
      else if (idempotencyKey !== undefined && !validIdempotencyKey(idempotencyKey)) {
        errors.push({ field: 'Idempotency-Key', in: 'header', detail: 'must be 1 to 255 printable ASCII characters' });
      }
      // Invalid requests never reach the graph, and (as with Stripe) are not remembered under their key.
      if (errors.length > 0) {
        const summary = errors.map((e) => (e.field ? `${e.field}: ${e.detail}` : e.detail)).join('; ');
        return fail(problem(400, 'invalid-parameter', summary, { errors }));
      }

      const run = () => runOperation(info, route.id, operation, variables, url, params);
      if (idempotencyKey === undefined || own) return send(res, (await run()).response, headOnly);

      const fingerprint = requestFingerprint(route.id, variables);
      const at = now();
      let scope: string;
      let claim;
      try {
        scope = await scopeOf(req);
        claim = await store!.claim({
          scope,
          key: idempotencyKey,
          fingerprint,
          operationId: route.id,
          now: at,
          expiresAt: new Date(at.getTime() + ttlMs),
          lockedUntil: new Date(at.getTime() + leaseMs),
        });
      } catch (error) {
        if (error instanceof ProblemError) throw error;
        // Running a POST without its idempotency guarantee could run it twice; refuse instead.
        info.logger.error({ err: error }, 'idempotency store unavailable');
        return fail(problem(503, 'idempotency-unavailable', 'idempotency keys cannot be checked right now; retry later'), { 'retry-after': '5' });
      }
      maybePurge();
      switch (claim.outcome) {
        case 'replay':
          return send(res, { ...claim.response, headers: { ...claim.response.headers, 'idempotent-replayed': 'true' } }, headOnly);
        case 'mismatch':
          return fail(
            problem(422, 'idempotency-key-reused', 'this Idempotency-Key was already used with a different request; use a new key for a new request', {
              errors: [{ field: 'Idempotency-Key', in: 'header', detail: 'was used with a different request' }],
            }),
          );
        case 'in-flight':
          return fail(
            problem(409, 'idempotency-key-in-use', 'a request with this Idempotency-Key is still being processed; retry later', {
              code: 'IDEMPOTENCY_KEY_IN_USE',
            }),
            { 'retry-after': '1' },
          );
      }
      const ref: IdempotencyClaimRef = { scope, key: idempotencyKey, lockToken: claim.lockToken };
      let outcome: Outcome;
      try {
        outcome = await run();
      } catch (error) {
        // Whether the operation ran is unknown: keep the claim until its lease ends rather than risk running it twice.
        info.logger.error({ err: error }, 'REST request failed while holding an idempotency key');
        throw error;
      }
      // As with Stripe, a request that never ran is forgotten so it can be retried with the same key: one the
      // graph refused outright (authentication, permission, rate limit). A 5xx is never stored either: it says
      // the platform failed, not what the request's answer is, so replaying it would make a retry fail for ever
      // (the graph's own idempotency keys guard mutations that did run). Every other answer is replayed.
      const status = outcome.response.status;
      const refused = status === 401 || status === 403 || status === 429;
      const transient = status >= 500;
      try {
        if (!outcome.executed || refused || transient) await store!.release(ref);
        else if (!(await store!.complete(ref, outcome.response)))
          info.logger.warn({ key: idempotencyKey }, 'idempotency claim was taken over before the response was stored');
      } catch (error) {
        info.logger.error({ err: error }, 'could not store the idempotent response; the key stays in flight until its lease ends');
      }
      return send(res, outcome.response, headOnly);
    } catch (error) {
      if (error instanceof ProblemError) return fail(error.problem, error.headers);
      info.logger.error({ err: error }, 'REST request failed');
      return fail(problem(500, 'internal', 'an unexpected error occurred'));
    }
  }

  interface Outcome {
    response: StoredResponse;
    /** The graph began executing the operation (GraphQL `data` is present). */
    executed: boolean;
  }

  async function runOperation(
    info: RequestInfo,
    id: string,
    operation: PersistedOperation,
    variables: Record<string, unknown>,
    url: URL,
    params: Record<string, string>,
  ): Promise<Outcome> {
    const { req, requestId, logger: requestLogger } = info;
    const headers: Record<string, string> = { 'x-request-id': requestId };
    for (const name of FORWARDED_HEADERS) {
      const value = header(req, name);
      if (value !== undefined) headers[name] = value;
    }
    const forwardedFor = [header(req, 'x-forwarded-for'), req.socket.remoteAddress].filter(Boolean).join(', ');
    if (forwardedFor) headers['x-forwarded-for'] = forwardedFor;

    const result = await execute(
      { query: operation.document, variables, operationName: operation.name, operationId: id, headers },
      { requestId, logger: requestLogger },
    );
    const identifiers = { ...params };
    for (const variable of operation.variables)
      if (variable.source === 'query' && variable.required) identifiers[variable.name] = String(variables[variable.name]);
    const interpreted = interpretResult(operation, result.status, result.body, lowerCaseKeys(result.headers ?? {}), identifiers);

    if (interpreted.kind === 'problem') {
      const value = { ...interpreted.problem, instance: url.pathname, requestId };
      const log = value.status >= 500 ? requestLogger.error.bind(requestLogger) : requestLogger.info.bind(requestLogger);
      log(
        {
          operationName: operation.name,
          status: value.status,
          errors: interpreted.errors.map((e) => ({ message: e.message, code: e.extensions?.code, path: e.path })),
        },
        'REST operation failed',
      );
      const text = JSON.stringify(value);
      return {
        response: {
          status: value.status,
          headers: {
            'content-type': 'application/problem+json; charset=utf-8',
            'cache-control': 'no-store',
            ...problemHeaders(value.status),
            ...interpreted.headers,
          },
          body: text,
        },
        executed: interpreted.executed,
      };
    }

    const text = JSON.stringify(interpreted.value);
    const responseHeaders: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    const pagination = operation.response.pagination;
    if (pagination) {
      const pageInfo = (interpreted.value as Record<string, Record<string, unknown> | undefined>)[pagination.pageInfoKey];
      const endCursor = pageInfo?.[pagination.endCursorKey];
      if (pageInfo?.[pagination.hasNextPageKey] === true && typeof endCursor === 'string') {
        responseHeaders.link = nextPageLink(url.pathname, url.searchParams, pagination.cursorParameter, endCursor);
      }
    }
    if (operation.http.method === 'GET') {
      const tag = entityTag(text);
      // Private: answers depend on the bearer token; no-cache: reuse only after revalidating with the ETag.
      Object.assign(responseHeaders, { etag: tag, 'cache-control': 'private, no-cache', vary: 'Authorization' });
      if (ifNoneMatchMatches(header(req, 'if-none-match'), tag)) {
        const { 'content-type': _, ...notModified } = responseHeaders;
        return { response: { status: 304, headers: notModified, body: '' }, executed: true };
      }
    } else responseHeaders['cache-control'] = 'no-store';
    return { response: { status: operation.http.successStatus, headers: responseHeaders, body: text }, executed: true };
  }

  const json =
    (text: string, tag: string, contentType = 'application/json; charset=utf-8'): RouteHandler =>
    ({ req, res }) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' });
        res.end();
        return;
      }
      const headers = { 'content-type': contentType, etag: tag, 'cache-control': 'no-cache', 'access-control-allow-origin': '*' };
      if (ifNoneMatchMatches(header(req, 'if-none-match'), tag)) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
      res.end(req.method === 'HEAD' ? undefined : text);
    };

  return {
    routes: {
      '/v1/*': handleApi,
      '/openapi.json': json(openapiText, openapiTag),
      '/postman.json': (info) => {
        // The collection's baseUrl is wherever it was fetched from, so it works as imported.
        const text = JSON.stringify(postmanCollection(openapi, requestOrigin(info.req)));
        return json(text, entityTag(text))(info);
      },
      ...docsRoutes({ openapiPath: '/openapi.json', graphqlPath: options.graphqlPath ?? '/graphql', title: openapi.info.title }),
    },
  };
}

function send(res: ServerResponse, response: StoredResponse, headOnly: boolean) {
  const body = response.status === 304 ? '' : response.body;
  res.writeHead(response.status, { ...response.headers, ...(response.status === 304 ? {} : { 'content-length': Buffer.byteLength(body) }) });
  res.end(headOnly || response.status === 304 ? undefined : body);
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  let raw: string;
  try {
    raw = await readBody(req, MAX_GRAPHQL_BODY_BYTES);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) throw new ProblemError(problem(413, 'content-too-large', error.message));
    throw error;
  }
  if (raw.trim() === '') return undefined;
  const contentType = header(req, 'content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType)) {
    throw new ProblemError(problem(415, 'unsupported-media-type', `send the body as application/json (got ${contentType || 'no content type'})`));
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ProblemError(
      problem(400, 'invalid-body', `the body is not valid JSON: ${(error as Error).message}`, { errors: [{ in: 'body', detail: 'is not valid JSON' }] }),
    );
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The manifest and the OpenAPI document must come from the same build. */
function assertDocumentsAgree(manifest: PersistedOperationsManifest, openapi: OpenApiDocument) {
  if (!openapi || typeof openapi !== 'object' || !openapi.paths || !openapi.info) throw new Error('createRestFacade: openapi is not an OpenAPI document');
  for (const operation of Object.values(manifest.operations)) {
    const documented = openapi.paths[operation.http.path]?.[operation.http.method.toLowerCase()];
    if (documented?.operationId !== operation.name) {
      throw new Error(
        `createRestFacade: ${operation.http.method} ${operation.http.path} (${operation.name}) is not in the OpenAPI document; rebuild both with \`pnpm rest:build\``,
      );
    }
  }
}
