import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { GraphQLError } from 'graphql';
import { INTERNAL_TOKEN_HEADER, REQUEST_ID_HEADER, signInternalToken, type Principal, type RequestInfo, type RouteHandler } from '@ipay/platform';
import { problemOfCode } from './rest/graphql-result.ts';
import { problem, sendProblem } from './rest/problems.ts';

/**
 * Streamed downloads: a route that is not a persisted GraphQL operation, because its answer is a file of any size,
 * not JSON. The gateway authenticates the caller exactly as for /graphql, signs the internal token with that principal
 * (subgraphs only answer the gateway) and passes the subgraph's stream through chunk by chunk, with backpressure: a
 * slow client slows the subgraph's database reads, a client that leaves stops them. Documented in the OpenAPI
 * document by scripts/rest/lib/downloads.ts.
 */
export const DOWNLOAD_ROUTES = {
  /** Finance's settlement and period exports (CSV, DATEV); the token comes from `exportDownload` / `settlementPeriodExportDownload`. */
  '/v1/downloads/settlement-exports/': { subgraph: 'finance', internalPath: '/internal/settlement-exports/' },
} as const;

/** Headers of the subgraph's answer the client gets. */
const PASSED_HEADERS = ['content-type', 'content-disposition', 'cache-control', 'x-content-type-options'];

export interface DownloadRouteOptions {
  /** The subgraph's GraphQL URL (its origin serves the internal route). */
  subgraphUrl: string;
  internalPath: string;
  publicPath: string;
  secret: string;
  /** How long the subgraph may take to start answering (the stream itself may take longer). */
  timeoutMs: number;
  authenticate(info: RequestInfo): Promise<{ principal: Principal | null; sourceIp: string | null }>;
}

export function downloadRoute(options: DownloadRouteOptions): RouteHandler {
  return async (info) => {
    const { req, res, requestId } = info;
    const headOnly = req.method === 'HEAD';
    const refuse = (p: ReturnType<typeof problem>, headers: Record<string, string> = {}) =>
      sendProblem(res, { ...p, instance: options.publicPath, requestId }, headers, headOnly);
    if (req.method !== 'GET' && !headOnly)
      return refuse(problem(405, 'method-not-allowed', 'GET the download', { code: 'METHOD_NOT_ALLOWED' }), { allow: 'GET, HEAD' });

    let caller: { principal: Principal | null; sourceIp: string | null };
    try {
      caller = await options.authenticate(info);
    } catch (error) {
      if (error instanceof GraphQLError) return refuse(problemOfCode(error.extensions?.code as string | undefined, error.message));
      throw error;
    }
    if (!caller.principal)
      return refuse(problemOfCode('UNAUTHENTICATED', 'a bearer token is required: send the Authorization header you asked for the link with'));

    const token = new URL(req.url ?? '/', 'http://localhost').pathname.slice(options.publicPath.length);
    const abort = new AbortController();
    // A client that leaves stops the subgraph's stream (and its database reads).
    res.once('close', () => abort.abort());
    const startTimer = setTimeout(() => abort.abort(new Error('the subgraph did not start answering in time')), options.timeoutMs);
    let upstream: Response;
    try {
      upstream = await fetch(new URL(`${options.internalPath}${token}`, options.subgraphUrl), {
        method: req.method,
        headers: {
          [REQUEST_ID_HEADER]: requestId,
          [INTERNAL_TOKEN_HEADER]: await signInternalToken(options.secret, { requestId, principal: caller.principal, sourceIp: caller.sourceIp }),
        },
        signal: abort.signal,
      });
    } catch (error) {
      clearTimeout(startTimer);
      if (res.destroyed) return;
      info.logger.warn({ err: error }, 'download: the subgraph could not be reached');
      return refuse(abort.signal.aborted ? problemOfCode('GATEWAY_TIMEOUT', 'timeout') : problemOfCode('SERVICE_UNAVAILABLE', 'unavailable'), {
        'retry-after': '5',
      });
    } finally {
      clearTimeout(startTimer);
    }

    if (!upstream.ok) {
      const body = (await upstream.json().catch(() => null)) as { errors?: { message?: string; extensions?: { code?: string; reason?: string } }[] } | null;
      const error = body?.errors?.[0];
      // The caller was authenticated here, so a 401 is the subgraph refusing the gateway's own token: the gateway's problem.
      const code = error?.extensions?.code;
      if (!code || upstream.status === 401) return refuse(problemOfCode('BAD_GATEWAY', 'upstream'));
      return refuse(problemOfCode(code, error.message ?? 'refused'));
    }
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = upstream.headers.get(name);
      if (value) headers[name] = value;
    }
    res.writeHead(200, headers);
    if (headOnly || !upstream.body) return void res.end();
    try {
      await pipeline(Readable.fromWeb(upstream.body as unknown as WebReadableStream<Uint8Array>), res);
    } catch (error) {
      if (res.destroyed && !res.writableFinished && (abort.signal.aborted || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')) {
        info.logger.info('download abandoned by the client');
        return;
      }
      // The subgraph cut its stream (it failed midway): the client's response is cut too, never completed.
      info.logger.error({ err: error }, 'download failed midway; the response is cut');
      res.destroy(error as Error);
    }
  };
}
