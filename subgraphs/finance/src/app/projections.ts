import { sql } from 'drizzle-orm';
import { isIsoCurrency, SUBGRAPH_NAMES, type Database, type DomainEvent, type Logger } from '@ipay/platform';
import { auditChainAttestations, refundProjections, releaseProjections, shipmentProjections } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

type Db = Database<typeof schema>;
type Event = Pick<DomainEvent, 'id' | 'type' | 'merchantId' | 'livemode' | 'occurredAt' | 'subjectId' | 'payload' | 'carrierCode'>;

/**
 * The events the reconciliation and controls projections read. The order payment state (`order.payment_state_changed`)
 * is not among them: the settlement engine keeps its one projection, `order_payment_states` (src/app/engine.ts).
 */
export const RECONCILIATION_EVENT_TYPES = ['shipment.created', 'release.authorized', 'parcel.released', 'refund.created', 'audit.chain_verified'] as const;

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : null);
const int = (v: unknown): number | null => (Number.isSafeInteger(v) ? (v as number) : null);

/**
 * The shipment a `shipment.created` event announces, with the cost engine's expectation: `expected_cost` (money, top
 * level), and `chargeable_weight_grams` (the weight the engine priced; else `weight_grams`), `zone` and
 * `service_level`, read inside `shipment` (as logistics publishes them) or at the top level.
 */
export function shipmentFromEvent(event: Event) {
  const p = event.payload;
  const s = obj(p.shipment);
  const pick = (key: string) => p[key] ?? s[key];
  const cost = obj(pick('expected_cost'));
  const trackingNumber = str(s.tracking_number) ?? str(p.tracking_number);
  const carrierCode = str(p.carrier) ?? event.carrierCode;
  const orderId = str(p.order_id);
  if (!trackingNumber || !carrierCode || !orderId) return null;
  const currency = str(cost.currency);
  const expected = int(cost.amount_minor);
  return {
    shipmentId: str(s.id) ?? event.subjectId,
    orderId,
    merchantId: event.merchantId,
    livemode: event.livemode,
    carrierCode,
    trackingNumber,
    serviceLevel: str(pick('service_level')),
    zone: str(pick('zone')),
    weightGrams: int(pick('chargeable_weight_grams')) ?? int(pick('weight_grams')),
    expectedCostMinor: expected !== null && currency && isIsoCurrency(currency) ? expected : null,
    expectedCurrency: expected !== null && currency && isIsoCurrency(currency) ? currency : null,
    createdAt: new Date(event.occurredAt),
  };
}

/** Applies one event to finance's projections; idempotent (at least once delivery), and order-insensitive where it can be. */
export async function projectReconciliationEvent(db: Db, event: Event, logger: Logger): Promise<void> {
  const p = event.payload;
  switch (event.type) {
    case 'shipment.created': {
      const row = shipmentFromEvent(event);
      if (!row) return logger.warn({ eventId: event.id }, 'shipment.created without tracking number, carrier or order; not projected');
      await db.insert(shipmentProjections).values(row).onConflictDoNothing();
      return;
    }
    case 'release.authorized':
    case 'parcel.released': {
      const orderId = str(p.order_id);
      if (!orderId) return;
      await db
        .insert(releaseProjections)
        .values({
          eventId: event.id,
          type: event.type,
          orderId,
          merchantId: event.merchantId,
          livemode: event.livemode,
          releaseId: event.subjectId,
          occurredAt: new Date(event.occurredAt),
        })
        .onConflictDoNothing();
      return;
    }
    case 'refund.created': {
      const refund = obj(p.refund);
      const orderId = str(p.order_id);
      const amount = int(refund.amount_minor);
      const currency = str(refund.currency);
      if (!orderId || amount === null || !currency)
        return logger.warn({ eventId: event.id }, 'refund.created without order, amount or currency; not projected');
      await db
        .insert(refundProjections)
        .values({
          refundId: str(refund.id) ?? event.subjectId,
          orderId,
          merchantId: event.merchantId,
          livemode: event.livemode,
          amountMinor: amount,
          currency,
          occurredAt: new Date(event.occurredAt),
        })
        .onConflictDoNothing();
      return;
    }
    case 'audit.chain_verified': {
      const subgraph = str(p.subgraph);
      const verifiedAt = str(p.verified_at);
      if (!subgraph || !(SUBGRAPH_NAMES as readonly string[]).includes(subgraph) || !verifiedAt || typeof p.valid !== 'boolean') return;
      const values = {
        subgraph,
        eventId: event.id,
        valid: p.valid,
        checkedRecords: int(p.checked_records) ?? 0,
        brokenAtPosition: int(p.broken_at_position),
        reason: str(p.reason),
        verifiedAt: new Date(verifiedAt),
      };
      // The newest attestation per subgraph wins.
      const { subgraph: _s, ...set } = values;
      await db
        .insert(auditChainAttestations)
        .values(values)
        .onConflictDoUpdate({ target: auditChainAttestations.subgraph, set, setWhere: sql`${auditChainAttestations.verifiedAt} <= excluded.verified_at` });
      return;
    }
    default:
      return;
  }
}
