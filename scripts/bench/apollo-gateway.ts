/**
 * Plain @apollo/gateway + @apollo/server (defaults; its data source only adds the internal token, as the `apollo`
 * competitor of gateway-competitor.ts) as a deployable entry, compiled by gateway-cluster.ts like our gateway, and
 * run as BENCH_WORKERS node:cluster workers on BENCH_PORT (1: a single process, no primary).
 * Env: BENCH_SUPERGRAPH_FILE, BENCH_PORT, BENCH_WORKERS.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { INTERNAL_TOKEN_HEADER, internalTokenSecret, signInternalToken } from '@ipay/platform';

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const workers = Number(process.env.BENCH_WORKERS ?? '1');
const port = Number(process.env.BENCH_PORT);

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  // Same supervision contract as ours for the harness: SIGTERM reaches the workers, the primary exits after them.
  process.once('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && process.exit(0));
  });
} else {
  const secret = internalTokenSecret();
  class TokenDataSource extends RemoteGraphQLDataSource {
    override async willSendRequest({ request }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0]) {
      request.http?.headers.set(INTERNAL_TOKEN_HEADER, await signInternalToken(secret, { requestId: randomUUID(), principal: null, sourceIp: null }));
    }
  }
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(process.env.BENCH_SUPERGRAPH_FILE!, 'utf8'),
    buildService: ({ url }) => new TokenDataSource({ url }),
  });
  const server = new ApolloServer({ gateway });
  await startStandaloneServer(server, { listen: { port, host: '127.0.0.1' } });
  process.stdout.write(`${JSON.stringify({ msg: 'gateway listening', pid: process.pid, port })}\n`);
}
