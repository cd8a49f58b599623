/**
 * The gateway levers of issue 17, each measured alone in one process (CPU microseconds per operation, median of 5
 * interleaved batches): internal token jose vs node:crypto (sign and verify), the operation guard uncached vs
 * cached, a subgraph call via fetch + AbortSignal.timeout vs undici's pool. Writes results/gateway-levers.json.
 *
 *   pnpm exec tsx scripts/bench/gateway-levers.ts
 */
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { SignJWT, jwtVerify } from 'jose';
import { Agent } from 'undici';
import { signInternalTokenSync, verifyInternalTokenSync } from '@ipay/platform';
import { OperationGuard, DEFAULT_OPERATION_LIMITS } from '@ipay/gateway/src/limits.ts';
import { machine } from './gateway-lib.ts';

const SECRET = 'bench-secret-bench-secret-bench-secret';
const claims = {
  requestId: '0190f4c2-7c1e-7000-8000-000000000000',
  principal: { id: 'key_1', kind: 'API_KEY', merchantIds: ['mer_1'], roles: ['operator'] } as never,
  sourceIp: '127.0.0.1',
};
const joseKey = new TextEncoder().encode(SECRET);

async function cpuPerOp(ops: number, run: () => unknown | Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < ops; i++) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ops;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function compare(name: string, ops: number, variants: Record<string, () => unknown | Promise<unknown>>) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const run of Object.values(variants)) await cpuPerOp(Math.ceil(ops / 5), run);
  for (let batch = 0; batch < 5; batch++) for (const [variant, run] of Object.entries(variants)) samples[variant]!.push(await cpuPerOp(ops, run));
  const result = Object.fromEntries(Object.entries(samples).map(([variant, values]) => [variant, Number(median(values).toFixed(1))]));
  console.log(
    `${name}: ${Object.entries(result)
      .map(([v, us]) => `${v} ${us} µs`)
      .join(', ')}`,
  );
  return { name, microsPerOp: result };
}

const results = [];
const joseToken = await new SignJWT({ rid: claims.requestId, prn: claims.principal, ip: claims.sourceIp })
  .setProtectedHeader({ alg: 'HS256' })
  .setIssuer('ipay-gateway')
  .setAudience('ipay-subgraph')
  .setIssuedAt()
  .setExpirationTime('60s')
  .sign(joseKey);
const ownToken = signInternalTokenSync(SECRET, claims);
results.push(
  await compare('sign internal token', 2000, {
    jose: () =>
      new SignJWT({ rid: claims.requestId, prn: claims.principal, ip: claims.sourceIp })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('ipay-gateway')
        .setAudience('ipay-subgraph')
        .setIssuedAt()
        .setExpirationTime('60s')
        .sign(joseKey),
    'node:crypto': () => signInternalTokenSync(SECRET, claims),
  }),
);
results.push(
  await compare('verify internal token', 2000, {
    jose: () => jwtVerify(joseToken, joseKey, { issuer: 'ipay-gateway', audience: 'ipay-subgraph', algorithms: ['HS256'] }),
    'node:crypto': () => verifyInternalTokenSync(SECRET, ownToken),
  }),
);

const query = `query Orders($n: Int!) { orders(first: $n) { edges { node { id merchantReference status total { amount currency } customer { name email } merchant { id slug name } paymentSession { reference status psp amount { amount currency } } shipment { trackingNumber status carrier { code name } } } } } }`;
const limits = { ...DEFAULT_OPERATION_LIMITS, cost: 1_000_000 };
const cached = new OperationGuard({}, limits);
results.push(
  await compare('operation guard check', 300, {
    // A fresh guard per call is what every request paid before the cache.
    uncached: () => new OperationGuard({}, limits).check({ query, variables: { n: 10 } }),
    cached: () => cached.check({ query, variables: { n: 10 } }),
  }),
);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"ok":true}}'));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`;
const agent = new Agent({ keepAliveTimeout: 30_000 });
const body = JSON.stringify({ query: '{ ok }' });
// Client and server share this process: the numbers include the server's side, alike for both.
results.push(
  await compare('subgraph call (client + local server)', 500, {
    'fetch + AbortSignal.timeout': async () =>
      (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) })).json(),
    'undici Agent.request': async () =>
      JSON.parse(
        await (
          await agent.request({
            origin: new URL(url).origin,
            path: '/graphql',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          })
        ).body.text(),
      ),
  }),
);
server.close();
await agent.close();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/gateway-levers.json', import.meta.url),
  `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), results }, null, 2)}\n`,
);
process.exit(0);
