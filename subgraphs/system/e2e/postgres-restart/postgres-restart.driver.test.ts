import { fork, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, privatePostgres, root, until, type PrivatePostgres } from '../../../../scripts/faults/lib.ts';

/**
 * A PostgreSQL restart must never take a process down. postgres.js 3.4.9 wrote a buffered message to a socket the
 * closed connection had already dropped, from a timer (an uncatchable TypeError: "Cannot read properties of null
 * (reading 'write')", porsager/postgres#1154, #1208): fault b (scripts/faults/postgres-restart.ts) saw commerce die
 * that way. The dependency is patched (patches/postgres@3.4.9.patch); this proves it on a PRIVATE cluster.
 */
describe('a postgres.js client while PostgreSQL crashes and comes back', () => {
  let pg: PrivatePostgres;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await cleanup();
  });

  it('survives: its queries fail while the server is down and succeed again after, in the same process', async () => {
    pg = await privatePostgres();
    child = fork(`${root}subgraphs/system/e2e/postgres-restart/fixtures/postgres-load.ts`, [pg.url], {
      execArgv: ['--import', 'tsx'],
      cwd: `${root}subgraphs/system`,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    let exit: string | undefined;
    child.once('exit', (code, signal) => (exit = `exited with ${code ?? signal}`));
    let counts = { ok: 0, failed: 0 };
    child.on('message', (message) => (counts = message as typeof counts));
    const alive = () => {
      if (exit) throw new Error(`the client process ${exit}: ${stderr.split('\n').find((l) => l.includes('Error')) ?? stderr.slice(0, 300)}`);
    };
    await until('queries to succeed', () => (alive(), counts.ok > 100), 30_000);

    pg.stop('immediate');
    const failedBefore = counts.failed;
    await until('the client to notice the outage', () => (alive(), counts.failed > failedBefore + 10), 30_000).catch(
      (error) => (alive(), Promise.reject(error)),
    );
    pg.start();
    const okAfterStart = counts.ok;
    await until('queries to succeed again after the restart', () => (alive(), counts.ok > okAfterStart + 100), 30_000).catch(
      (error) => (alive(), Promise.reject(error)),
    );
    expect(exit).toBeUndefined();
  });
});
