import { and, asc, inArray, sql } from 'drizzle-orm';
import { boolean, pgSchema, text } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyOf,
  openDatabase,
  preparedQuery,
  preparedScopeCondition,
  QueryCounter,
  scopeCondition,
  type DataScope,
  type Database,
  type DatabaseHandle,
} from '../src/index.ts';
import { createTestDatabase, type TestDatabase } from '../src/testing.ts';

// A scoped table like the subgraphs' (orders, shipments): merchant, mode, carrier and order columns.
const schema = pgSchema('prepared_test');
const parcels = schema.table('parcels', {
  id: text('id').primaryKey(),
  merchantId: text('merchant_id').notNull(),
  livemode: boolean('livemode').notNull(),
  carrierCode: text('carrier_code').notNull(),
  orderId: text('order_id').notNull(),
});
const withCarrier = { merchantId: parcels.merchantId, livemode: parcels.livemode, carrierCode: parcels.carrierCode, orderId: parcels.orderId };
const withoutCarrierOrOrder = { merchantId: parcels.merchantId, livemode: parcels.livemode };

const ROWS = Array.from({ length: 24 }, (_, i) => ({
  id: `p${String(i).padStart(2, '0')}`,
  merchantId: `m${i % 3}`,
  livemode: i % 2 === 0,
  carrierCode: i % 4 < 2 ? 'dhl' : 'ups',
  orderId: `o${i % 6}`,
}));

const SCOPES: [string, DataScope][] = [
  ['ALL', { kind: 'ALL' }],
  ['one merchant', { kind: 'MERCHANTS', merchantIds: ['m1'] }],
  ['two merchants', { kind: 'MERCHANTS', merchantIds: ['m0', 'm2'] }],
  ['no merchant', { kind: 'MERCHANTS', merchantIds: [] }],
  ['one carrier', { kind: 'CARRIERS', carrierCodes: ['ups'] }],
  ['no carrier', { kind: 'CARRIERS', carrierCodes: [] }],
  ['one order', { kind: 'ORDER', merchantId: 'm0', orderId: 'o3' }],
  ['an order of another merchant', { kind: 'ORDER', merchantId: 'm1', orderId: 'o3' }],
];

let database: TestDatabase;
let handle: DatabaseHandle<Record<string, unknown>>;
let db: Database<Record<string, unknown>>;
const counter = new QueryCounter();

beforeAll(async () => {
  database = await createTestDatabase();
  handle = openDatabase(database.target, { schema: {}, counter, maxConnections: 2 });
  db = handle.db;
  await db.execute(sql`create schema prepared_test`);
  await db.execute(
    sql`create table prepared_test.parcels (id text primary key, merchant_id text not null, livemode boolean not null, carrier_code text not null, order_id text not null)`,
  );
  await db.insert(parcels).values(ROWS);
});
afterAll(async () => {
  await handle?.close();
  await database?.cleanup();
});

const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();

describe('prepared scoped queries', () => {
  // Each scope in both modes, and each prepared query run again with other keys: values are placeholders, not baked in.
  for (const columns of [withCarrier, withoutCarrierOrOrder]) {
    const label = columns === withCarrier ? 'with carrier and order columns' : 'without them';
    it.each(SCOPES)(`reads what scopeCondition reads: %s (${label})`, async (_, scope) => {
      for (const livemode of [false, true]) {
        for (const keys of [ROWS.map((row) => row.id), ['p00', 'p03', 'p09', 'p18', 'nope']]) {
          const expected = await db
            .select()
            .from(parcels)
            .where(and(inArray(parcels.id, keys), scopeCondition(scope, livemode, columns)));
          const prepared = preparedScopeCondition(scope, livemode, columns);
          const query = preparedQuery(db, `parcels:${columns === withCarrier ? 'c' : 'n'}:${prepared.shape}`, (name) =>
            db
              .select()
              .from(parcels)
              .where(and(anyOf(parcels.id, 'ids'), prepared.condition))
              .orderBy(asc(parcels.id))
              .prepare(name),
          );
          expect(ids(await query.execute({ ...prepared.values, ids: keys }))).toEqual(ids(expected));
        }
      }
    });
  }

  it('builds a query once per database and shape, and still sends (and counts) a statement per execution', async () => {
    let builds = 0;
    const build = (name: string) => {
      builds += 1;
      return db.select().from(parcels).where(anyOf(parcels.id, 'ids')).prepare(name);
    };
    const first = preparedQuery(db, 'parcels:by-id', build);
    expect(preparedQuery(db, 'parcels:by-id', build)).toBe(first);
    expect(builds).toBe(1);
    counter.reset();
    expect(ids(await first.execute({ ids: ['p01'] }))).toEqual(['p01']);
    expect(ids(await first.execute({ ids: ROWS.map((row) => row.id) }))).toHaveLength(ROWS.length);
    expect(ids(await first.execute({ ids: [] }))).toEqual([]);
    expect(counter.count).toBe(3);
    // Another database handle (another subgraph, a transaction) gets its own query.
    const other = openDatabase(database.target, { schema: {}, maxConnections: 1 });
    try {
      expect(preparedQuery(other.db, 'parcels:by-id', build)).not.toBe(first);
      expect(builds).toBe(2);
    } finally {
      await other.close();
    }
  });
});
