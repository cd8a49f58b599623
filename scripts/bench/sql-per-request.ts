/**
 * Benchmark 6b, SQL statements per request: the order list with merchant, payment session and shipment for 1, 10 and
 * 100 orders, statements counted per subgraph (QueryCounter). DataLoader batching keeps the count flat: the same for
 * 100 orders as for 1. Fails (exit 1) when it is not. Writes scripts/bench/results/sql-per-request.json.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/test pnpm exec tsx scripts/bench/sql-per-request.ts
 */
import { addPaidShippedOrders } from '@ipay/system';
import { writeResult } from './lib.ts';
import { SANDBOX_KEYS, startBenchSystem } from './system.ts';

const SIZES = [1, 10, 100];
const QUERY = `query OrderList($n: Int!) { orders(first: $n) { edges { node {
  id merchantReference status total { amount currency }
  merchant { id name } paymentSession { reference status } shipment { trackingNumber status }
} } } }`;

const system = await startBenchSystem();
try {
  // 100 more paid, shipped orders, each subgraph's rows in its own database, so every size returns full pages.
  const { commerce, payments, logistics } = system.subgraphs;
  await addPaidShippedOrders(
    { commerce: commerce.database.db, payments: payments.database.db, logistics: logistics.database.db },
    { count: 100, label: 'bench-sql', referenceBase: 800000 },
  );

  const rows: ({ orders: number; total: number } & Record<string, number>)[] = [];
  for (const n of SIZES) {
    // The second call is counted: the first may warm caches (the principal, prepared plans).
    let counts: Record<string, number> = {};
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const counter of Object.values(system.counters)) counter.reset();
      const response = await fetch(system.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_KEYS.operator}` },
        body: JSON.stringify({ query: QUERY, variables: { n } }),
      });
      const body = (await response.json()) as { data?: { orders: { edges: unknown[] } }; errors?: unknown };
      if (body.errors || body.data?.orders.edges.length !== n) throw new Error(`orders(first: ${n}): ${JSON.stringify(body).slice(0, 400)}`);
      counts = Object.fromEntries(Object.entries(system.counters).map(([name, c]) => [name, c.count]));
    }
    rows.push({ orders: n, ...counts, total: Object.values(counts).reduce((a, b) => a + b, 0) });
  }
  console.table(rows);
  const flat = rows.every((row) => row.total === rows[0]!.total);
  console.log(flat ? 'flat: the same statements for 1, 10 and 100 orders' : 'NOT FLAT: statements grow with the list');
  console.log(
    `wrote ${writeResult('sql-per-request', { benchmark: 'SQL statements per order-list request', database: system.kind, query: QUERY, results: rows, flat })}`,
  );
  if (!flat) process.exitCode = 1;
} finally {
  await system.stop();
}
