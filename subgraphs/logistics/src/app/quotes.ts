import { eq } from 'drizzle-orm';
import { wireMoney, type BusEvent, type EventBus, type Logger, type Subscription } from '@ipay/platform';
import { quoteCarrierCosts, type QuoteCarrierCostRow } from '../db/schema.ts';
import type { DeliveryMethod, ServiceLevel } from '../domain/index.ts';
import { pricingDay } from './shipping.ts';
import { runAsSystem, type Db } from './system.ts';
import { loadCostEngine } from './tariffs.ts';

/**
 * Logistics' part of a commerce quote (issue 14): on `quote.requested` each delivery is priced with the cost engine
 * (the same `price` as `quoteShipment` and `createShipment`), the result kept keyed by the quote id (served as
 * `Quote.carrierCost`) and announced as `quote.carrier_priced`. Priced once: a redelivered request finds the row, so
 * a tariff import after the quote never changes it.
 */
export async function consumeQuoteRequests(db: Db, bus: EventBus, logger: Logger): Promise<Subscription> {
  return bus.consume('logistics-quotes', async (event) => void (await priceQuoteCarrierCost(db, event, logger)));
}

interface WireDelivery {
  carrier?: unknown;
  service_level?: unknown;
  delivery_method?: unknown;
  weight_grams?: unknown;
  dimensions_mm?: { length?: unknown; width?: unknown; height?: unknown };
  destination?: { country?: unknown; postcode?: unknown };
}

export async function priceQuoteCarrierCost(db: Db, event: BusEvent, logger: Logger): Promise<QuoteCarrierCostRow | null> {
  if (event.type !== 'quote.requested' || event.source !== 'commerce') return null;
  const quoteId = event.payload.quote_id;
  const currency = event.payload.currency;
  const deliveries = event.payload.deliveries as WireDelivery[] | undefined;
  if (typeof quoteId !== 'string' || typeof currency !== 'string' || !Array.isArray(deliveries) || !deliveries.length || !event.merchantId) {
    logger.error({ eventId: event.id }, 'quote.requested without quote_id, currency, deliveries or merchant; not priced');
    return null;
  }
  const [existing] = await db.select().from(quoteCarrierCosts).where(eq(quoteCarrierCosts.quoteId, quoteId));
  if (existing) return existing;
  const engine = await loadCostEngine(db, event.livemode);
  const day = pricingDay(null);
  const priced: QuoteCarrierCostRow['deliveries'] = deliveries.map((d) => {
    try {
      const result = engine.price(
        {
          carrierCode: String(d.carrier ?? ''),
          serviceLevel: String(d.service_level ?? '') as ServiceLevel,
          deliveryMethod: String(d.delivery_method ?? '') as DeliveryMethod,
          weightGrams: Number(d.weight_grams),
          dimensions: { lengthMm: Number(d.dimensions_mm?.length), widthMm: Number(d.dimensions_mm?.width), heightMm: Number(d.dimensions_mm?.height) },
          destination: { country: String(d.destination?.country ?? ''), postcode: String(d.destination?.postcode ?? '') },
        },
        day,
      );
      if (!result.ok) return { breakdown: null, noTariff: { code: result.reason.code, message: result.reason.message } };
      if (result.breakdown.total.currency !== currency)
        return {
          breakdown: null,
          noTariff: {
            code: 'CURRENCY_MISMATCH',
            message: `the ${result.breakdown.carrierCode} tariff prices in ${result.breakdown.total.currency}, the quote is in ${currency}`,
          },
        };
      return { breakdown: result.breakdown, noTariff: null };
    } catch (error) {
      return { breakdown: null, noTariff: { code: 'INVALID_DELIVERY', message: (error as Error).message } };
    }
  });
  const failed = priced.find((p) => p.noTariff);
  const totalAmount = failed ? null : priced.reduce((sum, p) => sum + p.breakdown!.total.amount, 0);
  return runAsSystem(db, 'events:quote.requested', event.livemode, async (uow) => {
    const [row] = await uow.tx
      .insert(quoteCarrierCosts)
      .values({ quoteId, merchantId: event.merchantId!, livemode: event.livemode, currency, deliveries: priced, totalAmount, pricedOn: day })
      .onConflictDoNothing()
      .returning();
    if (!row) return (await uow.tx.select().from(quoteCarrierCosts).where(eq(quoteCarrierCosts.quoteId, quoteId)))[0]!;
    uow.audit({
      action: 'quote_carrier_cost.price',
      entityType: 'Quote',
      entityId: quoteId,
      merchantId: row.merchantId,
      after: { currency, deliveries: priced.length, totalAmount, noTariff: failed?.noTariff ?? null, pricedOn: day },
    });
    uow.emit({
      type: 'quote.carrier_priced',
      subjectId: quoteId,
      merchantId: row.merchantId,
      livemode: row.livemode,
      payload: {
        quote_id: quoteId,
        merchant: event.payload.merchant,
        priced_on: day,
        ...(failed
          ? { no_tariff: failed.noTariff }
          : {
              carrier_cost: wireMoney(totalAmount!, currency),
              deliveries: priced.map((p) => ({
                carrier: p.breakdown!.carrierCode,
                rate_card_id: p.breakdown!.rateCardId,
                total: wireMoney(p.breakdown!.total.amount, currency),
              })),
            }),
      },
    });
    return row;
  });
}
