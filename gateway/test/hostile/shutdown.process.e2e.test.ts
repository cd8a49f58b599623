import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_OPERATOR } from '../../../subgraphs/system/e2e/support.ts';
import { FaultInjector, startHostileSystem, type HostileSystem } from './support.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = mkdtempSync(`${tmpdir()}/ipay-gw-proc-`);
const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

let system: HostileSystem;
beforeAll(async () => {
  system = await startHostileSystem();
});
afterAll(async () => {
  await system?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * The gateway as its own process (as docker-compose and `pnpm start` run it), outside vitest's NODE_ENV=test:
 * Apollo Server's own SIGTERM handler stopped Apollo at once and re-raised the signal, so the process died by
 * SIGTERM with requests in flight (fault d, scripts/faults/gateway-sigterm.ts, saw socket errors). The process's
 * shutdown (drain, 1012 to subscribers, exit 0) is the only one.
 */
describe('SIGTERM on the gateway process', () => {
  it('finishes the 16 requests in flight and exits 0', async () => {
    const injector = new FaultInjector(system.subgraphUrls.finance);
    await injector.start();
    injector.mode = 'slow';
    injector.delayMs = 700;
    const port = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      IPAY_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      DATA_DIR: dataDir,
      // 16 requests of one key in flight at once: this proves the drain, not the per-key in-flight cap (8 by default).
      RATE_LIMIT_INFLIGHT_PER_KEY: '1000',
      RATE_LIMIT_INFLIGHT_PER_IP: '1000',
      ...Object.fromEntries(Object.entries(system.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, name === 'finance' ? injector.url : url])),
    };
    // What a deployed process sees: no NODE_ENV=test (vitest's), no database of the suite's own for the gateway.
    delete env.NODE_ENV;
    delete env.DATABASE_URL;
    delete env.NATS_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/src/index.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
    const url = `http://127.0.0.1:${port}/graphql`;
    try {
      for (let i = 0; i < 600; i++) {
        if ((await fetch(new URL('/healthz', url)).catch(() => undefined))?.ok) break;
        if (child.exitCode !== null) throw new Error(output);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Sixteen different documents (an alias each): identical ones would share one finance fetch in flight.
      const inFlight = Array.from({ length: 16 }, (_, i) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...AS_OPERATOR },
          body: JSON.stringify({ query: `{ orders(first: 1) { edges { node { id settlement { s${i}: status } } } } }` }),
        }).then(
          async (response) => ({ status: response.status, body: (await response.json()) as any }),
          (error: Error & { cause?: { code?: string } }) => ({ status: 0, body: { error: error.cause?.code ?? error.message } }),
        ),
      );
      for (let i = 0; i < 400 && injector.hits < 16; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(injector.hits).toBe(16);
      child.kill('SIGTERM');
      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
      for (const result of results) expect(result.body.errors).toBeUndefined();
      expect(await exited).toBe(0);
      expect(output).toContain('shutting down');
    } finally {
      child.kill('SIGKILL');
      await injector.stop();
    }
  }, 180_000);
});
