import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface FaultResult {
  name: string;
  ok: boolean;
  counts: Record<string, number>;
  checks: { what: string; ok: boolean; detail?: string }[];
}

let running: ChildProcess | undefined;
// A script cut off by a test timeout is told to stop (SIGTERM: it stops its services, cluster and nats-server).
afterEach(async () => {
  const child = running;
  running = undefined;
  if (!child || child.exitCode !== null || child.signalCode) return;
  await new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')));
});

/**
 * The fault scripts (scripts/faults/) as CI runs them: each starts the system as one process per service on a
 * PRIVATE PostgreSQL cluster (and a private nats-server), injects its fault with a short duration, and prints
 * what it counted; this reads the `FAULT-RESULT` line and fails on any failed check or anything lost.
 */
async function runFault(script: string, env: Record<string, string> = {}): Promise<FaultResult> {
  const child = (running = spawn(process.execPath, ['--import', 'tsx', `scripts/faults/${script}`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }));
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = output.split('\n').find((l) => l.startsWith('FAULT-RESULT '));
  // The script's own report, in the CI log.
  process.stdout.write(
    output
      .split('\n')
      .filter((l) => !l.startsWith('FAULT-RESULT '))
      .join('\n') + '\n',
  );
  if (!line) throw new Error(`${script} printed no result (exit ${code}):\n${output.slice(-3000)}`);
  const result = JSON.parse(line.slice('FAULT-RESULT '.length)) as FaultResult;
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.counts.lost).toBe(0);
  expect(code).toBe(0);
  return result;
}

describe('fault scripts (short faults)', () => {
  it('a: a subgraph killed under load and brought back', async () => {
    const result = await runFault('subgraph-kill.ts', { FAULT_DOWN_MS: '3000' });
    expect(result.counts.stored).toBe(result.counts.sent);
  }, 300_000);

  it('b: PostgreSQL restarted during a stream of mutations', async () => {
    const result = await runFault('postgres-restart.ts', { FAULT_DOWN_MS: '3000' });
    expect(result.counts.stored).toBe(result.counts.sent);
  }, 300_000);

  // 25 s: longer than nats.js would reconnect by default (10 attempts 2 s apart), after which it gave up for good.
  it('c: NATS down and back', async () => {
    const result = await runFault('nats-outage.ts', { FAULT_NATS_DOWN_MS: '25000' });
    expect(result.counts.delivered).toBe(result.counts.eventsCommitted);
  }, 300_000);

  it('d: SIGTERM on the gateway during requests and subscriptions', async () => {
    const result = await runFault('gateway-sigterm.ts');
    expect(result.counts.socketErrors).toBe(0);
    expect(result.counts.subscribersTold1012).toBe(3);
  }, 300_000);

  it('e: the webhook dispatcher killed mid-burst', async () => {
    const result = await runFault('dispatcher-kill.ts', { FAULT_BURST: '40' });
    expect(result.counts.delivered).toBe(result.counts.eventsCommitted);
  }, 300_000);
});
