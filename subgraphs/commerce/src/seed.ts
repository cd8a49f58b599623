import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, type Database } from '@ipay/platform';
import { merchants, orders } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export async function seed(db: Database<typeof schema>): Promise<void> {
  // Sandbox merchants are seeded by identity, not announced: the projection starts from the same fixture.
  await db
    .insert(merchants)
    .values(SANDBOX_MERCHANTS.map((m) => ({ id: m.id, slug: m.slug, name: m.name, country: m.country, currency: m.currency })))
    .onConflictDoNothing();
  await db
    .insert(orders)
    .values(
      SANDBOX_ORDERS.map((o) => ({
        id: o.id,
        merchantId: o.merchantId,
        livemode: false,
        merchantReference: o.reference,
        status: o.status,
        totalAmount: o.amount,
        currency: o.currency,
        customerName: o.customerName,
        customerEmail: o.customerEmail,
        subtotalAmount: o.amount,
        source: 'SANDBOX' as const,
        createdAt: o.createdAt,
        updatedAt: o.createdAt,
      })),
    )
    .onConflictDoNothing();
}
