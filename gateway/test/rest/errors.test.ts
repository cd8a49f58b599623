import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, createHttpServer, createLogger, listen } from '@ipay/platform';
import { PGlite } from '@electric-sql/pglite';
import {
  DrizzleIdempotencyStore,
  createRestFacade,
  openGatewayDatabase,
  readRestArtifacts,
  type ExecuteResult,
  type PersistedOperationsManifest,
} from '../../src/rest/index.ts';
import { ResponseValidator } from './support.ts';

/**
 * How GraphQL results map to HTTP, for results the running sandbox cannot produce on demand (auth is not in
 * the gateway yet, nothing is rate limited, no subgraph times out). Each result below has the shape
 * @apollo/server and @apollo/gateway give it; the end-to-end suite covers the ones the sandbox can produce.
 */
const { manifest, openapi } = readRestArtifacts();
const validator = new ResponseValidator(openapi);
const ORDER = '/v1/orders/ord_1';

describe('GraphQL results → REST status codes and problem details', () => {
  const servers: Server[] = [];
  let baseUrl: string;
  // POST operations exist, so the facade needs its idempotency store even where only GETs are exercised.
  const pglite = new PGlite();
  let store: DrizzleIdempotencyStore;
  let next: (() => Promise<ExecuteResult>) | undefined;

  /** The facade on a server of its own, running whatever result the test scripts next. */
  async function serve(documents: { manifest: PersistedOperationsManifest; openapi: Record<string, unknown> }): Promise<string> {
    const logger = createLogger('rest-errors-test');
    const facade = createRestFacade({ ...documents, logger, idempotencyStore: store, execute: () => next!() });
    const server = createHttpServer(logger, facade.routes);
    servers.push(server);
    return `http://127.0.0.1:${await listen(server, 0, 'rest facade', 'REST_TEST_PORT', '127.0.0.1')}`;
  }

  beforeAll(async () => {
    store = new DrizzleIdempotencyStore((await openGatewayDatabase({ kind: 'pglite', client: pglite })).db);
    baseUrl = await serve({ manifest, openapi });
  });
  afterAll(async () => {
    await Promise.all(servers.map(closeServer));
    await pglite.close();
  });

  async function get(result: () => Promise<ExecuteResult>) {
    next = result;
    const response = await fetch(`${baseUrl}${ORDER}`);
    const body = (await response.json()) as Record<string, any>;
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(validator.errors('/v1/orders/{id}', 'GET', response.status, 'application/problem+json', body)).toEqual([]);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
  }
  const graphql = (status: number, body: unknown, headers?: Record<string, string>) => async (): Promise<ExecuteResult> => ({
    status,
    body: body as never,
    ...(headers ? { headers } : {}),
  });
  const error = (message: string, extensions: Record<string, unknown>, data: unknown = { order: null }) => ({
    data,
    errors: [{ message, path: ['order'], extensions }],
  });

  it.each([
    ['UNAUTHENTICATED', 401, 'unauthenticated'],
    ['FORBIDDEN', 403, 'forbidden'],
    ['NOT_FOUND', 404, 'not-found'],
    ['BAD_USER_INPUT', 422, 'invalid-input'],
  ])('%s → %i', async (code, status, kind) => {
    const { body } = await get(graphql(200, error('the message for people', { code })));
    expect(body).toMatchObject({ status, type: `urn:ipay:problem:${kind}`, code, detail: 'the message for people', instance: ORDER });
  });

  it('RATE_LIMITED → 429 with Retry-After from the error, else from the response header', async () => {
    const fromError = await get(graphql(200, error('slow down', { code: 'RATE_LIMITED', retryAfter: 30 })));
    expect(fromError.status).toBe(429);
    expect(fromError.retryAfter).toBe('30');
    const fromHeader = await get(graphql(429, error('slow down', { code: 'RATE_LIMITED' }, undefined), { 'Retry-After': '12' }));
    expect(fromHeader.retryAfter).toBe('12');
  });

  it('a request-level error without data (e.g. an expired token) keeps its meaning', async () => {
    const { status, body } = await get(graphql(401, { errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] }));
    expect(status).toBe(401);
    expect(body.detail).toBe('token expired');
  });

  it('GraphQL variable coercion errors → 422 naming the variable', async () => {
    const { status, body } = await get(
      graphql(400, { errors: [{ message: 'Variable "$id" got invalid value 5; ID cannot represent value: 5', extensions: { code: 'BAD_USER_INPUT' } }] }),
    );
    expect(status).toBe(422);
    expect(body.errors).toEqual([{ field: 'id', in: 'path', detail: 'Variable "$id" got invalid value 5; ID cannot represent value: 5' }]);
  });

  it('GRAPHQL_VALIDATION_FAILED → 422', async () => {
    const { status, body } = await get(
      graphql(400, { errors: [{ message: 'Cannot query field "colour" on type "Order".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }),
    );
    expect(status).toBe(422);
    expect(body.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('the most decisive error wins when there are several', async () => {
    const { status } = await get(
      graphql(200, {
        data: { order: null },
        errors: [
          { message: 'nope', extensions: { code: 'NOT_FOUND' } },
          { message: 'who are you', extensions: { code: 'UNAUTHENTICATED' } },
        ],
      }),
    );
    expect(status).toBe(401);
  });

  it('a subgraph the gateway cannot reach → 503 with Retry-After; one that times out → 504', async () => {
    const down = await get(graphql(200, error('fetch failed', { code: 'INTERNAL_SERVER_ERROR' })));
    expect(down).toMatchObject({ status: 503, retryAfter: '5', body: { type: 'urn:ipay:problem:upstream-unavailable' } });
    const slow = await get(graphql(200, error('The operation was aborted due to timeout', { code: 'INTERNAL_SERVER_ERROR' })));
    expect(slow.status).toBe(504);
  });

  it("a subgraph refusing the caller (HTTP 401/403 from its resolvers) keeps the subgraph's code and message", async () => {
    const refused = (status: number, statusText: string, inner: unknown[]) =>
      error(`${status}: ${statusText}`, {
        code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
        response: { url: 'http://commerce/graphql', status, statusText, body: { errors: inner } },
      });
    const forbidden = await get(
      graphql(200, refused(403, 'Forbidden', [{ message: 'missing permission orders:read', path: ['order'], extensions: { code: 'FORBIDDEN' } }])),
    );
    expect(forbidden).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', detail: 'missing permission orders:read' } });
    // Refusing the request as a whole (no path) is the gateway's own credential failing: not the caller's fault.
    const internal = await get(
      graphql(200, refused(401, 'Unauthorized', [{ message: 'requests must come through the gateway', extensions: { code: 'UNAUTHENTICATED' } }])),
    );
    expect(internal.status).toBe(502);
    expect(internal.body.code).toBeUndefined();
    const html = await get(
      graphql(
        200,
        error('500: Internal Server Error', { response: { url: 'http://commerce/graphql', status: 500, statusText: 'Internal Server Error', body: '<html>' } }),
      ),
    );
    expect(html.status).toBe(502);
  });

  it('an unexpected error → 500 without its message (which may hold internals)', async () => {
    const { status, body } = await get(graphql(200, error('relation "commerce.orders" does not exist', { code: 'INTERNAL_SERVER_ERROR' })));
    expect(status).toBe(500);
    expect(body.detail).toBe('an unexpected error occurred');
    expect(body.requestId).toMatch(/\S/);
  });

  it('a response that is not GraphQL → 502; execute failing → 500', async () => {
    expect((await get(graphql(502, '<html>Bad Gateway</html>'))).status).toBe(502);
    expect((await get(async () => Promise.reject(new Error('apollo stopped')))).status).toBe(500);
  });

  it('data where a non-null field should be is a broken upstream, not a 404', async () => {
    next = graphql(200, { data: { carriers: null } });
    const response = await fetch(`${baseUrl}/v1/carriers`);
    expect(response.status).toBe(502);
  });
});
