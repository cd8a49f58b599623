import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';

type GatewayGraphQLResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;
import { Agent, type Dispatcher } from 'undici';
import { REQUEST_WROTE_HEADER } from '@ipay/platform';
import type { SubgraphCircuits } from './resilience.ts';

// @apollo/gateway is CommonJS and keeps a GraphQLError as it is only when it is of its own graphql realm.
const { GraphQLError: GatewayGraphQLError } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

/**
 * One keep-alive connection pool per subgraph origin for the whole process. The pool's own header/body timeouts
 * bound a call: no AbortSignal (and its timer) per call, as fetch needed.
 */
export function subgraphAgent(): Dispatcher {
  return new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 60_000, connections: 256 });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same constraint as Apollo's GraphQLDataSource<TContext>
export interface SubgraphDataSourceOptions<TContext extends Record<string, any>> {
  name: string;
  url: string;
  agent: Dispatcher;
  circuits: SubgraphCircuits;
  timeoutMs: number;
  /** Headers this call adds (request id, internal token, …), computed once per incoming request by the caller. */
  headers(options: GraphQLDataSourceProcessOptions<TContext>): Record<string, string>;
  /**
   * What makes this call's answer the same as another's, or undefined when it must go alone. Identical calls in flight
   * at once share one subgraph request; the key must hold everything the subgraph answers from (the caller's principal
   * and mode, every header that reaches it): two callers never share a result.
   */
  sharingKey?(options: GraphQLDataSourceProcessOptions<TContext>, body: string): string | undefined;
}

interface SubgraphReply {
  status: number;
  contentType: string | undefined;
  text: string;
  /** The subgraph wrote something for this request (REQUEST_WROTE_HEADER): its reply is its own, never shared. */
  wrote: boolean;
}

const QUERY_DOCUMENT = /^\s*(\{|query\b)/;

/**
 * A subgraph data source on undici's dispatcher: the body is sent and read as a string, nothing is built that is
 * thrown away (RemoteGraphQLDataSource built a node-fetch Headers and Request per call). Errors are the ones
 * RemoteGraphQLDataSource produced (`<status>: <text>` with extensions.response), so clients see no difference.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same constraint as Apollo's GraphQLDataSource<TContext>
export class SubgraphDataSource<TContext extends Record<string, any>> implements GraphQLDataSource<TContext> {
  private readonly origin: string;
  private readonly path: string;
  /** Replies in flight by sharing key: the raw text, so each caller parses its own objects (the gateway mutates them). */
  private readonly inFlight = new Map<string, Promise<SubgraphReply>>();

  constructor(private readonly options: SubgraphDataSourceOptions<TContext>) {
    const url = new URL(options.url);
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
  }

  async process(processOptions: GraphQLDataSourceProcessOptions<TContext>): Promise<GatewayGraphQLResponse> {
    const { request } = processOptions;
    if (!request.query) throw new Error('Missing query');
    const headers: Record<string, string> = {};
    const incoming = request.http?.headers;
    if (incoming) for (const [name, value] of incoming) headers[name] = value;
    headers['content-type'] = 'application/json';
    Object.assign(headers, this.options.headers(processOptions));
    const { http: _http, ...payload } = request;
    const body = JSON.stringify(payload);
    const isQuery = QUERY_DOCUMENT.test(request.query);
    const key = isQuery ? this.options.sharingKey?.(processOptions, body) : undefined;
    let reply: SubgraphReply;
    if (key === undefined) reply = await this.send(headers, body, isQuery);
    else {
      const shared = this.inFlight.get(key);
      if (shared) {
        reply = await shared;
        // A read with a side effect (an audited reveal): this request gets its own, with its own effect.
        if (reply.wrote) reply = await this.send(headers, body, isQuery);
      } else {
        const own = this.send(headers, body, isQuery);
        this.inFlight.set(key, own);
        const forget = () => void this.inFlight.delete(key);
        own.then(forget, forget);
        reply = await own;
      }
    }
    return this.toResponse(reply);
  }

  private send(headers: Record<string, string>, body: string, isQuery: boolean): Promise<SubgraphReply> {
    const { name, timeoutMs, circuits, agent } = this.options;
    return circuits.call(name, timeoutMs, isQuery, async (): Promise<SubgraphReply> => {
      const response = await agent.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const contentType = response.headers['content-type'];
      const text = await response.body.text();
      return {
        status: response.statusCode,
        contentType: Array.isArray(contentType) ? contentType[0] : contentType,
        text,
        wrote: response.headers[REQUEST_WROTE_HEADER] !== undefined,
      };
    });
  }

  private toResponse(reply: SubgraphReply): GatewayGraphQLResponse {
    const parsed = parseBody(reply);
    if (reply.status < 200 || reply.status > 299) {
      const statusText = STATUS_CODES[reply.status] ?? '';
      const extensions: Record<string, unknown> = { response: { url: this.options.url, status: reply.status, statusText, body: parsed } };
      if (reply.status === 401) extensions.code = 'UNAUTHENTICATED';
      else if (reply.status === 403) extensions.code = 'FORBIDDEN';
      throw new GatewayGraphQLError(`${reply.status}: ${statusText}`, { extensions });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`Expected JSON response body, but received: ${parsed}`);
    return parsed as GatewayGraphQLResponse;
  }
}

function parseBody(reply: SubgraphReply): unknown {
  const type = reply.contentType;
  if (type && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'))) return JSON.parse(reply.text);
  return reply.text;
}
