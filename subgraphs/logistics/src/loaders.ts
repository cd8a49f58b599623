import { and, desc, inArray } from 'drizzle-orm';
import { rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { carriers, shipments, type CarrierRow, type ShipmentRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

/** Shipments the caller may read, in its mode; carrier partners reach their own carrier's shipments. */
export const readableShipments = (auth: Authorization) =>
  scopeCondition(auth.require('shipments:read'), auth.livemode, { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode });

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    shipmentById: rowLoader<string, ShipmentRow>(
      (ids) => db.select().from(shipments).where(and(inArray(shipments.id, [...ids]), readableShipments(auth))),
      (row) => row.id,
    ),
    /** Each order's newest shipment, for many orders in one statement. */
    latestShipmentByOrderId: rowLoader<string, ShipmentRow>(
      (orderIds) =>
        db
          .selectDistinctOn([shipments.orderId])
          .from(shipments)
          .where(and(inArray(shipments.orderId, [...orderIds]), readableShipments(auth)))
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
