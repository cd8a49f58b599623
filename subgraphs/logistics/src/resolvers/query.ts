import { asc, eq } from 'drizzle-orm';
import { carriers, shipments } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';

export const Query: QueryResolvers = {
  shipment: (_, { id }, { loaders }) => loaders.shipmentById.load(id),
  shipmentByTrackingNumber: async (_, { trackingNumber }, { db }) => {
    const [row] = await db.select().from(shipments).where(eq(shipments.trackingNumber, trackingNumber.trim()));
    return row ?? null;
  },
  carriers: (_, __, { db }) => db.select().from(carriers).orderBy(asc(carriers.code)),
};
