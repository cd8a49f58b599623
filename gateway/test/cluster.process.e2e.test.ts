import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ORDERS, newId } from '@ipay/platform';
import { AS_OPERATOR } from '../../subgraphs/system/e2e/support.ts';
import { startHostileSystem, type HostileSystem } from './hostile/support.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = mkdtempSync(`${tmpdir()}/ipay-gw-cluster-`);
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Waits for a condition, checked every 50 ms, failing with `what()` after `timeoutMs`. */
async function until(condition: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface LogLine {
  msg?: string;
  pid?: number;
  worker?: number;
  requestId?: string;
}

/** The gateway under GATEWAY_WORKERS=2 as its own process tree, its JSON log lines (primary's and workers') parsed. */
function startClusteredGateway(system: HostileSystem, port: number, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    IPAY_ENV: 'development',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(port),
    GATEWAY_WORKERS: '2',
    DATA_DIR: dataDir,
    RATE_LIMIT_INFLIGHT_PER_KEY: '1000',
    RATE_LIMIT_INFLIGHT_PER_IP: '1000',
    ...Object.fromEntries(Object.entries(system.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])),
    ...extraEnv,
  };
  delete env.NODE_ENV;
  delete env.NATS_URL;
  delete env.REDIS_URL;
  if (!extraEnv.DATABASE_URL) delete env.DATABASE_URL;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/index.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  let output = '';
  let partial = '';
  const onData = (chunk: Buffer) => {
    output += chunk;
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop()!;
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = `http://127.0.0.1:${port}/graphql`;
  const listeningWorkers = () => lines.filter((line) => line.msg === 'gateway listening' && line.worker !== undefined);
  return { child, lines, output: () => output, exited, url, listeningWorkers };
}

const query = (url: string, document: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AS_OPERATOR },
    body: JSON.stringify({ query: document }),
    signal: AbortSignal.timeout(30_000),
  }).then(
    async (response) => ({ status: response.status, body: (await response.json()) as any }),
    (error: Error & { cause?: { code?: string } }) => ({ status: 0, body: { error: error.cause?.code ?? error.message } }),
  );

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('GATEWAY_WORKERS=2: the gateway as a primary and two cluster workers on one port', () => {
  it('answers from both workers, replaces a worker killed with SIGKILL while requests keep being answered, and drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    // REST (and its shared idempotency store) is not what this proves; without DATABASE_URL the workers run without it.
    const gateway = startClusteredGateway(system, port, { GATEWAY_REST: 'false' });
    try {
      await until(
        () => gateway.listeningWorkers().length >= 2,
        () => gateway.output(),
      );
      const pids = new Set(gateway.listeningWorkers().map((line) => line.pid));
      expect(pids.size).toBe(2);
      expect(pids.has(gateway.child.pid)).toBe(false);

      // Distinct connections (no keep-alive reuse): round-robin hands them to both workers; the access log says which.
      const servedBy = async (count: number) => {
        const before = gateway.lines.length;
        const results = await Promise.all(
          Array.from({ length: count }, (_, i) =>
            fetch(gateway.url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...AS_OPERATOR },
              body: JSON.stringify({ query: `{ orders(first: 1) { edges { node { id n${i}: status } } } }` }),
              // A pool of its own per request: a connection each, never one reused.
              dispatcher: new Agent({ pipelining: 0, connections: 1 }),
              signal: AbortSignal.timeout(30_000),
            } as RequestInit).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
          ),
        );
        for (const result of results) {
          expect(result.status).toBe(200);
          expect(result.body.errors).toBeUndefined();
          expect(result.body.data.orders.edges).toHaveLength(1);
        }
        await until(
          () => gateway.lines.slice(before).filter((line) => line.msg === 'graphql operation').length >= count,
          () => gateway.output(),
        );
        return new Set(
          gateway.lines
            .slice(before)
            .filter((line) => line.msg === 'graphql operation')
            .map((line) => line.pid),
        );
      };
      expect(await servedBy(8)).toEqual(pids);

      // SIGKILL one worker while requests go on: every request is answered (by the survivor, then by both).
      const [victim, survivor] = [...pids] as [number, number];
      const during = Array.from({ length: 6 }, () => query(gateway.url, '{ orders(first: 1) { edges { node { id } } } }'));
      process.kill(victim, 'SIGKILL');
      const answeredDuring = await Promise.all(during);
      // A request the victim had already accepted dies with it (connection reset); none are refused after.
      expect(answeredDuring.filter((r) => r.status !== 200 && r.status !== 0)).toEqual([]);
      for (let i = 0; i < 6; i++) {
        const result = await query(gateway.url, '{ orders(first: 1) { edges { node { id } } } }');
        expect(result.status).toBe(200);
        expect(result.body.errors).toBeUndefined();
      }
      await until(
        () => gateway.lines.some((line) => line.msg === 'gateway worker died: restarting it'),
        () => gateway.output(),
      );
      await until(
        () => new Set(gateway.listeningWorkers().map((line) => line.pid)).size >= 3,
        () => gateway.output(),
      );
      const replacement = gateway.listeningWorkers().find((line) => !pids.has(line.pid))!.pid!;
      expect(await servedBy(8)).toEqual(new Set([survivor, replacement]));

      // SIGTERM to the primary: both workers drain (their own shutdown) and the primary exits 0 after them.
      gateway.child.kill('SIGTERM');
      expect(await gateway.exited).toBe(0);
      const exits = gateway.lines.filter((line) => line.msg === 'gateway worker exited') as (LogLine & { code?: number })[];
      expect(exits.map((line) => line.code)).toEqual([0, 0]);
      expect(gateway.lines.filter((line) => line.msg === 'shutting down' && line.worker !== undefined)).toHaveLength(2);
      expect(gateway.lines.some((line) => line.msg === 'all gateway workers exited')).toBe(true);
    } finally {
      gateway.child.kill('SIGKILL');
    }
  }, 240_000);

  it('gives up with exit 1 when workers die before they listen, after a bounded number of forks with growing delays', async () => {
    // The REST facade without DATABASE_URL: a worker refuses the embedded database (one process's), so every worker
    // dies at start. The primary must not fork them in a loop.
    const gateway = startClusteredGateway(system, await freePort());
    try {
      expect(await gateway.exited).toBe(1);
      const refusals = gateway.lines.filter((line) =>
        (line as { err?: { message?: string } }).err?.message?.includes('GATEWAY_WORKERS>1 with the REST facade needs DATABASE_URL'),
      );
      const restarts = gateway.lines.filter((line) => line.msg === 'gateway worker died: restarting it') as (LogLine & { restartInMs: number })[];
      expect(gateway.lines.some((line) => line.msg === 'gateway workers keep dying before they listen: giving up')).toBe(true);
      // 6 deaths in a row (max(5, 3 × workers)) end it: 5 restarts, each slot's delay doubling (500, 1000, …).
      expect(restarts).toHaveLength(5);
      expect(refusals).toHaveLength(6);
      for (const worker of [0, 1]) {
        const delays = restarts.filter((line) => line.worker === worker).map((line) => line.restartInMs);
        expect(delays).toEqual([500, 1000, 2000].slice(0, delays.length));
      }
      expect(gateway.listeningWorkers()).toHaveLength(0);
    } finally {
      gateway.child.kill('SIGKILL');
    }
  }, 240_000);

  // Each worker reads the event bus itself: a subscriber on either worker gets the event published once.
  it.skipIf(!process.env.DATABASE_URL || process.env.TEST_EVENT_BUS === 'nats')(
    'delivers an event from the SQL log to SSE subscribers on both workers',
    async () => {
      const port = await freePort();
      const gateway = startClusteredGateway(system, port, { DATABASE_URL: system.database.url! });
      const streams: { controller: AbortController; text: () => string }[] = [];
      try {
        await until(
          () => gateway.listeningWorkers().length >= 2,
          () => gateway.output(),
        );
        const order = SANDBOX_ORDERS[0]!;
        const document = `subscription($orderId: ID) { orderEvents(orderId: $orderId) { eventId type } }`;
        // Four streams at once, on four connections: round-robin puts two on each worker.
        for (let i = 0; i < 4; i++) {
          const controller = new AbortController();
          const response = await fetch(new URL('/graphql/stream', gateway.url), {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...AS_OPERATOR },
            body: JSON.stringify({ query: document, variables: { orderId: order.id } }),
            signal: controller.signal,
          });
          expect(response.status).toBe(200);
          let text = '';
          void (async () => {
            const decoder = new TextDecoder();
            try {
              const reader = response.body!.getReader();
              for (let read = await reader.read(); !read.done; read = await reader.read()) text += decoder.decode(read.value, { stream: true });
            } catch {
              // aborted
            }
          })();
          streams.push({ controller, text: () => text });
        }
        // Subscribed once each worker's engine holds its streams: publish until all four saw one event (a stream
        // still subscribing would miss an event published before; the same event id is then sent again).
        const eventId = newId('evt');
        await until(
          async () => {
            await system.bus.publish([
              {
                id: newId('evt'),
                type: 'order.status_changed',
                version: 1,
                occurredAt: new Date().toISOString(),
                source: 'test',
                merchantId: order.merchantId,
                livemode: false,
                carrierCode: null,
                subjectType: 'Order',
                subjectId: order.id,
                payload: { order_id: order.id, merchant: 'x', from: order.status, to: order.status, marker: eventId },
              },
            ]);
            await new Promise((resolve) => setTimeout(resolve, 250));
            return streams.every((stream) => stream.text().includes('order.status_changed'));
          },
          () => streams.map((stream) => stream.text()).join('\n---\n') + gateway.output(),
          60_000,
        );
        gateway.child.kill('SIGTERM');
        expect(await gateway.exited).toBe(0);
      } finally {
        for (const stream of streams) stream.controller.abort();
        gateway.child.kill('SIGKILL');
      }
    },
    240_000,
  );
});
