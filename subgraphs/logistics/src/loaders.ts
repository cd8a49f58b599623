import { desc, inArray } from 'drizzle-orm';
import { rowLoader, type Database } from '@ipay/platform';
import { carriers, shipments, type CarrierRow, type ShipmentRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

export function createLoaders(db: Database<typeof schema>) {
  return {
    shipmentById: rowLoader<string, ShipmentRow>(
      (ids) => db.select().from(shipments).where(inArray(shipments.id, [...ids])),
      (row) => row.id,
    ),
    /** Each order's newest shipment, for many orders in one statement. */
    latestShipmentByOrderId: rowLoader<string, ShipmentRow>(
      (orderIds) =>
        db
          .selectDistinctOn([shipments.orderId])
          .from(shipments)
          .where(inArray(shipments.orderId, [...orderIds]))
          .orderBy(shipments.orderId, desc(shipments.createdAt), desc(shipments.id)),
      (row) => row.orderId,
    ),
    carrierByCode: rowLoader<string, CarrierRow>(
      (codes) => db.select().from(carriers).where(inArray(carriers.code, [...codes])),
      (row) => row.code,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
