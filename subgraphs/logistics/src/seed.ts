import { SANDBOX_ORDERS, sandboxId, type Database, type SandboxOrderStatus } from '@ipay/platform';
import { carriers, shipments, type ShipmentRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export const CARRIERS = [
  { code: 'ups', name: 'UPS' },
  { code: 'dhl', name: 'DHL' },
  { code: 'postnl', name: 'PostNL' },
  { code: 'dpd', name: 'DPD' },
  { code: 'gls', name: 'GLS' },
  { code: 'inpost', name: 'InPost' },
];

/** Where the parcel of an order in each sandbox order status is; orders not yet paid have no parcel. */
const SHIPMENT_STATUS: Record<SandboxOrderStatus, ShipmentRow['status'] | null> = {
  CREATED: null,
  AWAITING_PAYMENT: null,
  PAID: 'LABEL_CREATED',
  OUT_FOR_DELIVERY: 'OUT_FOR_DELIVERY',
  RELEASED: 'DELIVERED',
  DELIVERED: 'DELIVERED',
  RETURNED: 'RETURNED_TO_SENDER',
  REFUNDED: 'RETURNED_TO_SENDER',
  CANCELLED: null,
};

export async function seed(db: Database<typeof schema>): Promise<void> {
  await db.insert(carriers).values(CARRIERS).onConflictDoNothing();
  const rows = SANDBOX_ORDERS.flatMap((order, i) => {
    const status = SHIPMENT_STATUS[order.status];
    if (!status) return [];
    const carrier = CARRIERS[i % CARRIERS.length]!;
    const createdAt = new Date(order.createdAt.getTime() + 3600_000);
    return [
      {
        id: sandboxId('shp', order.id),
        orderId: order.id,
        merchantId: order.merchantId,
        livemode: false,
        carrierCode: carrier.code,
        trackingNumber: `${carrier.code.toUpperCase()}${String(100000000 + i * 7919).padStart(12, '0')}`,
        status,
        createdAt,
        updatedAt: createdAt,
      },
    ];
  });
  await db.insert(shipments).values(rows).onConflictDoNothing();
}
