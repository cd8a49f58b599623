import { foldScans } from '../domain/index.ts';
import type { ShipmentResolvers } from '../generated/graphql.ts';
import { toCarrierScan } from '../app/scans.ts';

export const Shipment: ShipmentResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.shipmentById.load(ref.id),
  order: (shipment) => ({ id: shipment.orderId }),
  carrier: async (shipment, _, { loaders }) => {
    const carrier = await loaders.carrierByCode.load(shipment.carrierCode);
    // The foreign key guarantees the carrier exists; a miss means the database is inconsistent.
    if (!carrier) throw new Error(`carrier ${shipment.carrierCode} of shipment ${shipment.id} is missing`);
    return carrier;
  },
  serviceLevel: (shipment) => shipment.serviceLevel as never,
  deliveryMethod: (shipment) => shipment.deliveryMethod as never,
  price: (shipment) => shipment.price ?? null,
  scans: (shipment, _, { loaders }) => loaders.scansByShipmentId.load(shipment.id),
  timeline: async (shipment, _, { loaders }) => {
    const rows = await loaders.scansByShipmentId.load(shipment.id);
    const byEvent = new Map(rows.map((r) => [`${r.carrierCode}\u0000${r.carrierEventId}`, r]));
    // The same fold the webhook applied: duplicates and late scans fall where they belong.
    return foldScans(rows.map(toCarrierScan)).transitions.map((t) => ({
      at: t.scan.occurredAt,
      from: t.from,
      to: t.to,
      scan: byEvent.get(`${t.scan.carrierCode}\u0000${t.scan.carrierEventId}`)!,
    }));
  },
  pickupLocation: (shipment, _, { loaders }) => (shipment.pickupLocationId ? loaders.pickupLocationById.load(shipment.pickupLocationId) : null),
  pickup: async (shipment, _, { loaders }) => {
    if (!shipment.pickupLocationId) return null;
    const location = await loaders.pickupLocationById.load(shipment.pickupLocationId);
    // The foreign key guarantees the location exists.
    if (!location) throw new Error(`pickup location ${shipment.pickupLocationId} of shipment ${shipment.id} is missing`);
    return { shipment, location };
  },
  release: async (shipment, _, { auth, loaders }) => {
    if (!auth.scopeOf('releases:read') && !auth.scopeOf('releases:verify')) auth.require('releases:read');
    return loaders.releaseByShipmentId.load(shipment.id);
  },
};
