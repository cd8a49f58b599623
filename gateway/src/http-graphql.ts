import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import { getOperationAST, Kind, type DocumentNode, type FieldNode } from 'graphql';
import type { RequestInfo, RouteHandler } from '@ipay/platform';
import { OperationRefused, type CheckedDocument, type GuardRequest, type OperationGuard } from './limits.ts';

/** 2 MB: every GraphQL request but a bulk import is far smaller. `MAX_GRAPHQL_BODY_BYTES` moves it. */
export const DEFAULT_GRAPHQL_BODY_BYTES = 2 * 1024 * 1024;
/** The bulk route (`/graphql/bulk`: importOrders, importTariffs): 10,000 orders as JSON fit. `MAX_BULK_BODY_BYTES` moves it. */
export const DEFAULT_BULK_BODY_BYTES = 16 * 1024 * 1024;
/** Bytes of request bodies the gateway holds at once, over all requests; beyond it a request waits its turn as 503. */
export const DEFAULT_BODY_MEMORY_BYTES = 64 * 1024 * 1024;
/** Root fields the bulk route serves (and the only ones that may send bodies above the normal cap). */
export const BULK_ROOT_FIELDS = new Set(['importOrders', 'importTariffs']);

/** A budget of bytes shared by all requests being read, so concurrent large bodies cannot exhaust memory. */
export class BodyMemoryBudget {
  private used = 0;
  constructor(readonly capacity: number) {}
  reserve(bytes: number): (() => void) | null {
    if (this.used + bytes > this.capacity) return null;
    this.used += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= bytes;
    };
  }
  get inUse() {
    return this.used;
  }
}

export interface GraphQLEndpointOptions<TContext extends object> {
  apollo: ApolloServer<TContext>;
  guard: OperationGuard;
  maxBodyBytes: number;
  memory: BodyMemoryBudget;
  /** Only these root fields (the bulk route); otherwise bulk mutations are refused here with a pointer to /graphql/bulk. */
  bulk?: boolean;
  /** Runs after the document passed the guard, before Apollo (rate limits that depend on the operation). */
  beforeExecute?(info: RequestInfo, checked: CheckedDocument, rootFields: string[]): Promise<void> | void;
  context(info: RequestInfo): Promise<TContext>;
}

/** Writes a GraphQL error response the way Apollo does, with the request id. */
export function sendGraphQLError(res: ServerResponse, requestId: string, refused: OperationRefused, headers: Record<string, string> = {}) {
  const text = JSON.stringify({ errors: [{ message: refused.message, extensions: { code: refused.code, ...refused.extensions, requestId } }] });
  res.writeHead(refused.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Reads a body up to `limit` bytes: a declared Content-Length above it is refused before a byte is read. */
async function readCapped(req: IncomingMessage, limit: number, memory: BodyMemoryBudget): Promise<string> {
  const declared = req.headers['content-length'];
  const length = declared === undefined ? undefined : Number(declared);
  if (length !== undefined && (!Number.isSafeInteger(length) || length < 0))
    throw new OperationRefused(400, 'BAD_REQUEST', 'Content-Length is not a valid length');
  if (length !== undefined && length > limit) throw new OperationRefused(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { maxBytes: limit });
  // Without a length (chunked), the whole cap is reserved: the budget bounds what may arrive.
  const release = memory.reserve(length ?? limit);
  if (!release) throw new OperationRefused(503, 'SERVER_BUSY', 'the gateway is reading too many large requests; retry shortly', { retryAfterSeconds: 1 });
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw new OperationRefused(413, 'PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { maxBytes: limit });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    release();
  }
}

function parseJsonParam(name: string, raw: string | null): unknown {
  if (raw === null || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new OperationRefused(400, 'BAD_REQUEST', `the ${name} parameter is not valid JSON`);
  }
}

/** The root field names of the operation that will run (fragments at the root followed). */
function rootFieldsOf(document: DocumentNode, operationName: string | undefined): { operation: string; fields: string[] } {
  const operation = getOperationAST(document, operationName);
  if (!operation)
    throw new OperationRefused(400, 'BAD_REQUEST', operationName ? `no operation named ${operationName}` : 'the document must name the operation to run');
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const fields: string[] = [];
  const seen = new Set<string>();
  const walk = (selections: readonly (FieldNode | { kind: string })[]) => {
    for (const selection of selections as never[]) {
      const node = selection as { kind: string; name?: { value: string }; selectionSet?: { selections: never[] } };
      if (node.kind === Kind.FIELD) fields.push(node.name!.value);
      else if (node.kind === Kind.INLINE_FRAGMENT) walk(node.selectionSet!.selections);
      else if (node.kind === Kind.FRAGMENT_SPREAD && !seen.has(node.name!.value)) {
        seen.add(node.name!.value);
        const fragment = fragments.get(node.name!.value);
        if (fragment) walk(fragment.selectionSet.selections);
      }
    }
  };
  walk(operation.selectionSet.selections);
  return { operation: operation.operation, fields };
}

/**
 * The gateway's GraphQL over HTTP endpoint. Everything that can refuse a request cheaply does so before Apollo
 * and before any subgraph: method, content type, body size (declared and actual), JSON shape (no batches), the
 * operation guard (persisted ids, tokens, persisted-only, depth, aliases, directives, cost, root fields), GET for
 * queries only, and the bulk route split.
 */
export function graphqlEndpoint<TContext extends object>(options: GraphQLEndpointOptions<TContext>): RouteHandler {
  return async (info) => {
    const { req, res, requestId } = info;
    try {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://localhost');
      let request: GuardRequest;
      if (method === 'GET' && !options.bulk) {
        request = {
          query: url.searchParams.get('query') ?? undefined,
          operationName: url.searchParams.get('operationName') ?? undefined,
          variables: parseJsonParam('variables', url.searchParams.get('variables')),
          extensions: parseJsonParam('extensions', url.searchParams.get('extensions')),
        };
      } else if (method === 'POST') {
        const contentType = (req.headers['content-type'] ?? '').toLowerCase();
        if (!/^application\/(json|graphql-response\+json)\s*(;|$)/.test(contentType)) {
          throw new OperationRefused(415, 'UNSUPPORTED_MEDIA_TYPE', 'send GraphQL requests as application/json');
        }
        const raw = await readCapped(req, options.maxBodyBytes, options.memory);
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          throw new OperationRefused(400, 'BAD_REQUEST', 'request body is not valid JSON');
        }
        if (Array.isArray(body)) throw new OperationRefused(400, 'BATCHING_NOT_SUPPORTED', 'batched requests are not accepted; send one operation per request');
        if (!body || typeof body !== 'object') throw new OperationRefused(400, 'BAD_REQUEST', 'the request body must be a JSON object');
        request = body as GuardRequest;
      } else {
        throw new OperationRefused(405, 'METHOD_NOT_ALLOWED', `${method} is not supported here; use POST${options.bulk ? '' : ' or GET'}`, {});
      }
      if (request.operationName !== undefined && request.operationName !== null && typeof request.operationName !== 'string') {
        throw new OperationRefused(400, 'BAD_REQUEST', 'operationName must be a string');
      }
      if (request.variables !== undefined && request.variables !== null && (typeof request.variables !== 'object' || Array.isArray(request.variables))) {
        throw new OperationRefused(400, 'BAD_REQUEST', 'variables must be a JSON object');
      }
      const checked = options.guard.check(request);
      const { operation, fields } = rootFieldsOf(checked.document, (request.operationName as string | undefined) ?? undefined);
      if (method === 'GET' && operation !== 'query') {
        throw new OperationRefused(405, 'METHOD_NOT_ALLOWED', `GET runs queries only, not ${operation}s; use POST`);
      }
      if (operation === 'subscription') throw new OperationRefused(400, 'BAD_REQUEST', 'subscriptions are served over WebSocket (graphql-ws) on /graphql');
      const bulkFields = fields.filter((field) => BULK_ROOT_FIELDS.has(field));
      if (options.bulk && (bulkFields.length !== 1 || fields.length !== 1)) {
        throw new OperationRefused(400, 'BAD_REQUEST', `/graphql/bulk runs exactly one of ${[...BULK_ROOT_FIELDS].join(', ')}`);
      }
      await options.beforeExecute?.(info, checked, fields);

      const headers = new HeaderMap();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      headers.set('content-type', 'application/json');
      // The guard resolved any persisted id to its text; Apollo runs the text (it keeps no persisted-query cache).
      const { persistedQuery: _persisted, ...extensions } = (request.extensions ?? {}) as Record<string, unknown>;
      const body: Record<string, unknown> = { query: checked.source, extensions };
      if (typeof request.operationName === 'string') body.operationName = request.operationName;
      if (request.variables) body.variables = request.variables;
      const httpGraphQLRequest: HTTPGraphQLRequest = { method: 'POST', headers, search: '', body };
      const response = await options.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => options.context(info) });
      for (const [name, value] of response.headers) res.setHeader(name, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (!(error instanceof OperationRefused)) throw error;
      const headers: Record<string, string> = {};
      if (error.status === 405) headers.allow = options.bulk ? 'POST' : 'GET, POST';
      if (typeof error.extensions.retryAfterSeconds === 'number') headers['retry-after'] = String(error.extensions.retryAfterSeconds);
      Object.assign(headers, error.headers);
      info.logger.info({ code: error.code, status: error.status }, 'graphql request refused');
      sendGraphQLError(res, requestId, error, headers);
    }
  };
}
