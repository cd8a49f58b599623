import type { ShipmentResolvers } from '../generated/graphql.ts';

export const Shipment: ShipmentResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.shipmentById.load(ref.id),
  order: (shipment) => ({ id: shipment.orderId }),
  carrier: async (shipment, _, { loaders }) => {
    const carrier = await loaders.carrierByCode.load(shipment.carrierCode);
    // The foreign key guarantees the carrier exists; a miss means the database is inconsistent.
    if (!carrier) throw new Error(`carrier ${shipment.carrierCode} of shipment ${shipment.id} is missing`);
    return carrier;
  },
};
