import { and, asc, eq } from 'drizzle-orm';
import { assertCurrency, auditTrailRoot, badUserInput, deliveredEvent, forbidden, notFound } from '@ipay/platform';
import { readableShipments } from '../db/loaders.ts';
import { carriers, shipments } from '../db/schema.ts';
import type { QueryResolvers } from '../generated/graphql.ts';
import { revealReleaseCode } from '../app/releases.ts';
import { getPickupLocation, listPickupLocations } from '../app/pickup-locations.ts';
import { chooseCarrier, orderInScope, parcelFor, pricingDay } from '../app/shipping.ts';
import { loadCostEngine, loadTariffRows, toTariffBook } from '../app/tariffs.ts';

export const Query: QueryResolvers = {
  pickupLocations: (_, { filter }, { db, auth }) => listPickupLocations(db, auth, filter),
  pickupLocation: (_, { id }, { db, auth }) => getPickupLocation(db, auth, id),
  shipment: async (_, { id }, { loaders }) => (await loaders.shipmentById.load(id)) ?? Promise.reject(notFound('Shipment', id)),
  shipmentByTrackingNumber: async (_, { trackingNumber }, { db, auth }) => {
    const [row] = await db
      .select()
      .from(shipments)
      .where(and(eq(shipments.trackingNumber, trackingNumber.trim()), readableShipments(auth)));
    if (!row) throw notFound('Shipment', trackingNumber);
    return row;
  },
  carriers: (_, __, { db, auth }) => {
    auth.requirePrincipal();
    return db.select().from(carriers).orderBy(asc(carriers.code));
  },
  tariffs: async (_, { carrierCode }, { db, auth }) => {
    auth.require('tariffs:read');
    return toTariffBook(await loadTariffRows(db, auth.livemode, carrierCode ? [carrierCode.trim().toLowerCase()] : undefined));
  },
  quoteShipment: async (_, { input }, { db, auth }) => {
    auth.require('tariffs:read');
    const parcel = parcelFor(input.parcel, null, 'input.parcel');
    const date = pricingDay(input.date);
    const engine = await loadCostEngine(db, auth.livemode);
    const result = engine.price(
      { ...parcel, carrierCode: input.carrierCode.trim().toLowerCase(), serviceLevel: input.serviceLevel, deliveryMethod: input.deliveryMethod },
      date,
    );
    return result.ok ? { breakdown: result.breakdown, noTariff: null } : { breakdown: null, noTariff: result.reason };
  },
  chooseCarrier: async (_, { input }, { db, auth }) => {
    auth.require('tariffs:read');
    const order = input.orderId ? await orderInScope(db, auth, 'tariffs:read', input.orderId.trim()) : null;
    if (!order && !input.currency) throw badUserInput('currency', 'is required without orderId');
    const currency = order ? order.currency : assertCurrency(input.currency!.trim().toUpperCase(), 'currency');
    if (order && input.currency && input.currency.trim().toUpperCase() !== order.currency)
      throw badUserInput('currency', `the order pays in ${order.currency}`);
    const engine = await loadCostEngine(db, auth.livemode);
    return chooseCarrier(db, engine, {
      parcel: parcelFor(input.parcel, order, 'parcel'),
      serviceLevel: input.serviceLevel,
      deliveryMethod: input.deliveryMethod,
      currency,
      preferences: input.preferences,
      date: pricingDay(input.date),
    });
  },
  releaseCode: (_, { orderId }, { db, auth, services, mutate }) => {
    // Consumers receive the code through the merchant; a carrier must never be able to read it.
    if (auth.requirePrincipal().kind === 'partner') throw forbidden('carrier partners verify release codes; they cannot read them');
    return revealReleaseCode(db, auth, services, mutate, orderId.trim());
  },
  auditTrail: auditTrailRoot,
  _event_shipmentEvents: (_, { event }, { auth }) => deliveredEvent(auth, event),
};
