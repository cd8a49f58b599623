import { SANDBOX_MERCHANTS, sandboxId, type AnyDatabase } from '@ipay/platform';
import { orders } from '@ipay/commerce/src/db/schema.ts';
import { paymentSessions } from '@ipay/payments/src/db/schema.ts';
import { paymentReferenceFromNumber } from '@ipay/payments/src/domain/reference.ts';
import { shipments } from '@ipay/logistics/src/db/schema.ts';

export interface PaidOrdersOptions {
  count: number;
  /** Makes ids, references and tracking numbers unique per caller (e.g. 'bench', 'bulk'). */
  label: string;
  /** The first payment reference number; callers that seed twice into one system keep their ranges apart. */
  referenceBase: number;
}

/**
 * Adds `count` delivered orders of the first sandbox merchant, each fully paid (a CONFIRMED session for its total) and
 * shipped, writing each subgraph's rows into that subgraph's own database, so an order list is a full page across
 * commerce, payments and logistics. Used by the end-to-end tests and the benchmarks that need large pages.
 */
export async function addPaidShippedOrders(
  databases: { commerce: AnyDatabase; payments: AnyDatabase; logistics: AnyDatabase },
  { count, label, referenceBase }: PaidOrdersOptions,
) {
  const merchant = SANDBOX_MERCHANTS[0]!;
  const at = (i: number) => new Date(Date.UTC(2026, 10, 20, 12, 0, i % 60, i));
  const ids = Array.from({ length: count }, (_, i) => sandboxId('ord', `${label}:${i}`));
  const tag = label.toUpperCase().replace(/[^A-Z0-9]/g, '');
  await databases.commerce.insert(orders).values(
    ids.map((id, i) => ({
      id,
      merchantId: merchant.id,
      livemode: false,
      merchantReference: `${tag}-${i}`,
      status: 'DELIVERED' as const,
      totalAmount: 1000 + i,
      currency: 'EUR',
      customerName: 'Bench Buyer',
      customerEmail: 'bench@example.com',
      createdAt: at(i),
      updatedAt: at(i),
    })),
  );
  await databases.payments.insert(paymentSessions).values(
    ids.map((id, i) => ({
      id: sandboxId('pay', id),
      reference: paymentReferenceFromNumber(BigInt(referenceBase + i)),
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
  await databases.logistics.insert(shipments).values(
    ids.map((id, i) => ({
      id: sandboxId('shp', id),
      orderId: id,
      merchantId: merchant.id,
      livemode: false,
      carrierCode: i % 2 ? 'dhl' : 'ups',
      trackingNumber: `${tag}${i}`,
      status: 'DELIVERED' as const,
      createdAt: at(i),
      updatedAt: at(i),
    })),
  );
  return { merchant, ids, at };
}
