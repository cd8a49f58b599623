/**
 * One competitor of the gateway benchmarks, in a process of its own (forked by scripts/bench/gateway.ts):
 *   ours              our gateway (createGateway), rate limits and operation limits out of the way
 *   ours-noshare      the same with in-flight sharing of identical subgraph fetches off (GATEWAY_SHARE_INFLIGHT=false):
 *                     the load is one principal repeating one query, which sharing folds; this row shows the rest
 *   apollo            plain @apollo/gateway + @apollo/server, defaults; its data source only adds the internal token
 *   hive / hive-nodedup  Hive Gateway (@graphql-hive/gateway-runtime) with the same token hook, upstream dedup on / off
 *   replayer          the subgraph hop alone: replays the subgraph requests a gateway made for each scenario (same
 *                     stages, same bodies, a fresh token per request) and answers the recorded response
 * Env: BENCH_SUPERGRAPH (SDL), BENCH_URLS (subgraph name → URL, optional), BENCH_PRINCIPAL (JSON, optional),
 * BENCH_BODIES (JSON list of request bodies, replayer only).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { INTERNAL_TOKEN_HEADER, createLogger, internalTokenSecret, signInternalToken, signInternalTokenSync, type Principal } from '@ipay/platform';
import { createGateway } from '@ipay/gateway';
import { Agent } from 'undici';
import { serveStats } from './gateway-lib.ts';

const kind = process.argv[2]!;
const supergraphSdl = process.env.BENCH_SUPERGRAPH!;
const urls = JSON.parse(process.env.BENCH_URLS ?? '{}') as Record<string, string>;
const principal = JSON.parse(process.env.BENCH_PRINCIPAL ?? 'null') as Principal | null;
const secret = internalTokenSecret();
const UNLIMITED = { limit: 1_000_000_000, windowSeconds: 60 };
process.env.APOLLO_TELEMETRY_DISABLED = 'true';

async function main(): Promise<string> {
  if (kind === 'ours' || kind === 'ours-noshare') {
    // The REST facade needs its idempotency store: PostgreSQL on DATABASE_URL as deployed; without it the embedded
    // PGlite, as `pnpm start` does, which alone holds ≈ 700 MB RSS (its WebAssembly memory).
    const database = process.env.DATABASE_URL
      ? { kind: 'postgres' as const, url: process.env.DATABASE_URL }
      : { kind: 'pglite' as const, client: new (await import('@electric-sql/pglite')).PGlite() };
    const gateway = await createGateway({
      supergraphSdl,
      database,
      subgraphUrls: urls,
      shareInFlight: kind === 'ours',
      logger: createLogger('gateway'),
      operationLimits: { tokens: 10_000, depth: 14, aliases: 100, directives: 100, cost: 10_000_000, rootFields: 30 },
      rateLimits: { ip: UNLIMITED, key: UNLIMITED, auth: UNLIMITED, inFlight: { key: 1_000_000, ip: 1_000_000 } },
    });
    const port = await gateway.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${port}/graphql`;
  }
  if (kind === 'apollo') {
    class TokenDataSource extends RemoteGraphQLDataSource {
      override async willSendRequest({ request }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0]) {
        request.http?.headers.set(INTERNAL_TOKEN_HEADER, await signInternalToken(secret, { requestId: randomUUID(), principal, sourceIp: null }));
      }
    }
    const gateway = new ApolloGateway({ supergraphSdl, buildService: ({ name, url }) => new TokenDataSource({ url: urls[name] ?? url }) });
    const server = new ApolloServer({ gateway });
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
    return new URL('/graphql', url).toString();
  }
  if (kind === 'hive' || kind === 'hive-nodedup') {
    const { createGatewayRuntime } = await import('@graphql-hive/gateway-runtime');
    // The supergraph's own URLs are rewritten to where the subgraphs run.
    let sdl = supergraphSdl;
    for (const [name, url] of Object.entries(urls)) sdl = sdl.replace(new RegExp(`(join__graph\\(name: "${name}", url: ")[^"]*`), `$1${url}`);
    const gateway = createGatewayRuntime({
      supergraph: sdl,
      logging: process.env.BENCH_DEBUG ? 'error' : false,
      // pnpm keeps the transport out of the runtime's reach: it is handed over from here.
      transports: { http: await import('@graphql-mesh/transport-http') },
      ...(kind === 'hive-nodedup' ? { transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } } } : {}),
      plugins: () => [
        {
          onFetch({ options, setOptions }: { options: RequestInit; setOptions(options: RequestInit): void }) {
            setOptions({
              ...options,
              headers: {
                ...Object.fromEntries(new Headers(options.headers as HeadersInit)),
                [INTERNAL_TOKEN_HEADER]: signInternalTokenSync(secret, { requestId: randomUUID(), principal, sourceIp: null }),
              },
            });
          },
        },
      ],
    });
    const server = createServer(gateway);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
  }
  if (kind === 'replayer') return replayer();
  throw new Error(`unknown competitor ${kind}`);
}

interface RecordedCall {
  url: string;
  body: string;
  started: number;
  ended: number;
}

/** Records what plain @apollo/gateway sends for each body, then serves replays of it. */
async function replayer(): Promise<string> {
  const bodies = JSON.parse(process.env.BENCH_BODIES!) as string[];
  let recording: RecordedCall[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url: urls[name] ?? url,
        fetcher: async (input, init) => {
          const call: RecordedCall = { url: String(input), body: String(init?.body), started: performance.now(), ended: 0 };
          const headers = {
            ...(init?.headers as Record<string, string>),
            [INTERNAL_TOKEN_HEADER]: signInternalTokenSync(secret, { requestId: randomUUID(), principal, sourceIp: null }),
          };
          const response = await fetch(input, { method: init?.method, body: String(init?.body), headers });
          const text = await response.text();
          call.ended = performance.now();
          recording.push(call);
          return new Response(text, { status: response.status, headers: response.headers });
        },
      }),
  });
  const apollo = new ApolloServer({ gateway });
  await apollo.start();
  const plans = new Map<string, { stages: RecordedCall[][]; response: string }>();
  for (const body of bodies) {
    recording = [];
    const parsed = JSON.parse(body);
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: parsed },
      context: async () => ({}),
    });
    const response = result.body.kind === 'complete' ? result.body.string : '';
    // A call starts a new stage when it started after every call of the current stage had ended (it waited on them).
    const stages: RecordedCall[][] = [];
    let stageEnd = -Infinity;
    for (const call of [...recording].sort((a, b) => a.started - b.started)) {
      if (!stages.length || call.started >= stageEnd) stages.push([]);
      stages.at(-1)!.push(call);
      stageEnd = Math.max(...stages.at(-1)!.map((c) => c.ended));
    }
    plans.set(body, { stages, response });
  }
  await apollo.stop();
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const plan = plans.get(body);
    if (!plan) return void res.writeHead(404).end();
    const token = signInternalTokenSync(secret, { requestId: randomUUID(), principal, sourceIp: null });
    for (const stage of plan.stages) {
      await Promise.all(
        stage.map(async (call) => {
          const url = new URL(call.url);
          const response = await agent.request({
            origin: url.origin,
            path: url.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', [INTERNAL_TOKEN_HEADER]: token },
            body: call.body,
          });
          JSON.parse(await response.body.text());
        }),
      );
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(plan.response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
}

serveStats(await main());
