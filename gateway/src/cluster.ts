/**
 * `GATEWAY_WORKERS=<n|auto>`: the gateway as N processes on one port (node:cluster). The primary only supervises: it
 * forks the workers, forks a replacement for one that dies (with a backoff, so a worker that cannot start is not
 * forked in a loop), forwards SIGTERM/SIGINT to every worker (each drains as a single process does) and exits once
 * all have exited. Every worker is the whole gateway (index.ts), with its own connections, caches and circuits.
 *
 * Connections are spread by the primary, round-robin (node:cluster's default on Linux). Node 20 has no `reusePort`
 * for net servers (added in Node 22.12/23.1), so SO_REUSEPORT is not an option here.
 *
 * What is per worker: rate-limit buckets unless REDIS_URL is set (in memory, each worker counts only what it
 * serves, so a client may get up to N times its limit), circuit breakers, plan and guard caches, subscriptions (each
 * worker reads the event bus itself: NATS or the SQL log), and database pools (N times the connections).
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';

/** Workers wanted from `GATEWAY_WORKERS`: unset or 1 → 1 (a single process, no primary), `auto` → one per CPU. */
export function gatewayWorkers(raw: string | undefined = process.env.GATEWAY_WORKERS): number {
  if (raw === undefined || raw.trim() === '') return 1;
  if (raw.trim() === 'auto') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`GATEWAY_WORKERS=${raw} is not a number of workers (1-256) or "auto"`);
  return n;
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /** A worker that served at least this long (since it listened) before dying is restarted at once (default 10 s). */
  stableAfterMs?: number;
  /** Backoff of a slot whose workers keep dying young: base × 2^(deaths − 1), at most maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** Workers dying before they ever listened, in a row, before the primary gives up (a configuration error). */
  maxStartFailures?: number;
  /** After SIGTERM, how long workers may take to drain before they are killed (default SHUTDOWN_DRAIN_MS + 15 s). */
  shutdownTimeoutMs?: number;
}

/** Runs the primary until every worker has exited after SIGTERM/SIGINT; the process then exits (0 when all drained). */
export function runPrimary(options: PrimaryOptions): void {
  const { workers, logger } = options;
  const stableAfterMs = options.stableAfterMs ?? 10_000;
  const backoffBaseMs = options.backoffBaseMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const maxStartFailures = options.maxStartFailures ?? Math.max(5, workers * 3);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? Number(process.env.SHUTDOWN_DRAIN_MS ?? 10_000) + 15_000;

  interface Slot {
    worker?: Worker;
    startedAt: number;
    /** When it listened: only a worker that served for stableAfterMs is restarted at once (a slow start is no proof). */
    listenedAt?: number;
    listened: boolean;
    youngDeaths: number;
    restart?: NodeJS.Timeout;
  }
  const slots: Slot[] = Array.from({ length: workers }, () => ({ startedAt: 0, listened: false, youngDeaths: 0 }));
  let stopping = false;
  let startFailuresInARow = 0;
  let failedExits = 0;

  const finishIfDone = () => {
    if (!stopping || slots.some((slot) => slot.worker)) return;
    logger.info({ failedExits }, 'all gateway workers exited');
    process.exit(failedExits ? 1 : 0);
  };

  const fork = (slot: Slot, index: number) => {
    slot.restart = undefined;
    slot.startedAt = Date.now();
    slot.listened = false;
    slot.listenedAt = undefined;
    const worker = cluster.fork({ GATEWAY_WORKER_INDEX: String(index) });
    slot.worker = worker;
    worker.once('listening', () => {
      slot.listened = true;
      slot.listenedAt = Date.now();
      startFailuresInARow = 0;
    });
    worker.once('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        if (code !== 0) failedExits += 1;
        logger.info({ worker: index, pid: worker.process.pid, code, signal }, 'gateway worker exited');
        return finishIfDone();
      }
      const lived = Date.now() - slot.startedAt;
      const stable = slot.listenedAt !== undefined && Date.now() - slot.listenedAt >= stableAfterMs;
      slot.youngDeaths = stable ? 1 : slot.youngDeaths + 1;
      if (!slot.listened && ++startFailuresInARow >= maxStartFailures) {
        logger.fatal({ startFailuresInARow }, 'gateway workers keep dying before they listen: giving up');
        stopping = true;
        failedExits += 1;
        for (const other of slots) {
          clearTimeout(other.restart);
          other.worker?.process.kill('SIGTERM');
        }
        return finishIfDone();
      }
      const delayMs = stable ? 0 : Math.min(maxBackoffMs, backoffBaseMs * 2 ** (slot.youngDeaths - 1));
      logger.error({ worker: index, pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delayMs }, 'gateway worker died: restarting it');
      slot.restart = setTimeout(() => fork(slot, index), delayMs);
    });
  };

  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: slots.filter((slot) => slot.worker).length }, 'shutting down: draining the gateway workers');
    for (const slot of slots) {
      clearTimeout(slot.restart);
      slot.worker?.process.kill('SIGTERM');
    }
    // A worker stuck past its drain bound is killed, and the primary reports the failure.
    setTimeout(() => {
      for (const slot of slots) {
        if (!slot.worker) continue;
        logger.error({ pid: slot.worker.process.pid }, 'gateway worker did not exit in time: killing it');
        slot.worker.process.kill('SIGKILL');
      }
    }, shutdownTimeoutMs).unref();
    finishIfDone();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  if (!process.env.REDIS_URL)
    logger.warn({ workers }, 'no REDIS_URL: every gateway worker keeps its own rate-limit buckets (a client may get up to N× its limit)');
  logger.info({ workers, pid: process.pid }, 'gateway primary: forking workers');
  slots.forEach((slot, index) => fork(slot, index));
}
