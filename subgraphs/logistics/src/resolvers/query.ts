import { and, asc, eq } from 'drizzle-orm';
import { auditTrailRoot, deliveredEvent, notFound } from '@ipay/platform';
import { readableShipments } from '../loaders.ts';
import { carriers, shipments } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  shipment: async (_, { id }, { loaders }) => (await loaders.shipmentById.load(id)) ?? Promise.reject(notFound('Shipment', id)),
  shipmentByTrackingNumber: async (_, { trackingNumber }, { db, auth }) => {
    const [row] = await db.select().from(shipments).where(and(eq(shipments.trackingNumber, trackingNumber.trim()), readableShipments(auth)));
    if (!row) throw notFound('Shipment', trackingNumber);
    return row;
  },
  carriers: (_, __, { db, auth }) => {
    auth.requirePrincipal();
    return db.select().from(carriers).orderBy(asc(carriers.code));
  },
  auditTrail: auditTrailRoot,
  _event_shipmentEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
