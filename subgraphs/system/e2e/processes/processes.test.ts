import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@ipay/platform/testing';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dataDir = mkdtempSync(`${tmpdir()}/ipay-proc-`);
// With DATABASE_URL the processes get a database of this suite's own, like every other suite.
let database: TestDatabase | undefined;
beforeAll(async () => {
  if (process.env.DATABASE_URL) database = await createTestDatabase();
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await database?.cleanup();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs a service as its own process, as docker-compose does (embedded database unless DATABASE_URL is set). */
function runService(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info', DATA_DIR: dataDir, ...(database?.url ? { DATABASE_URL: database.url } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

async function waitFor(predicate: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('timed out');
}

describe('a subgraph as its own process', () => {
  it('serves, then shuts down gracefully on SIGTERM', async () => {
    const port = await freePort();
    const service = runService('subgraphs/identity/src/index.ts', { IDENTITY_PORT: String(port) });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true);
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain('shutting down');
  });

  it('names the port and the env var to change when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const service = runService('subgraphs/commerce/src/index.ts', { COMMERCE_PORT: String(port) });
      expect(await service.exited).toBe(1);
      expect(service.output()).toContain(`port ${port} is already in use`);
      expect(service.output()).toContain('COMMERCE_PORT');
    } finally {
      blocker.close();
    }
  });
});
