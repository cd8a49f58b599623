/**
 * `pnpm start`: the whole system with sandbox data.
 * - Without DATABASE_URL: one process, one embedded PGlite under DATA_DIR (default .data), a schema per subgraph.
 * - With DATABASE_URL: every subgraph and the gateway in its own process, as docker-compose runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SUBGRAPH_NAMES, createLogger, onShutdown, servicePort, subgraphUrl, type ServiceName } from '@ipay/platform';
import { SANDBOX_PASSWORD, SANDBOX_USERS, sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { apiKeyPepper, identityConfigFromEnv } from '@ipay/identity/src/app/services.ts';
import { ensureDashboardBuilt } from '@ipay/gateway/src/dashboard.ts';
import { startSystem } from '@ipay/system';

// `pnpm start` is the sandbox (well-known credentials, development secrets on loopback); anything else is
// production unless IPAY_ENV says otherwise. Child processes inherit it.
process.env.IPAY_ENV ||= 'sandbox';
const logger = createLogger('start');
const root = fileURLToPath(new URL('../', import.meta.url));

function printUrls(gatewayUrl: string, subgraphUrls: Record<string, string>) {
  const lines = [
    '',
    'ipay-graph is running (sandbox data loaded):',
    `  gateway (GraphQL)  ${gatewayUrl}`,
    `  health / ready     ${new URL('/healthz', gatewayUrl)}  ${new URL('/readyz', gatewayUrl)}`,
    `  subscriptions      ${gatewayUrl.replace(/^http/, 'ws')}  (graphql-ws; send { authorization } in connection_init)`,
    `                     ${new URL('/graphql/stream', gatewayUrl)}  (GraphQL over SSE; Authorization header, Last-Event-ID resumes)`,
    `  dashboard          ${new URL('/dashboard/', gatewayUrl)}  (operator dashboard and sandbox console: sign in with a key below)`,
    ...Object.entries(subgraphUrls).map(([name, url]) => `  ${name.padEnd(18)} ${url}  (only accepts calls from the gateway)`),
    '',
    'Sandbox credentials (test mode only; send as Authorization: Bearer <key>):',
    ...Object.entries(sandboxCredentials(apiKeyPepper(identityConfigFromEnv()))).map(([name, key]) => `  ${name.padEnd(18)} ${key}`),
    `  users              ${SANDBOX_USERS.map((u) => u.email).join(', ')} — password ${SANDBOX_PASSWORD}`,
    '',
    `Try: curl -s ${gatewayUrl} -H 'content-type: application/json' -H 'authorization: Bearer ${sandboxCredentials(apiKeyPepper(identityConfigFromEnv())).operator}' -d '{"query":"{ orders(first: 3) { edges { node { merchantReference status total { amount currency } merchant { name } paymentSession { reference status } shipment { trackingNumber status } settlement { status } } } } }"}'`,
    'Stop with Ctrl-C.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function startEmbedded() {
  const dataDir = `${process.env.DATA_DIR ?? `${root}.data`}/pglite`;
  mkdirSync(dataDir, { recursive: true });
  const system = await startSystem({ pgliteDataDir: dataDir, seed: true, host: process.env.HOST, logger });
  printUrls(system.gatewayUrl, system.subgraphUrls);
  onShutdown(logger, system.stop);
}

async function waitUntilReady(name: string, url: string, child: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`);
    try {
      if ((await fetch(new URL('/readyz', url))).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} was not ready at ${url} within ${timeoutMs / 1000}s`);
}

async function startProcesses() {
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
      ),
    );
  };
  onShutdown(logger, stop);
  // One process per service: the sandbox SMTP capture server (finance's) listens on a known port, so identity's
  // consumer mail reaches it too.
  // Compiled by `pnpm build` (scripts/build.ts), the children run compiled too; under tsx they run their sources.
  const compiled = process.env.IPAY_COMPILED === 'true';
  const run = (service: ServiceName, source: string) => {
    const args = compiled ? ['--enable-source-maps', source.replace('/src/index.ts', '/dist/index.js')] : ['--import', 'tsx', source];
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { SANDBOX_SMTP_PORT: '4025', ...process.env, SEED_SANDBOX: 'true' } });
    children.push(child);
    return child;
  };
  const subgraphUrls: Record<string, string> = {};
  await Promise.all(
    SUBGRAPH_NAMES.map(async (name) => {
      const child = run(name, `subgraphs/${name}/src/index.ts`);
      subgraphUrls[name] = subgraphUrl(name);
      await waitUntilReady(name, subgraphUrls[name]!, child);
    }),
  );
  const gatewayUrl = `http://localhost:${servicePort('gateway')}/graphql`;
  await waitUntilReady('gateway', gatewayUrl, run('gateway', 'gateway/src/index.ts'));
  printUrls(gatewayUrl, subgraphUrls);
}

try {
  // The dashboard's built assets are served by the gateway (gateway/dashboard, built with Vite when stale).
  await ensureDashboardBuilt();
  await (process.env.DATABASE_URL ? startProcesses() : startEmbedded());
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
}
