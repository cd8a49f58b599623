/**
 * What the fault scripts share: a PRIVATE PostgreSQL cluster and a PRIVATE nats-server (never the shared ones on
 * 5432 / 4222), the system as one process per service (as `pnpm start` with DATABASE_URL and docker-compose run
 * it), a client for mutations and subscriptions, and the report each script prints.
 */
import './env.ts';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, chownSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { SANDBOX_MERCHANTS, SUBGRAPH_NAMES, type SubgraphName } from '@ipay/platform';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const KEYS = sandboxCredentials(apiKeyPepper({}));
export const ACME = SANDBOX_MERCHANTS[0]!;
export const AS_OPERATOR = { authorization: `Bearer ${KEYS.operator!}` };
export const AS_ACME = { authorization: `Bearer ${KEYS['acme-owner']!}` };

/** A fault's duration from the environment (CI sets shorter ones), in milliseconds. */
export const envMs = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for a condition (polling), never for a fixed time; fails naming what it waited for. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A free port below Linux's ephemeral range (32768–60999): a port from listen(0) lies inside it, where an outgoing
 * connection of any process (a subgraph to PostgreSQL) may take it before the service binds it ("already in use",
 * seen on fault c). Each port is handed out once per script.
 */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createServer().listen(port, '127.0.0.1');
    socket.once('listening', () => socket.close(() => resolve(false)));
    socket.once('error', () => resolve(true));
  });

/** Everything a script writes (logs, data directories) lives here and is removed at the end unless FAULT_KEEP=1. */
export const workDir = mkdtempSync(join(tmpdir(), 'ipay-fault-'));
chmodSync(workDir, 0o755);
const cleanups: (() => Promise<void> | void)[] = [];
export const onCleanup = (fn: () => Promise<void> | void) => cleanups.unshift(fn);
export async function cleanup() {
  for (const fn of cleanups.splice(0)) await Promise.resolve(fn()).catch((error) => log(`cleanup: ${(error as Error).message}`));
  if (process.env.FAULT_KEEP !== '1') rmSync(workDir, { recursive: true, force: true });
  else log(`kept ${workDir}`);
}

export const log = (line: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 23)}] ${line}\n`);

// ---------------------------------------------------------------------------------------------------------------
// A private PostgreSQL cluster

const pgBin = (() => {
  const out = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' });
  return out.stdout.trim();
})();

export interface PrivatePostgres {
  port: number;
  url: string;
  start(): void;
  /** `immediate` is a crash (backends killed, recovery on start); `fast` a clean shutdown. */
  stop(mode?: 'fast' | 'immediate'): void;
  sql: postgres.Sql;
}

/**
 * initdb into a temp directory and start it on its own port (FAULT_PG_PORT, default a free one): never 5432,
 * never the shared server. Runs as the `postgres` OS user when started as root (initdb refuses root).
 */
export async function privatePostgres(): Promise<PrivatePostgres> {
  const port = process.env.FAULT_PG_PORT ? Number(process.env.FAULT_PG_PORT) : await freePort();
  if (port === 5432) throw new Error('refusing to run a fault on port 5432 (the shared server)');
  if (await portOpen(port)) throw new Error(`port ${port} is taken: set FAULT_PG_PORT to a free port`);
  const dataDir = join(workDir, 'pg');
  const asRoot = process.getuid?.() === 0;
  const run = (args: string[]) => {
    const [cmd, ...rest] = asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    const result = spawnSync(cmd!, rest, { encoding: 'utf8', cwd: workDir });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  if (asRoot) {
    spawnSync('mkdir', ['-p', dataDir]);
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dataDir, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
  }
  run([`${pgBin}/initdb`, '-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const options = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const cluster: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => run([`${pgBin}/pg_ctl`, '-D', dataDir, '-o', options, '-l', join(dataDir, 'server.log'), '-w', 'start']),
    stop: (mode = 'fast') => run([`${pgBin}/pg_ctl`, '-D', dataDir, '-m', mode, '-w', 'stop']),
    sql: undefined as never,
  };
  cluster.start();
  cluster.sql = postgres(cluster.url, { max: 2, onnotice: () => {} });
  onCleanup(async () => {
    await cluster.sql.end({ timeout: 2 }).catch(() => {});
    try {
      cluster.stop('immediate');
    } catch {
      // already stopped
    }
  });
  log(`private PostgreSQL ${spawnSync(`${pgBin}/postgres`, ['--version'], { encoding: 'utf8' }).stdout.trim()} on 127.0.0.1:${port} (data in ${dataDir})`);
  return cluster;
}

// ---------------------------------------------------------------------------------------------------------------
// A private nats-server

export interface PrivateNats {
  port: number;
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function privateNats(): Promise<PrivateNats> {
  const port = process.env.FAULT_NATS_PORT ? Number(process.env.FAULT_NATS_PORT) : await freePort();
  if (port === 4222) throw new Error('refusing to run a fault on port 4222 (the shared nats-server)');
  const storeDir = join(workDir, 'nats');
  let child: ChildProcess | undefined;
  const nats: PrivateNats = {
    port,
    url: `nats://127.0.0.1:${port}`,
    start: async () => {
      child = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
      await until(`nats-server on ${port}`, () => portOpen(port), 20_000);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
  await nats.start();
  onCleanup(() => nats.stop());
  log(`private nats-server (JetStream) on 127.0.0.1:${port}`);
  return nats;
}

// ---------------------------------------------------------------------------------------------------------------
// The system, one process per service

export type ServiceName = SubgraphName | 'gateway';

export interface Service {
  name: ServiceName;
  port: number;
  url: string;
  child?: ChildProcess;
  start(): Promise<void>;
  /** Sends a signal and waits for the process to exit; resolves its exit code (or the signal). */
  kill(signal: NodeJS.Signals): Promise<number | string>;
  ready(): Promise<boolean>;
}

export interface ProcessSystem {
  services: Record<ServiceName, Service>;
  gatewayUrl: string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startProcesses(options: { databaseUrl: string; natsUrl?: string; env?: Record<string, string> }): Promise<ProcessSystem> {
  const ports = Object.fromEntries(await Promise.all([...SUBGRAPH_NAMES, 'gateway' as const].map(async (name) => [name, await freePort()]))) as Record<
    ServiceName,
    number
  >;
  const logFile = join(workDir, 'services.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    IPAY_ENV: 'development',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? 'warn',
    DATABASE_URL: options.databaseUrl,
    SEED_SANDBOX: 'true',
    CONTROLS_TICK_MS: '0',
    AUDIT_ATTESTATION_INTERVAL_MS: '0',
    CRM_SYNC_INTERVAL_MS: '0',
    // The scripts are one client on one address: the rate limits are the hostile suite's to prove.
    RATE_LIMIT_PER_IP: '100000000',
    RATE_LIMIT_PER_KEY: '100000000',
    RATE_LIMIT_AUTH_PER_IP: '100000000',
    RATE_LIMIT_INFLIGHT_PER_KEY: '100000',
    RATE_LIMIT_INFLIGHT_PER_IP: '100000',
    SUBGRAPH_BREAKER_HALF_OPEN_MS: process.env.SUBGRAPH_BREAKER_HALF_OPEN_MS ?? '1000',
    ...(options.natsUrl ? { NATS_URL: options.natsUrl } : {}),
    ...Object.fromEntries(
      SUBGRAPH_NAMES.flatMap((name) => [
        [`${name.toUpperCase()}_PORT`, String(ports[name])],
        [`${name.toUpperCase()}_URL`, `http://127.0.0.1:${ports[name]}/graphql`],
      ]),
    ),
    GATEWAY_PORT: String(ports.gateway),
    ...options.env,
  };
  // What a deployed process sees (a wrapper under vitest would pass NODE_ENV=test, which changes libraries' behaviour).
  delete env.NODE_OPTIONS;
  delete env.NODE_ENV;
  for (const name of Object.keys(env)) if (name.startsWith('VITEST')) Reflect.deleteProperty(env, name);
  if (!options.natsUrl) delete env.NATS_URL;
  const service = (name: ServiceName): Service => {
    const entry = name === 'gateway' ? 'gateway/src/index.ts' : `subgraphs/${name}/src/index.ts`;
    const url = `http://127.0.0.1:${ports[name]}/graphql`;
    const svc: Service = {
      name,
      port: ports[name],
      url,
      ready: async () => (await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.status === 200,
      start: async () => {
        const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        svc.child = child;
        child.stdout!.on('data', (chunk: Buffer) => logStream.write(`${name}: ${chunk}`));
        child.stderr!.on('data', (chunk: Buffer) => logStream.write(`${name}! ${chunk}`));
        // A subgraph is ready when its database is; the gateway when every subgraph answers.
        await until(
          `${name} to be ready on ${ports[name]}`,
          async () => {
            if (child.exitCode !== null) throw Object.assign(new Error(`${name} exited with ${child.exitCode} (see ${logFile})`), { fatal: true });
            return svc.ready();
          },
          120_000,
          200,
        ).catch((error) => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${tail(logFile)}`);
          throw error;
        });
      },
      kill: (signal) =>
        new Promise((resolve) => {
          const child = svc.child;
          if (!child || child.exitCode !== null || child.signalCode) return resolve(child?.exitCode ?? child?.signalCode ?? 'not running');
          child.once('exit', (code, sig) => resolve(code ?? sig ?? 'exited'));
          child.kill(signal);
        }),
    };
    return svc;
  };
  const services = Object.fromEntries([...SUBGRAPH_NAMES, 'gateway' as const].map((name) => [name, service(name)])) as Record<ServiceName, Service>;
  const stop = async () => {
    // SIGTERM (a graceful stop), SIGKILL whatever has not exited 20 s later: a script never hangs on its cleanup.
    const hard = setTimeout(
      () => Object.values(services).forEach((svc) => svc.child?.exitCode === null && !svc.child.signalCode && svc.child.kill('SIGKILL')),
      20_000,
    );
    await Promise.all(Object.values(services).map((svc) => svc.kill('SIGTERM')));
    clearTimeout(hard);
    logStream.end();
  };
  onCleanup(stop);
  const started = Date.now();
  await Promise.all(SUBGRAPH_NAMES.map((name) => services[name].start()));
  await services.gateway.start();
  log(
    `system up in ${((Date.now() - started) / 1000).toFixed(1)} s: 5 subgraphs + gateway, one process each (${Object.entries(ports)
      .map(([n, p]) => `${n}:${p}`)
      .join(' ')})`,
  );
  return { services, gatewayUrl: services.gateway.url, logFile, stop };
}

export const tail = (file: string, lines = 40) => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Client

export interface GraphQLOutcome {
  status: number;
  ms: number;
  body?: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  /** A transport failure (no HTTP response): ECONNREFUSED, socket hang up, … */
  transport?: string;
}

export async function graphql(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = AS_OPERATOR,
  timeoutMs = 30_000,
): Promise<GraphQLOutcome> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let body: GraphQLOutcome['body'];
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: text.slice(0, 200) }] };
    }
    return { status: response.status, ms: performance.now() - started, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, ms: performance.now() - started, transport: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}

export const outcomeCode = (outcome: GraphQLOutcome) =>
  outcome.transport ?? String(outcome.body?.errors?.[0]?.extensions?.code ?? (outcome.status === 200 ? 'OK' : `HTTP ${outcome.status}`));

const CREATE_ORDER = `mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id merchantReference } }`;

export interface OrderAttempt {
  reference: string;
  key: string;
  outcome: GraphQLOutcome;
  acknowledged: boolean;
  orderId?: string;
  sentAt: number;
}

/** The run's own prefix, so a script counts exactly its own orders. */
export const RUN = `FLT-${randomUUID().slice(0, 6).toUpperCase()}`;

export function orderInput(reference: string) {
  return {
    merchantId: ACME.id,
    merchantReference: reference,
    currency: 'EUR',
    customer: { name: 'Fault Script', email: 'faults@example.com' },
    shippingAddress: { name: 'Fault Script', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 AB', country: 'NL' },
    lines: [{ sku: 'SKU-F', name: 'Lamp', quantity: 1, unitAmount: 1250 }],
    totalAmount: 1250,
  };
}

/** createOrder with an idempotency key of its own (a retry with the same key must never create a second order). */
export async function createOrder(gatewayUrl: string, reference: string, key: string = randomUUID()): Promise<OrderAttempt> {
  const sentAt = Date.now();
  const outcome = await graphql(gatewayUrl, CREATE_ORDER, { input: orderInput(reference), key }, AS_ACME);
  const orderId = outcome.status === 200 && !outcome.body?.errors ? (outcome.body?.data?.createOrder?.id as string | undefined) : undefined;
  return { reference, key, outcome, acknowledged: !!orderId, orderId, sentAt };
}

/**
 * `workers` concurrent loops of createOrder until `stop()`; every attempt is kept (with its outcome) for counting.
 */
export function mutationStream(gatewayUrl: string, workers = 4) {
  const attempts: OrderAttempt[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const attempt = await createOrder(gatewayUrl, `${RUN}-${String(++n).padStart(5, '0')}`);
      attempts.push(attempt);
      // A refused request comes back at once: back off, so the refusals stay countable (and retried in a few seconds).
      if (!attempt.acknowledged) await sleep(500);
    }
  });
  return {
    attempts,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return attempts;
    },
  };
}

/** Sends the refused attempts again with their own idempotency keys (8 at a time); resolves how many were acknowledged. */
export async function retryWithSameKeys(gatewayUrl: string, failed: readonly OrderAttempt[]): Promise<number> {
  let ok = 0;
  const queue = [...failed];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let a = queue.shift(); a; a = queue.shift()) if ((await createOrder(gatewayUrl, a.reference, a.key)).acknowledged) ok += 1;
    }),
  );
  return ok;
}

/** The run's orders as commerce stored them (merchant reference → count: more than 1 would be a duplicate). */
export async function storedOrders(sql: postgres.Sql): Promise<Map<string, number>> {
  const rows = await sql<
    { merchant_reference: string; n: string }[]
  >`select merchant_reference, count(*) as n from commerce.orders where merchant_reference like ${RUN + '-%'} group by merchant_reference`;
  return new Map(rows.map((r) => [r.merchant_reference, Number(r.n)]));
}

/** The run's committed order.created events (commerce's outbox), and how many the relay has published. */
export async function committedEvents(sql: postgres.Sql): Promise<{ ids: string[]; unpublished: number }> {
  const rows = await sql<
    { id: string; published: boolean }[]
  >`select id, published_at is not null as published from commerce.outbox where type = 'order.created' and payload->>'reference' like ${RUN + '-%'} order by id`;
  return { ids: rows.map((r) => r.id), unpublished: rows.filter((r) => !r.published).length };
}

// ---------------------------------------------------------------------------------------------------------------
// A subscriber that resumes with its last event id

const EVENTS = `subscription($types: [String!], $last: ID) { events(types: $types, lastEventId: $last) { eventId type payload } }`;

/**
 * One graphql-ws subscription to the operator feed, as a careful client runs it: when the server ends it (an
 * error, complete, or a close code) it reconnects and resubscribes with the last event id it saw. It records
 * every way it was told, and when it last heard anything, so a silent stall shows.
 */
export class ResumingSubscriber {
  readonly received = new Map<string, number>();
  readonly closeCodes: number[] = [];
  readonly errors: string[] = [];
  completes = 0;
  resubscribes = 0;
  lastEventId: string | null = null;
  private client: Client | undefined;
  private stopped = false;
  connected = false;

  constructor(
    private readonly gatewayUrl: string,
    readonly label: string,
    private readonly types = ['order.created'],
  ) {}

  start(): Promise<void> {
    return new Promise((resolve) => this.open(resolve));
  }

  private open(onAck?: () => void) {
    if (this.stopped) return;
    const client = createClient({
      url: this.gatewayUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: AS_OPERATOR.authorization },
      retryAttempts: 0,
      lazy: false,
      // Recorded through the sink (and `closed`), not printed.
      onNonLazyError: () => {},
      on: {
        connected: () => {
          this.connected = true;
          onAck?.();
        },
        closed: (event) => {
          this.connected = false;
          const code = (event as { code?: number })?.code;
          if (typeof code === 'number') this.closeCodes.push(code);
        },
        error: () => {},
      },
    });
    this.client = client;
    let ended = false;
    const again = () => {
      if (ended) return;
      ended = true;
      void client.dispose();
      if (this.stopped) return;
      this.resubscribes += 1;
      // Back off a little so a server that is down is not hammered; the next attempt resumes after lastEventId.
      setTimeout(() => this.open(), 250).unref();
    };
    client.subscribe<{ events: { eventId: string; type: string } }>(
      { query: EVENTS, variables: { types: this.types, last: this.lastEventId } },
      {
        next: (result) => {
          const event = result.data?.events;
          if (event) {
            this.received.set(event.eventId, (this.received.get(event.eventId) ?? 0) + 1);
            this.lastEventId = event.eventId;
          } else if (result.errors)
            this.errors.push(String((result.errors[0] as { extensions?: { code?: string } }).extensions?.code ?? result.errors[0]!.message));
        },
        error: (error) => {
          const code = (error as { code?: number })?.code;
          this.errors.push(
            typeof code === 'number'
              ? `close ${code}`
              : Array.isArray(error)
                ? String((error[0] as { extensions?: { code?: string } })?.extensions?.code ?? error[0]?.message)
                : String((error as Error)?.message ?? error),
          );
          again();
        },
        complete: () => {
          this.completes += 1;
          again();
        },
      },
    );
  }

  /** Whether every id has arrived. */
  has(ids: readonly string[]) {
    return ids.every((id) => this.received.has(id));
  }

  duplicates() {
    return [...this.received.values()].filter((n) => n > 1).length;
  }

  async stop() {
    this.stopped = true;
    await this.client?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The report

export interface Check {
  what: string;
  ok: boolean;
  detail?: string;
}

/**
 * Prints what the script did and counted, and exits non-zero when anything was lost or a check failed. The last
 * line is one JSON object (`FAULT-RESULT {...}`) that the CI wrapper reads.
 */
export async function finish(name: string, counts: Record<string, number>, checks: Check[]): Promise<never> {
  const ok = (counts.lost ?? 0) === 0 && checks.every((c) => c.ok);
  process.stdout.write(`\n== ${name}\n`);
  process.stdout.write(
    `   counts: ${Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join('  ')}\n`,
  );
  for (const check of checks) process.stdout.write(`   ${check.ok ? 'ok  ' : 'FAIL'} ${check.what}${check.detail ? ` — ${check.detail}` : ''}\n`);
  process.stdout.write(`   ${ok ? 'PASS' : 'FAIL'}\n`);
  process.stdout.write(`FAULT-RESULT ${JSON.stringify({ name, ok, counts, checks })}\n`);
  await cleanup();
  process.exit(ok ? 0 : 1);
}

/** Runs a script's body; an exception is a failure (with the services' log tail), cleanup always runs. */
export async function main(name: string, body: () => Promise<never>): Promise<void> {
  const stopOnSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await body();
  } catch (error) {
    process.stdout.write(`\n== ${name}\n   FAIL ${(error as Error).stack ?? error}\n`);
    process.stdout.write(
      `FAULT-RESULT ${JSON.stringify({ name, ok: false, counts: {}, checks: [{ what: 'script ran to the end', ok: false, detail: (error as Error).message }] })}\n`,
    );
    await cleanup();
    process.exit(1);
  }
}
