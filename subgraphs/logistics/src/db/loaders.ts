import { and, asc, desc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { anyOf, groupLoader, preparedQuery, preparedScopeCondition, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import {
  carrierScans,
  carriers,
  pickupLocations,
  quoteCarrierCosts,
  rateCards,
  releaseAuthorizations,
  returnShipments,
  shipments,
  type ReturnShipmentRow,
  type CarrierRow,
  type CarrierScanRow,
  type QuoteCarrierCostRow,
  type PickupLocationRow,
  type RateCardRow,
  type ReleaseAuthorizationRow,
  type ShipmentRow,
} from './schema.ts';
import type * as schema from './schema.ts';

const shipmentScopeColumns = { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode, orderId: shipments.orderId };

/** Shipments the caller may read, in its mode; carrier partners reach their own carrier's shipments. */
export const readableShipments = (auth: Authorization) => scopeCondition(auth.require('shipments:read'), auth.livemode, shipmentScopeColumns);

/** The same condition for a prepared query (its values are placeholders). */
const readableShipmentsPrepared = (auth: Authorization) => preparedScopeCondition(auth.require('shipments:read'), auth.livemode, shipmentScopeColumns);

/** Release authorizations the caller may see: with releases:read, or as the verifier (releases:verify) of its carrier. */
export const readableReleases = (auth: Authorization) => {
  const scope = auth.scopeOf('releases:read') ?? auth.require('releases:verify');
  return scopeCondition(scope, auth.livemode, {
    merchantId: releaseAuthorizations.merchantId,
    livemode: releaseAuthorizations.livemode,
    carrierCode: releaseAuthorizations.carrierCode,
    orderId: releaseAuthorizations.orderId,
  });
};

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    /** Quote engine: the carrier cost logistics priced for a commerce quote, readable like the merchant's orders. */
    quoteCarrierCostByQuoteId: rowLoader<string, QuoteCarrierCostRow>(
      (ids) =>
        db
          .select()
          .from(quoteCarrierCosts)
          .where(
            and(
              inArray(quoteCarrierCosts.quoteId, [...ids]),
              scopeCondition(auth.require('orders:read'), auth.livemode, { merchantId: quoteCarrierCosts.merchantId, livemode: quoteCarrierCosts.livemode }),
            ),
          ),
      (row) => row.quoteId,
    ),
    /** Return shipments by commerce's return id, in the caller's shipments scope (carrier partners: their own). */
    returnShipmentByReturnId: rowLoader<string, ReturnShipmentRow>(
      (returnIds) =>
        db
          .select()
          .from(returnShipments)
          .where(
            and(
              inArray(returnShipments.returnId, [...returnIds]),
              scopeCondition(auth.require('shipments:read'), auth.livemode, {
                merchantId: returnShipments.merchantId,
                livemode: returnShipments.livemode,
                carrierCode: returnShipments.carrierCode,
              }),
            ),
          ),
      (row) => row.returnId,
    ),
    shipmentById: rowLoader<string, ShipmentRow>(
      (ids) => {
        const scope = readableShipmentsPrepared(auth);
        const query = preparedQuery(db, `logistics.shipmentById:${scope.shape}`, (name) =>
          db
            .select()
            .from(shipments)
            .where(and(anyOf(shipments.id, 'ids'), scope.condition))
            .prepare(name),
        );
        return query.execute({ ...scope.values, ids });
      },
      (row) => row.id,
    ),
    /** Each order's newest shipment, for many orders in one statement (built once per scope kind: see preparedQuery). */
    latestShipmentByOrderId: rowLoader<string, ShipmentRow>(
      (orderIds) => {
        const scope = readableShipmentsPrepared(auth);
        const query = preparedQuery(db, `logistics.latestShipmentByOrderId:${scope.shape}`, (name) =>
          db
            .selectDistinctOn([shipments.orderId])
            .from(shipments)
            .where(and(anyOf(shipments.orderId, 'orderIds'), scope.condition))
            .orderBy(shipments.orderId, desc(shipments.createdAt), desc(shipments.id))
            .prepare(name),
        );
        return query.execute({ ...scope.values, orderIds });
      },
      (row) => row.orderId,
    ),
    /** Pickup locations by id (reached through a shipment already scope-checked; carrier network data). */
    pickupLocationById: rowLoader<string, PickupLocationRow>(
      (ids) =>
        db
          .select()
          .from(pickupLocations)
          .where(inArray(pickupLocations.id, [...ids])),
      (row) => row.id,
    ),
    carrierByCode: rowLoader<string, CarrierRow>(
      (codes) =>
        preparedQuery(db, 'logistics.carrierByCode', (name) => db.select().from(carriers).where(anyOf(carriers.code, 'codes')).prepare(name)).execute({
          codes,
        }),
      (row) => row.code,
    ),
    /** Scans of many shipments in one statement (the parent shipment was already scope-checked). */
    scansByShipmentId: groupLoader<string, CarrierScanRow>(
      (ids) =>
        db
          .select()
          .from(carrierScans)
          .where(inArray(carrierScans.shipmentId, [...ids]))
          .orderBy(asc(carrierScans.occurredAt), asc(carrierScans.id)),
      (row) => row.shipmentId,
    ),
    /** The rate cards of many carriers in the caller's mode that are valid today or later: what each carrier offers. */
    currentRateCardsByCarrier: groupLoader<string, Pick<RateCardRow, 'carrierCode' | 'serviceLevel' | 'deliveryMethods'>>(
      (codes) =>
        db
          .select({ carrierCode: rateCards.carrierCode, serviceLevel: rateCards.serviceLevel, deliveryMethods: rateCards.deliveryMethods })
          .from(rateCards)
          .where(
            and(
              eq(rateCards.livemode, auth.livemode),
              inArray(rateCards.carrierCode, [...codes]),
              or(isNull(rateCards.validTo), gt(rateCards.validTo, new Date().toISOString().slice(0, 10))),
            ),
          ),
      (row) => row.carrierCode,
    ),
    /** Each shipment's current authorization: the live one, else the newest revoked one (revoked history stays). */
    releaseByShipmentId: rowLoader<string, ReleaseAuthorizationRow>(
      (ids) =>
        db
          .selectDistinctOn([releaseAuthorizations.shipmentId])
          .from(releaseAuthorizations)
          .where(and(inArray(releaseAuthorizations.shipmentId, [...ids]), readableReleases(auth)))
          .orderBy(releaseAuthorizations.shipmentId, sql`${releaseAuthorizations.status} = 'REVOKED'`, desc(releaseAuthorizations.createdAt)),
      (row) => row.shipmentId,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
