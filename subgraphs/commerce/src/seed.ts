import { SANDBOX_ORDERS, type Database } from '@ipay/platform';
import { orders } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export async function seed(db: Database<typeof schema>): Promise<void> {
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
        createdAt: o.createdAt,
        updatedAt: o.createdAt,
      })),
    )
    .onConflictDoNothing();
}
