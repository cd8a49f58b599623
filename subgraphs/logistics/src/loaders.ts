import { and, asc, desc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { groupLoader, rowLoader, scopeCondition, type Authorization, type Database } from '@ipay/platform';
import { carrierScans, carriers, quoteCarrierCosts, rateCards, releaseAuthorizations, returnShipments, shipments, type ReturnShipmentRow, type CarrierRow, type CarrierScanRow, type QuoteCarrierCostRow, type RateCardRow, type ReleaseAuthorizationRow, type ShipmentRow } from './db/schema.ts';
import type * as schema from './db/schema.ts';

/** Shipments the caller may read, in its mode; carrier partners reach their own carrier's shipments. */
export const readableShipments = (auth: Authorization) =>
  scopeCondition(auth.require('shipments:read'), auth.livemode, { merchantId: shipments.merchantId, livemode: shipments.livemode, carrierCode: shipments.carrierCode, orderId: shipments.orderId });

/** Release authorizations the caller may see: with releases:read, or as the verifier (releases:verify) of its carrier. */
export const readableReleases = (auth: Authorization) => {
  const scope = auth.scopeOf('releases:read') ?? auth.require('releases:verify');
  return scopeCondition(scope, auth.livemode, { merchantId: releaseAuthorizations.merchantId, livemode: releaseAuthorizations.livemode, carrierCode: releaseAuthorizations.carrierCode, orderId: releaseAuthorizations.orderId });
};

export function createLoaders(db: Database<typeof schema>, auth: Authorization) {
  return {
    /** Quote engine: the carrier cost logistics priced for a commerce quote, readable like the merchant's orders. */
    quoteCarrierCostByQuoteId: rowLoader<string, QuoteCarrierCostRow>(
      (ids) =>
        db
          .select()
          .from(quoteCarrierCosts)
          .where(and(inArray(quoteCarrierCosts.quoteId, [...ids]), scopeCondition(auth.require('orders:read'), auth.livemode, { merchantId: quoteCarrierCosts.merchantId, livemode: quoteCarrierCosts.livemode }))),
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
              scopeCondition(auth.require('shipments:read'), auth.livemode, { merchantId: returnShipments.merchantId, livemode: returnShipments.livemode, carrierCode: returnShipments.carrierCode }),
            ),
          ),
      (row) => row.returnId,
    ),
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
    /** Scans of many shipments in one statement (the parent shipment was already scope-checked). */
    scansByShipmentId: groupLoader<string, CarrierScanRow>(
      (ids) => db.select().from(carrierScans).where(inArray(carrierScans.shipmentId, [...ids])).orderBy(asc(carrierScans.occurredAt), asc(carrierScans.id)),
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
