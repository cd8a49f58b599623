import { DELIVERY_METHODS, SERVICE_LEVELS } from '../domain/index.ts';
import type { Resolvers } from '../generated/graphql.ts';

/** Field resolvers of the value types (tariffs, prices, releases). */
export const valueTypes: Pick<Resolvers, 'Carrier' | 'RateCard' | 'Surcharge' | 'TariffBook' | 'ReleaseAuthorization' | 'CarrierScan'> = {
  Carrier: {
    // What the carrier offers is what its tariffs price (in the caller's mode), not a list kept apart from them.
    services: async (carrier, _, { loaders }) => {
      const methods = new Map<string, Set<string>>();
      for (const card of await loaders.currentRateCardsByCarrier.load(carrier.code)) {
        const set = methods.get(card.serviceLevel) ?? new Set<string>();
        for (const m of card.deliveryMethods) set.add(m);
        methods.set(card.serviceLevel, set);
      }
      return SERVICE_LEVELS.filter((level) => methods.has(level)).map((level) => ({
        serviceLevel: level,
        deliveryMethods: DELIVERY_METHODS.filter((m) => methods.get(level)!.has(m)),
      }));
    },
  },
  TariffBook: {
    rateCards: (book) => [...book.rateCards],
    surcharges: (book) => [...book.surcharges],
  },
  RateCard: {
    deliveryMethods: (card) => [...card.deliveryMethods],
    zones: (card) => card.zones.map((z) => z.code),
    bands: (card) =>
      card.bands.map((b) => ({
        zone: b.zone,
        maxWeightGrams: b.maxWeightGrams,
        maxVolumeCm3: b.maxVolumeCm3,
        amount: { amount: b.amount, currency: card.currency },
      })),
  },
  Surcharge: {
    serviceLevels: (s) => (s.serviceLevels ? [...s.serviceLevels] : null),
    basisPoints: (s) => (s.kind === 'FUEL' ? s.basisPoints : null),
    country: (s) => (s.kind === 'REMOTE_AREA' ? s.country : null),
    amount: (s) => (s.kind === 'FUEL' ? null : s.amount),
    overLongestSideMm: (s) => (s.kind === 'OVERSIZE' ? s.maxLongestSideMm : null),
    overLengthPlusGirthMm: (s) => (s.kind === 'OVERSIZE' ? s.maxLengthPlusGirthMm : null),
  },
  ReleaseAuthorization: {
    shipment: async (release, _, { loaders }) => {
      const shipment = await loaders.shipmentById.load(release.shipmentId);
      if (!shipment) throw new Error(`shipment ${release.shipmentId} of release ${release.id} is not readable`);
      return shipment;
    },
    order: (release) => ({ id: release.orderId }),
    status: (release) => (release.status === 'RELEASED' ? (release.handedOverAt ? 'RELEASED' : 'AUTHORIZED') : release.status),
    method: (release) => release.releaseMethod,
    releasedAt: (release) => release.handedOverAt,
  },
  CarrierScan: {},
};
