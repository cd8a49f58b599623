import type { ErrorCode } from '@ipay/platform';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type Request as SseRequest } from 'graphql-sse';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Logger, RouteHandler } from '@ipay/platform';
import type { Authenticator } from './auth.ts';
import { EVENT_ID, type ConnectionState, type SubscriptionEngine } from './subscriptions.ts';

/**
 * GraphQL over Server-Sent Events (the graphql-sse protocol, distinct connections mode) beside graphql-ws: the same
 * federated subscriptions from the same SubscriptionEngine, the same `Authorization: Bearer …` credentials, scopes,
 * filters and limits. Every `next` message carries the bus event id as its SSE `id:`, so a client that reconnects
 * with `Last-Event-ID` (what EventSource does by itself) resumes right after the last event it saw, with no gap.
 *
 *   curl -N http://localhost:4000/graphql/stream -H 'authorization: Bearer ipk_test_…' \
 *     --data-urlencode 'query=subscription { events { eventId type } }' -G
 */
export const SSE_PATH = '/graphql/stream';

interface RequestState {
  state: ConnectionState;
  /** Event ids of results handed to graphql-sse, in order, waiting for their message to be written. */
  ids: string[];
  backlog: number;
}

const errorBody = (status: number, code: ErrorCode, message: string): [string, { status: number; statusText: string; headers: Record<string, string> }] => [
  JSON.stringify({ errors: [{ message, extensions: { code } }] }),
  { status, statusText: code, headers: { 'content-type': 'application/json; charset=utf-8' } },
];

export function sseRoute(engine: SubscriptionEngine, authenticator: Authenticator, logger: Logger): RouteHandler {
  const requests = new WeakMap<IncomingMessage, RequestState>();
  const limits = engine.limits;
  const handler = createHandler<IncomingMessage, { res: ServerResponse; requestId: string }, { state: ConnectionState }>({
    schema: engine.apiSchemaJs,
    // null: never the "single connection mode" (its reservations carry no credentials); every stream is one operation.
    authenticate: () => null,
    onConnect: async (req) => {
      const raw = req.raw;
      const authorization = raw.headers.authorization;
      if (!authorization) return errorBody(401, 'UNAUTHENTICATED', 'send Authorization: Bearer <API key or access token>');
      try {
        const principal = await authenticator.authenticate(authorization, req.context.requestId);
        if (!principal) return errorBody(401, 'UNAUTHENTICATED', 'credential refused');
        const lastEventId = raw.headers['last-event-id'];
        const state: ConnectionState = { principal, sourceIp: raw.socket.remoteAddress ?? null, active: new Set(['sse']) };
        if (typeof lastEventId === 'string' && lastEventId.trim()) state.resumeAfter = lastEventId.trim();
        requests.set(raw, { state, ids: [], backlog: 0 });
        return undefined;
      } catch (error) {
        const code = (error instanceof GraphQLError ? String(error.extensions.code ?? 'UNAUTHENTICATED') : 'INTERNAL_SERVER_ERROR') as ErrorCode;
        const status = error instanceof GraphQLError ? Number((error.extensions.http as { status?: number } | undefined)?.status ?? 401) : 500;
        return errorBody(status, code, (error as Error).message);
      }
    },
    context: (req) => ({ state: requests.get(req.raw)!.state }),
    subscribe: (args) => engine.subscribe(args) as never,
    execute: () => ({
      errors: [new GraphQLError('only subscriptions are served over SSE; send queries and mutations to /graphql', { extensions: { code: 'BAD_REQUEST' } })],
    }),
    onNext: (_ctx, req, result) => {
      const entry = requests.get(req.raw);
      if (!entry) return;
      entry.ids.push((result as ExecutionResult & { [EVENT_ID]?: string })[EVENT_ID] ?? '');
      // graphql-sse queues messages without bound; a client that does not read ends only its own stream.
      if (++entry.backlog > limits.maxQueuedEvents) {
        logger.warn({ requestId: req.context.requestId }, 'SSE subscriber too slow: stream closed');
        req.context.res.destroy();
      }
    },
  });

  return async ({ req, res, requestId }) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, POST' });
      res.end();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limits.maxPayloadBytes) {
      const [body, init] = errorBody(413, 'PAYLOAD_TOO_LARGE', `request body over ${limits.maxPayloadBytes} bytes`);
      res.writeHead(init.status, init.headers).end(body);
      return;
    }
    const request: SseRequest<IncomingMessage, { res: ServerResponse; requestId: string }> = {
      method: req.method,
      url: req.url ?? '/',
      headers: {
        // This path is only an event stream: `curl -N` without an Accept header gets one too.
        get: (key) => (key.toLowerCase() === 'accept' ? 'text/event-stream' : [req.headers[key.toLowerCase()]].flat().join('\n') || undefined),
      },
      body: () => readBody(req, limits.maxPayloadBytes),
      raw: req,
      context: { res, requestId },
    };
    const [body, init] = await handler(request);
    res.writeHead(init.status, init.statusText, init.headers);
    if (!body || typeof body === 'string') {
      res.end(body);
      return;
    }
    const entry = requests.get(req);
    res.once('close', () => void body.return?.(undefined));
    for await (const message of body) {
      let text = message;
      if (entry && message.startsWith('event: next')) {
        entry.backlog--;
        const id = entry.ids.shift();
        if (id) text = `id: ${id}\n${message}`;
      }
      if (!res.writable) break;
      if (!res.write(text)) await new Promise<void>((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }
    res.end();
  };
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > max) {
        req.destroy();
        reject(new Error('request body too large'));
      }
    });
    req.once('error', reject);
    req.once('end', () => resolve(body));
  });
}
