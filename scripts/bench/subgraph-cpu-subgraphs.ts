/**
 * One competitor of scripts/bench/subgraph-cpu.ts: the five subgraphs (no gateway) of the source tree BENCH_TREE in
 * this process, on a fresh database of their own (createTestDatabase: a new PostgreSQL database on DATABASE_URL, else
 * an in-memory PGlite), seeded with the sandbox data plus 100 paid and shipped orders so `orders(first: 100)` is a
 * full page. Every module is loaded from BENCH_TREE by absolute path, so the same entry runs a worktree at main
 * ("before") and this one ("after"). Tells the harness the subgraph URLs and the sandbox operator's principal, then
 * answers `{ stats }` (its CPU time), `{ profile: 'start' | 'stop' }` (a CPU profile of what ran between) and `{ exit }`.
 */
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';

const tree = resolve(process.env.BENCH_TREE ?? new URL('../..', import.meta.url).pathname);
const load = <T>(path: string): Promise<T> => import(`${tree}/${path}`) as Promise<T>;

const platform = await load<typeof import('@ipay/platform')>('subgraphs/platform/src/index.ts');
const { createTestDatabase } = await load<typeof import('@ipay/platform/testing')>('subgraphs/platform/src/testing.ts');
const definitions = {
  identity: (await load<typeof import('@ipay/identity')>('subgraphs/identity/src/server.ts')).identity,
  commerce: (await load<typeof import('@ipay/commerce')>('subgraphs/commerce/src/server.ts')).commerce,
  payments: (await load<typeof import('@ipay/payments')>('subgraphs/payments/src/server.ts')).payments,
  logistics: (await load<typeof import('@ipay/logistics')>('subgraphs/logistics/src/server.ts')).logistics,
  finance: (await load<typeof import('@ipay/finance')>('subgraphs/finance/src/server.ts')).finance,
};
const { apiKeyPepper } = await load<typeof import('@ipay/identity/src/app/services.ts')>('subgraphs/identity/src/app/services.ts');
const { sandboxCredentials } = await load<typeof import('@ipay/identity/src/sandbox/seed.ts')>('subgraphs/identity/src/sandbox/seed.ts');
const { Authenticator } = await load<typeof import('@ipay/gateway/src/auth.ts')>('gateway/src/auth.ts');

const { createLogger, createSubgraphServer, internalTokenSecret, openEventBus } = platform;
const logger = createLogger('bench');
const database = await createTestDatabase();
const bus = await openEventBus(database.target, logger);
const servers: { name: string; stop(): Promise<void>; db: unknown }[] = [];
const urls: Record<string, string> = {};
for (const [name, definition] of Object.entries(definitions)) {
  // Each subgraph logs as it does in production (createLogger(name), LOG_LEVEL from the harness).
  const server = await createSubgraphServer(definition as never, { database: database.target, seed: true, bus });
  servers.push({ name, stop: () => server.stop(), db: server.database.db });
  urls[name] = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql`;
}
const dbOf = (name: string) => servers.find((s) => s.name === name)!.db as import('@ipay/platform').Database<Record<string, unknown>>;

// The seed lives in the benchmarked tree, so "before" and "after" seed the same rows their own way.
const { addPaidShippedOrders } = await load<typeof import('@ipay/system')>('subgraphs/system/src/paid-orders.ts');
await addPaidShippedOrders(
  { commerce: dbOf('commerce'), payments: dbOf('payments'), logistics: dbOf('logistics') },
  { count: 100, label: 'bench', referenceBase: 800000 },
);

const authorization = `Bearer ${sandboxCredentials(apiKeyPepper({})).operator!}`;
const principal = await new Authenticator({ identityUrl: urls.identity!, internalSecret: internalTokenSecret(), logger }).authenticate(authorization, 'bench');

const stopAll = async () => {
  for (const server of servers.reverse()) await server.stop();
  await bus.close();
  await database.cleanup();
};
// A CPU profile of the load phase alone (start-up and module loading left out), on request.
const inspector = new Session();
inspector.connect();
process.on('message', (message: { stats?: boolean; exit?: boolean; profile?: 'start' | 'stop' }) => {
  if (message?.exit) {
    void stopAll().finally(() => process.exit(0));
    return;
  }
  if (message?.profile === 'start') {
    void (async () => {
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
      await inspector.post('Profiler.start');
      process.send!({ profiling: true });
    })();
    return;
  }
  if (message?.profile === 'stop') {
    void inspector.post('Profiler.stop').then(({ profile }) => process.send!({ profile }));
    return;
  }
  if (!message?.stats) return;
  const cpu = process.cpuUsage();
  process.send!({ stats: { cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage().rss, maxRssBytes: process.resourceUsage().maxRSS * 1024 } });
});
process.send!({ ready: { urls, principal } });
