import { PGlite } from '@electric-sql/pglite';
import type { Logger as DrizzleLogger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/** Same drizzle API whichever driver runs underneath. */
export type Database<TSchema extends Record<string, unknown> = Record<string, never>> = PgDatabase<PgQueryResultHKT, TSchema>;
/** A database of any subgraph's schema, for the platform code that only uses the tables it is handed (audit, outbox). */
export type AnyDatabase = Database<Record<string, unknown>>;

/**
 * Where a subgraph's data lives: a real PostgreSQL server (`DATABASE_URL`), or an embedded PGlite.
 * One PGlite may be shared by all subgraphs of one process; each subgraph still owns its own schema.
 */
export type DatabaseTarget = { kind: 'postgres'; url: string } | { kind: 'pglite'; client: PGlite };

/** Counts SQL statements sent, so tests can prove a request's statement count does not grow with list length. */
export class QueryCounter {
  count = 0;
  readonly statements: string[] = [];
  reset() {
    this.count = 0;
    this.statements.length = 0;
  }
}

export interface DatabaseHandle<TSchema extends Record<string, unknown>> {
  db: Database<TSchema>;
  target: DatabaseTarget;
  /** Applies the subgraph's committed drizzle-kit migrations; safe when several replicas start at once. */
  migrate(subgraph: string, migrationsFolder: string): Promise<void>;
  ping(): Promise<void>;
  /** LISTEN on a channel; resolves to a function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions<TSchema extends Record<string, unknown>> {
  schema: TSchema;
  counter?: QueryCounter;
  maxConnections?: number;
}

export function databaseTargetFromEnv(env = process.env, dataDir?: string): DatabaseTarget {
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL };
  return { kind: 'pglite', client: new PGlite(dataDir) };
}

const migrationConfig = (subgraph: string, migrationsFolder: string) => ({
  migrationsFolder,
  // The journal lives outside the subgraph's schema because the first migration creates that schema.
  migrationsSchema: 'drizzle',
  migrationsTable: `${subgraph}_migrations`,
});

export function openDatabase<TSchema extends Record<string, unknown>>(target: DatabaseTarget, options: OpenOptions<TSchema>): DatabaseHandle<TSchema> {
  const counter = options.counter;
  const logger: DrizzleLogger | undefined = counter && {
    logQuery(query) {
      counter.count += 1;
      counter.statements.push(query);
    },
  };

  if (target.kind === 'pglite') {
    const db = drizzlePglite({ client: target.client, schema: options.schema, logger });
    return {
      db,
      target,
      migrate: (subgraph, folder) => migratePglite(db, migrationConfig(subgraph, folder)),
      ping: async () => {
        await target.client.query('select 1');
      },
      listen: async (channel, onNotify) => target.client.listen(channel, onNotify),
      notify: async (channel, payload) => {
        await target.client.query('select pg_notify($1, $2)', [channel, payload]);
      },
      // The PGlite client may be shared by other subgraphs; whoever created it closes it.
      close: async () => {},
    };
  }

  const client = postgres(target.url, { max: options.maxConnections ?? 10, onnotice: () => {} });
  const db = drizzlePostgres({ client, schema: options.schema, logger });
  return {
    db,
    target,
    migrate: async (subgraph, folder) => {
      // A session-level advisory lock on a dedicated connection serialises every migration of this database, not
      // only one service's replicas: all journals live in the shared `drizzle` schema, and PostgreSQL's
      // `CREATE SCHEMA IF NOT EXISTS` fails one of two services creating it at once (unique pg_namespace_nspname_index).
      const lockClient = postgres(target.url, { max: 1, onnotice: () => {} });
      try {
        await lockClient`select pg_advisory_lock(hashtext('ipay:migrate'))`;
        await migratePostgres(drizzlePostgres({ client: lockClient }), migrationConfig(subgraph, folder));
      } finally {
        await lockClient.end({ timeout: 5 });
      }
    },
    ping: async () => {
      await client`select 1`;
    },
    listen: async (channel, onNotify) => {
      const { unlisten } = await client.listen(channel, onNotify);
      return unlisten;
    },
    notify: async (channel, payload) => {
      await client.notify(channel, payload);
    },
    close: () => client.end({ timeout: 5 }),
  };
}
