import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest } from '@apollo/server';
import type { Logger } from './logger.ts';
import { REQUEST_ID_HEADER, type InternalClaims } from './internal-token.ts';
import { developmentSecrets } from './config.ts';
import { requestScope } from './masking.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/** GraphQL bodies may carry a bulk import (10,000 orders as CSV is ~1.6 MB); MAX_GRAPHQL_BODY_BYTES moves the cap. */
export const MAX_GRAPHQL_BODY_BYTES = Number(process.env.MAX_GRAPHQL_BODY_BYTES ?? 16 * 1024 * 1024);

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request id from the caller if it is sane, otherwise a fresh one; it follows the request into every log line. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  if (typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given)) return given;
  return randomUUID();
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  // A declared length above the cap is refused before a byte is read.
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export interface RequestInfo {
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  logger: Logger;
  /** On a subgraph's `/internal/` routes: the gateway's verified claims (the caller it authenticated). */
  internal?: InternalClaims;
}

export type RouteHandler = (info: RequestInfo) => Promise<void> | void;

/** Runs an Apollo Server request from a Node request, the way Apollo's own integrations do. */
export async function executeGraphQL<TContext extends BaseContext>(
  apollo: ApolloServer<TContext>,
  info: RequestInfo,
  context: () => Promise<TContext>,
): Promise<void> {
  const { req, res } = info;
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: unknown;
  if (req.method === 'POST') {
    const raw = await readBody(req, MAX_GRAPHQL_BODY_BYTES);
    const contentType = headers.get('content-type') ?? '';
    if (raw && contentType.includes('json')) {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HttpError(400, 'request body is not valid JSON');
      }
    } else body = raw;
  }
  const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search: url.search, body };
  const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * A plain Node HTTP server with a route table, request ids and access logs. Routes are exact paths, or
 * prefixes ending in `/*` (e.g. `/v1/*`), tried longest first.
 */
export function createHttpServer(logger: Logger, routes: Record<string, RouteHandler>): Server {
  const prefixes = Object.keys(routes)
    .filter((path) => path.endsWith('/*'))
    .map((path) => [path.slice(0, -1), routes[path]!] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const findRoute = (path: string) => routes[path] ?? prefixes.find(([prefix]) => path.startsWith(prefix))?.[1];
  return createServer(async (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const started = performance.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = findRoute(path);
    // The request's child logger only when something logs: most requests log nothing, and pino's child() is not free.
    let requestLogger: Logger | undefined;
    const info: RequestInfo = {
      req,
      res,
      requestId,
      get logger() {
        return (requestLogger ??= logger.child({ requestId }));
      },
    };
    try {
      if (!route) throw new HttpError(404, `no route for ${path}`);
      await requestScope.run({ requestId }, () => route(info));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) info.logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendJson(res, status, { error: status === 500 ? 'internal error' : (error as Error).message, requestId });
      else res.end();
    } finally {
      if (logger.isLevelEnabled('debug')) {
        info.logger.debug({ method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
      }
    }
  });
}

/** Listens, turning a taken port into a message that says which env var moves it. */
export function listen(server: Server, port: number, service: string, portEnvVar: string, host?: string): Promise<number> {
  // A process holding a development secret never listens beyond loopback (the secret is published in this repo).
  const devSecrets = developmentSecrets();
  if (devSecrets.length) {
    if (host === undefined || host === '') host = '127.0.0.1';
    else if (!isLoopback(host)) {
      return Promise.reject(
        new Error(`${service}: refusing to listen on ${host} with development secrets (${devSecrets.join(', ')}); set them, or listen on 127.0.0.1`),
      );
    }
  }
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`${service}: port ${port} is already in use. Stop whatever holds it or set ${portEnvVar} to another port.`));
      } else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
