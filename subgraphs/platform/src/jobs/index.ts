import PgBoss from 'pg-boss';
import type { Database } from '../db.ts';
import type { Logger } from '../logger.ts';

/**
 * The one job queue of the platform: pg-boss over the subgraph's own PostgreSQL schema `<subgraph>_jobs`.
 * Both database modes run the same library through pg-boss's bring-your-own `db.executeSql`, backed by the subgraph's
 * drizzle database (postgres.js on a real server, the shared PGlite embedded). pg-boss creates and migrates its schema on
 * start, outside drizzle's migrations (drizzle declares no table there, so `db:check` does not see it).
 * Why pg-boss: graphile-worker needs a pg Pool plus a LISTEN connection; on PGlite that means pglite-socket, which
 * serves one connection at a time (a second client is cut off), so it cannot run embedded. Why a schema per subgraph:
 * each subgraph owns its PostgreSQL schema, and its jobs go (and are backed up, dropped, inspected) with it.
 */

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rows of pg-boss's own SQL

/** pg-boss's `db` contract: run one SQL text with positional values, answer `{ rows }`. */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
}

export interface RetryPolicy {
  /** Retries after the first attempt (0 = fail at once). */
  limit: number;
  /** Seconds before the first retry. */
  delaySeconds: number;
  /** Exponential backoff with jitter: retry n waits between delay·2ⁿ⁻¹ and delay·2ⁿ (pg-boss's "equal jitter"). */
  backoff?: boolean;
}

export type JobSchedule =
  /** A cron expression (UTC, minute granularity), evaluated by pg-boss once across all replicas. */
  | { cron: string }
  /**
   * Every N ms (sub-minute ticks): each replica offers a job per slot; pg-boss's singleton slot keeps it to one job
   * per slot across replicas. 0 or less turns the schedule off.
   */
  | { everyMs: number };

export interface JobContext {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
}

export interface JobDefinition<T> {
  /** Queue name, unique within the subgraph. */
  name: string;
  handler(data: T, job: JobContext): Promise<void>;
  retry?: RetryPolicy;
  schedule?: JobSchedule;
  /** Jobs this process runs at once for this queue (default 1). */
  concurrency?: number;
  /** An attempt running longer than this fails (and is retried per policy); default 15 minutes. */
  expireInSeconds?: number;
}

export interface SendOptions {
  /** Enqueue inside the caller's drizzle transaction: the job exists only if the transaction commits. */
  tx?: unknown;
  /** Delay or absolute start. */
  startAfter?: Date | number;
  /** At most one job with this key per time slot of `seconds` (across replicas). */
  singleton?: { key: string; seconds: number };
  /** Overrides the queue's retry policy for this job. */
  retry?: RetryPolicy;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  error: unknown;
  retryCount: number;
  createdOn: Date;
  completedOn: Date | null;
}

export interface JobState {
  id: string;
  name: string;
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  retryCount: number;
  output: unknown;
}

export interface JobQueueOptions {
  /** How often idle workers look for due jobs (JOBS_POLL_INTERVAL_MS, default 2000; at least 500). Local sends wake them at once. */
  pollIntervalMs?: number;
  /** How often pg-boss evaluates cron schedules (JOBS_CRON_CHECK_SECONDS, default 30, 1..45). */
  cronCheckSeconds?: number;
}

export const jobsSchema = (subgraph: string) => `${subgraph}_jobs`;

const nullForUndefined = (list?: unknown[]) => (list ?? []).map((value) => (value === undefined ? null : value));

/**
 * Runs pg-boss's SQL through a drizzle database or transaction, on whichever driver is under it (PGlite or postgres.js):
 * the queue then shares the subgraph's connections (and, given a transaction, commits with the caller's writes).
 */
export function drizzleExecutor(dbOrTx: unknown): SqlExecutor {
  // drizzle keeps the driver's client (or transaction client) on its session.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the driver's client: postgres.js Sql or PGlite
  const client = (dbOrTx as { session?: { client?: any } }).session?.client;
  if (!client) throw new Error('not a drizzle database or transaction');
  if (typeof client.unsafe === 'function') {
    // postgres.js sends an untyped object only as a string: pg-boss's job data is such a parameter.
    const serialized = (list?: unknown[]) =>
      nullForUndefined(list).map((v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? JSON.stringify(v) : v));
    return {
      executeSql: async (text, list) => {
        if (list && list.length > 0) return { rows: [...(await client.unsafe(text, serialized(list)))] };
        // Without values pg-boss may send a script with its own BEGIN/COMMIT (schema plans): one reserved connection runs it.
        const reserved = typeof client.reserve === 'function' ? await client.reserve() : client;
        let result;
        try {
          result = await reserved.unsafe(text).simple();
        } catch (error) {
          // A failed script leaves its transaction open: close it before the connection goes back to the pool.
          await reserved.unsafe('rollback').catch(() => undefined);
          throw error;
        } finally {
          if (reserved !== client) reserved.release();
        }
        const last = Array.isArray(result) && Array.isArray(result.at(-1)) ? result.at(-1) : result;
        return { rows: [...(last ?? [])] };
      },
    };
  }
  return {
    executeSql: async (text, list) => {
      if (!list || list.length === 0) {
        const results = await client.exec(text);
        return { rows: results.at(-1)?.rows ?? [] };
      }
      return client.query(text, nullForUndefined(list));
    },
  };
}

/** Replicas starting at once may deadlock creating the same queue's partition; the loser tries again. */
/**
 * Catalogue races of replicas starting at once on a fresh schema: a deadlock, or the loser of two concurrent
 * CREATEs (schema, table or a view's row type already there). The work is retried after a short, growing pause;
 * by then the winner has committed and the loser finds what it wanted to create.
 */
const STARTUP_RACE_CODES = new Set(['40P01', '42P06', '42P07', '42710', '23505']);
async function retryStartupRace<T>(work: () => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!STARTUP_RACE_CODES.has((error as { code?: string }).code ?? '') || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 50));
    }
  }
}

const envNumber = (value: string | undefined) => (value !== undefined && value !== '' ? Number(value) : undefined);

/** The job queue of one subgraph. Define jobs, then start (after migrations); stop drains running jobs. */
export class JobQueue {
  readonly schema: string;
  private boss!: PgBoss;
  private readonly newBoss: () => PgBoss;
  private readonly executor: SqlExecutor;
  private readonly definitions = new Map<string, JobDefinition<unknown>>();
  private readonly workerIds = new Map<string, string[]>();
  private readonly tickers: NodeJS.Timeout[] = [];
  private readonly pollIntervalMs: number;
  private state: 'defining' | 'starting' | 'started' | 'stopped' = 'defining';
  /** pg-boss's SQL still running; stop waits for it, because pg-boss settles jobs without awaiting that SQL. */
  private readonly bossSqlInFlight = new Set<Promise<unknown>>();
  /** Set once stop has drained: pg-boss's SQL from then on would reach a pool the subgraph is about to close. */
  private bossSqlClosed = false;

  constructor(
    db: Database<Record<string, unknown>>,
    readonly subgraph: string,
    private readonly logger: Logger,
    options: JobQueueOptions = {},
  ) {
    this.schema = jobsSchema(subgraph);
    this.pollIntervalMs = Math.max(500, options.pollIntervalMs ?? envNumber(process.env.JOBS_POLL_INTERVAL_MS) ?? 2000);
    const cronCheckSeconds = Math.min(45, Math.max(1, options.cronCheckSeconds ?? envNumber(process.env.JOBS_CRON_CHECK_SECONDS) ?? 30));
    const common = {
      schema: this.schema,
      cronMonitorIntervalSeconds: cronCheckSeconds,
      cronWorkerIntervalSeconds: Math.min(cronCheckSeconds, 5),
      // Failed jobs stay visible (failedJobs / the failed_jobs view) for a week before pg-boss archives them.
      archiveFailedSeconds: 7 * 24 * 3600,
    };
    this.executor = drizzleExecutor(db);
    this.newBoss = () => {
      // pg-boss's cron clock (its own internal queue and polling) only runs for a queue that has a cron schedule.
      const cron = [...this.definitions.values()].some((d) => d.schedule && 'cron' in d.schedule);
      const boss = new PgBoss({ ...common, schedule: cron, db: this.bossExecutor() });
      boss.on('error', (err) => this.logger.error({ err }, 'job queue error'));
      return boss;
    };
  }

  /**
   * The executor pg-boss runs on. pg-boss completes or fails a job after its handler returns without awaiting (or
   * catching) that SQL, so a handler that outlives stop's drain would send it to a closed pool, as an unhandled
   * rejection. Its SQL is tracked so stop can wait for it. After stop it is not sent, and its promise never settles
   * (no caller awaits it: an answer would be invented, a rejection unhandled); it is logged. pg-boss's shutdown has
   * already failed such a job, and the job is retried per its policy.
   */
  private bossExecutor(): SqlExecutor {
    return {
      executeSql: (text, values) => {
        if (this.bossSqlClosed) {
          this.logger.warn({ subgraph: this.subgraph, sql: text.trim().slice(0, 80) }, 'job queue SQL not sent: it came after the queue stopped');
          return new Promise<never>(() => {});
        }
        const running = this.executor.executeSql(text, values);
        this.bossSqlInFlight.add(running);
        running.then(
          () => this.bossSqlInFlight.delete(running),
          () => this.bossSqlInFlight.delete(running),
        );
        return running;
      },
    };
  }

  /** Declares a job; before start. Returns a typed sender. */
  define<T>(definition: JobDefinition<T>): { name: string; send(data: T, options?: SendOptions): Promise<string | null> } {
    if (this.state !== 'defining') throw new Error(`job ${definition.name} defined after the queue started`);
    if (this.definitions.has(definition.name)) throw new Error(`job ${definition.name} is defined twice`);
    this.definitions.set(definition.name, definition as JobDefinition<unknown>);
    return { name: definition.name, send: (data, options) => this.send(definition.name, data, options) };
  }

  /** Creates/migrates the queue schema, the queues, the failed_jobs view, schedules and workers. */
  async start(): Promise<void> {
    if (this.state !== 'defining') return;
    this.state = 'starting';
    // Two replicas installing the schema at once: the loser finds it installed on a later try (with a fresh instance:
    // pg-boss does not restart a failed one).
    await retryStartupRace(async () => {
      this.boss = this.newBoss();
      await this.boss.start();
    });
    // Two concurrent CREATE OR REPLACE VIEW race on the view's row type (23505 on pg_type): retried the same way.
    await retryStartupRace(() =>
      this.executor.executeSql(
        `create or replace view ${this.schema}.failed_jobs as
           select id, name, data, output, retry_count, created_on, completed_on from ${this.schema}.job where state = 'failed'
           union all
           select id, name, data, output, retry_count, created_on, completed_on from ${this.schema}.archive where state = 'failed'`,
      ),
    );
    for (const definition of this.definitions.values()) {
      await retryStartupRace(() =>
        this.boss.createQueue(definition.name, {
          name: definition.name,
          retryLimit: definition.retry?.limit ?? 0,
          retryDelay: definition.retry?.delaySeconds ?? 0,
          retryBackoff: definition.retry?.backoff ?? false,
          expireInSeconds: definition.expireInSeconds ?? 15 * 60,
        }),
      );
      const schedule = definition.schedule;
      if (schedule && 'cron' in schedule) await this.boss.schedule(definition.name, schedule.cron, {}, { tz: 'UTC' });
      else await this.boss.unschedule(definition.name);
      if (schedule && 'everyMs' in schedule && schedule.everyMs > 0) this.startTicker(definition.name, schedule.everyMs);
      const ids: string[] = [];
      for (let i = 0; i < (definition.concurrency ?? 1); i += 1) {
        ids.push(
          await this.boss.work<unknown>(definition.name, { pollingIntervalSeconds: this.pollIntervalMs / 1000, batchSize: 1, includeMetadata: true }, ([job]) =>
            this.run(definition, job!),
          ),
        );
      }
      this.workerIds.set(definition.name, ids);
    }
    this.state = 'started';
  }

  /** Stops taking jobs, waits for running ones to finish (up to timeoutMs), then stops the queue. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'stopped') return;
    const wasStarted = this.state !== 'defining';
    this.state = 'stopped';
    for (const t of this.tickers) clearInterval(t);
    if (!wasStarted) return;
    // pg-boss's graceful stop waits while any worker holds a job; our handlers complete/fail their job before returning.
    const startedAt = Date.now();
    await new Promise<void>((resolve) => {
      this.boss.once('stopped', () => resolve());
      void this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs }).catch((err) => {
        this.logger.error({ err }, 'job queue did not stop cleanly');
        resolve();
      });
    });
    // Completions of jobs that finished just before the end are still on the wire: let them land first.
    while (this.bossSqlInFlight.size > 0) await Promise.allSettled([...this.bossSqlInFlight]);
    this.bossSqlClosed = true;
    this.logger.debug({ ms: Date.now() - startedAt }, 'job queue stopped');
  }

  /** Enqueues a job (inside `options.tx` when given). Returns its id, or null when its singleton slot is already taken. */
  async send<T>(name: string, data: T, options: SendOptions = {}): Promise<string | null> {
    if (!this.definitions.has(name)) throw new Error(`unknown job ${name}`);
    // Inside a caller's transaction the job row commits with it (another replica, or this one restarted, runs it);
    // outside one it would go through pg-boss's executor, which sends nothing once the queue has stopped.
    if (this.state === 'stopped' && !options.tx) throw new Error(`job queue ${this.subgraph} is stopped: ${name} not sent`);
    const id = await this.boss.send(name, (data ?? null) as object, {
      ...(options.tx ? { db: drizzleExecutor(options.tx) } : {}),
      ...(options.startAfter !== undefined
        ? { startAfter: typeof options.startAfter === 'number' ? Math.max(0, Math.ceil(options.startAfter / 1000)) : options.startAfter }
        : {}),
      ...(options.singleton ? { singletonKey: options.singleton.key, singletonSeconds: options.singleton.seconds } : {}),
      ...(options.retry ? { retryLimit: options.retry.limit, retryDelay: options.retry.delaySeconds, retryBackoff: options.retry.backoff ?? false } : {}),
    });
    // A job sent outside a transaction is visible now: wake this process's idle workers instead of waiting for a poll.
    if (!options.tx) this.wake(name);
    return id;
  }

  /** Wakes this process's workers of a queue (e.g. after the caller's transaction that enqueued a job committed). */
  wake(name: string): void {
    for (const id of this.workerIds.get(name) ?? []) this.boss.notifyWorker(id);
  }

  /** Where one job stands (tests and tools wait on it). */
  async job(name: string, id: string): Promise<JobState | null> {
    if (this.state === 'stopped') throw new Error(`job queue ${this.subgraph} is stopped: job ${id} not read`);
    const job = await this.boss.getJobById(name, id, { includeArchive: true });
    if (!job) return null;
    return { id: job.id, name: job.name, state: job.state, retryCount: job.retryCount, output: job.output };
  }

  /** Jobs that used up their retries, newest first (also the `<subgraph>_jobs.failed_jobs` view). */
  async failedJobs(options: { name?: string; limit?: number } = {}): Promise<FailedJob[]> {
    const { rows } = await this.executor.executeSql(
      `select id, name, data, output, retry_count, created_on, completed_on from ${this.schema}.failed_jobs
        where $1::text is null or name = $1 order by completed_on desc nulls last limit $2`,
      [options.name ?? null, options.limit ?? 100],
    );
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      data: row.data,
      error: row.output,
      retryCount: row.retry_count,
      createdOn: new Date(row.created_on),
      completedOn: row.completed_on ? new Date(row.completed_on) : null,
    }));
  }

  /** Counts of this subgraph's jobs by queue and state (operators, tests). */
  async counts(name?: string): Promise<Record<string, number>> {
    const { rows } = await this.executor.executeSql(
      `select state::text as state, count(*)::int as count from ${this.schema}.job where $1::text is null or name = $1 group by state`,
      [name ?? null],
    );
    return Object.fromEntries(rows.map((row) => [row.state, Number(row.count)]));
  }

  private startTicker(name: string, everyMs: number) {
    const singletonSeconds = Math.max(1, Math.round(everyMs / 1000));
    const offer = () => {
      if (this.state !== 'started' && this.state !== 'starting') return;
      this.boss
        .send(name, {}, { singletonKey: `${name}:every`, singletonSeconds })
        .then((id) => id && this.wake(name))
        .catch((err) => this.logger.error({ err, job: name }, 'could not schedule a job'));
    };
    // Slots are whole seconds: offering more often than once a second would only be refused.
    const timer = setInterval(offer, Math.max(everyMs, 1000));
    timer.unref();
    this.tickers.push(timer);
  }

  private async run(definition: JobDefinition<unknown>, job: PgBoss.JobWithMetadata<unknown>): Promise<void> {
    const retryCount = job.retryCount;
    try {
      await definition.handler(job.data, { id: job.id, retryCount });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.logger.warn({ err, job: definition.name, jobId: job.id, retryCount }, 'job attempt failed');
      // Settled here (awaited) rather than by pg-boss after the callback, so a drained stop leaves no job half-recorded.
      await this.boss.fail(definition.name, job.id, { message: err.message, name: err.name });
      return;
    }
    await this.boss.complete(definition.name, job.id);
  }
}
