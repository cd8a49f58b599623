import type { PickupInstructionsResolvers, PickupLocationResolvers } from '../generated/graphql.ts';
import { openingStatusOf, pickupRelease } from '../app/pickup-locations.ts';

/** A carrier's pickup point or locker; carrier network data, the same for every merchant of a mode. */
export const PickupLocation: PickupLocationResolvers = {
  carrier: async (row, _, { loaders }) => {
    const carrier = await loaders.carrierByCode.load(row.carrierCode);
    // The foreign key guarantees the carrier exists; a miss means the database is inconsistent.
    if (!carrier) throw new Error(`carrier ${row.carrierCode} of pickup location ${row.id} is missing`);
    return carrier;
  },
  kind: (row) => row.kind,
  geo: (row) => (row.latitude === null || row.longitude === null ? null : { latitude: row.latitude, longitude: row.longitude }),
  openingStatus: (row) => openingStatusOf(row),
};

export const PickupInstructions: PickupInstructionsResolvers = {
  location: (view) => view.location,
  release: (view, _, { db, auth, services, mutate }) => pickupRelease(db, auth, services, mutate, view.shipment),
};
