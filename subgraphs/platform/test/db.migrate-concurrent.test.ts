import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

// Every service migrates its own schema at start-up, and docker-compose (and the fault scripts) start them all at
// once against one empty database. Their journals share the `drizzle` schema, whose `CREATE SCHEMA IF NOT EXISTS`
// is not safe under concurrency in PostgreSQL: two services creating it at once used to fail one of them with
// `duplicate key value violates unique constraint "pg_namespace_nspname_index"` (CI, fault e).
const SUBGRAPHS = ['identity', 'commerce', 'payments', 'logistics', 'finance'] as const;
const folderOf = (subgraph: string) => fileURLToPath(new URL(`../../${subgraph}/drizzle`, import.meta.url));

// A race on real PostgreSQL only: PGlite is one connection, where nothing runs at once.
describe.skipIf(!process.env.DATABASE_URL)('migrations of all services at once on one empty database', () => {
  let databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(databases.map((database) => database.cleanup()));
    databases = [];
  });

  it('every service migrates, however their starts interleave', async () => {
    // Several fresh databases, because one interleaving may happen to serialise by luck.
    for (let round = 0; round < 4; round += 1) {
      const database = await createTestDatabase();
      databases.push(database);
      const handles = SUBGRAPHS.map(() => openDatabase(database.target, { schema: {}, maxConnections: 1 }));
      try {
        const outcomes = await Promise.allSettled(SUBGRAPHS.map((subgraph, i) => handles[i]!.migrate(subgraph, folderOf(subgraph))));
        expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason))).toEqual([]);
        const handle = handles[0]!;
        const journals = (await handle.db.execute(
          `select table_name from information_schema.tables where table_schema = 'drizzle' order by table_name`,
        )) as unknown as { table_name: string }[];
        expect(journals.map((row) => row.table_name)).toEqual(SUBGRAPHS.map((subgraph) => `${subgraph}_migrations`).sort());
      } finally {
        await Promise.all(handles.map((handle) => handle.close()));
      }
    }
  });
});
