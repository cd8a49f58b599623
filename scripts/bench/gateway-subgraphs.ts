/**
 * The subgraphs of benchmark 1 in a process of their own: the five ipay subgraphs on the embedded PGlite, seeded,
 * plus 100 paid and shipped orders so `orders(first: 100)` is a full page across commerce, identity, payments and
 * logistics. Tells the harness the URLs, the sandbox operator's Authorization header and its principal.
 */
import { createLogger, internalTokenSecret } from '@ipay/platform';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { Authenticator } from '@ipay/gateway/src/auth.ts';
import { addPaidShippedOrders, startSystem } from '@ipay/system';
import { serveStats } from './gateway-lib.ts';

const system = await startSystem({ seed: true, ephemeralPorts: true, logger: createLogger('bench') });
const { commerce, payments, logistics } = system.subgraphs;
await addPaidShippedOrders(
  { commerce: commerce.database.db, payments: payments.database.db, logistics: logistics.database.db },
  { count: 100, label: 'bench', referenceBase: 800000 },
);
const authorization = `Bearer ${sandboxCredentials(apiKeyPepper({})).operator!}`;
const principal = await new Authenticator({
  identityUrl: system.subgraphUrls.identity,
  internalSecret: internalTokenSecret(),
  logger: createLogger('bench'),
}).authenticate(authorization, 'bench');
serveStats({ urls: system.subgraphUrls, authorization, principal });
