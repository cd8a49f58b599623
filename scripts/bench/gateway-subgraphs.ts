/**
 * The subgraphs of benchmark 1 in a process of their own: the five ipay subgraphs on the embedded PGlite, seeded,
 * plus 100 paid and shipped orders so `orders(first: 100)` is a full page across commerce, identity, payments and
 * logistics. Tells the harness the URLs, the sandbox operator's Authorization header and its principal.
 */
import { SANDBOX_MERCHANTS, createLogger, internalTokenSecret, sandboxId } from '@ipay/platform';
import { apiKeyPepper } from '@ipay/identity/src/app/services.ts';
import { sandboxCredentials } from '@ipay/identity/src/sandbox/seed.ts';
import { orders } from '@ipay/commerce/src/db/schema.ts';
import { paymentSessions } from '@ipay/payments/src/db/schema.ts';
import { shipments } from '@ipay/logistics/src/db/schema.ts';
import { paymentReferenceFromNumber } from '@ipay/payments/src/domain/reference.ts';
import { Authenticator } from '@ipay/gateway/src/auth.ts';
import { startSystem } from '@ipay/system';
import { serveStats } from './gateway-lib.ts';

const system = await startSystem({ seed: true, ephemeralPorts: true, logger: createLogger('bench') });
const merchant = SANDBOX_MERCHANTS[0]!;
const at = (i: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, i % 60, i));
const ids = Array.from({ length: 100 }, (_, i) => sandboxId('ord', `bench:${i}`));
await system.subgraphs.commerce.database.db.insert(orders).values(
  ids.map((id, i) => ({
    id,
    merchantId: merchant.id,
    livemode: false,
    merchantReference: `BENCH-${i}`,
    status: 'DELIVERED' as const,
    totalAmount: 1000 + i,
    currency: 'EUR',
    customerName: 'Bench Buyer',
    customerEmail: 'bench@example.com',
    createdAt: at(i),
    updatedAt: at(i),
  })),
);
await system.subgraphs.payments.database.db.insert(paymentSessions).values(
  ids.map((id, i) => ({
    id: sandboxId('pay', id),
    reference: paymentReferenceFromNumber(BigInt(800000 + i)),
    orderId: id,
    merchantId: merchant.id,
    livemode: false,
    status: 'CONFIRMED' as const,
    amount: 1000 + i,
    currency: 'EUR',
    psp: 'adyen',
    method: 'card',
    expiresAt: at(i),
    createdAt: at(i),
    updatedAt: at(i),
  })),
);
await system.subgraphs.logistics.database.db.insert(shipments).values(
  ids.map((id, i) => ({
    id: sandboxId('shp', id),
    orderId: id,
    merchantId: merchant.id,
    livemode: false,
    carrierCode: i % 2 ? 'dhl' : 'ups',
    trackingNumber: `BENCH${i}`,
    status: 'DELIVERED' as const,
    createdAt: at(i),
    updatedAt: at(i),
  })),
);
const authorization = `Bearer ${sandboxCredentials(apiKeyPepper({})).operator!}`;
const principal = await new Authenticator({
  identityUrl: system.subgraphUrls.identity,
  internalSecret: internalTokenSecret(),
  logger: createLogger('bench'),
}).authenticate(authorization, 'bench');
serveStats({ urls: system.subgraphUrls, authorization, principal });
