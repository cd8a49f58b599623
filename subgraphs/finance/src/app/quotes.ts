import { eq } from 'drizzle-orm';
import { runMutation, systemActor, wireMoney, type BusEvent, type Logger } from '@ipay/platform';
import * as schema from '../db/schema.ts';
import { quoteFees, type QuoteFeeRow } from '../db/schema.ts';
import { feeInForce } from '../domain/fees.ts';
import type { Db } from './context.ts';
import { feeEntries } from './ledger.ts';

const tables = { audit: { auditLog: schema.auditLog, auditHead: schema.auditHead }, outbox: schema.outbox };

/**
 * Finance's part of a commerce quote (issue 14): on `quote.requested` the IPAY fee in force for the merchant and
 * currency at that instant (the fee schedule, one settled order per quote) is kept keyed by the quote id and
 * announced as `quote.fee_priced`. Priced once: a redelivered request finds the row and changes nothing, so a later
 * fee change never alters a quote already given.
 */
export async function priceQuoteFee(db: Db, event: BusEvent, logger: Logger): Promise<QuoteFeeRow | null> {
  if (event.type !== 'quote.requested' || event.source !== 'commerce') return null;
  const quoteId = event.payload.quote_id;
  const currency = event.payload.currency;
  if (typeof quoteId !== 'string' || typeof currency !== 'string' || !event.merchantId) {
    logger.error({ eventId: event.id }, 'quote.requested without quote_id, currency or merchant; not priced');
    return null;
  }
  const [existing] = await db.select().from(quoteFees).where(eq(quoteFees.quoteId, quoteId));
  if (existing) return existing;
  const merchantId = event.merchantId;
  const at = new Date(event.occurredAt);
  return runMutation(db, tables, systemActor('events:quote.requested', event.livemode), async (uow) => {
    const entry = feeInForce(await feeEntries(uow.tx, merchantId, currency), merchantId, currency, at);
    const [row] = await uow.tx
      .insert(quoteFees)
      .values({ quoteId, merchantId, livemode: event.livemode, currency, feeScheduleId: entry?.id ?? null, feeAmount: entry?.feeAmount ?? null, pricedAt: at })
      .onConflictDoNothing()
      .returning();
    if (!row) return (await uow.tx.select().from(quoteFees).where(eq(quoteFees.quoteId, quoteId)))[0]!;
    uow.audit({
      action: 'quote_fee.price',
      entityType: 'Quote',
      entityId: quoteId,
      merchantId,
      after: { currency, feeScheduleId: row.feeScheduleId, feeAmount: row.feeAmount },
    });
    uow.emit({
      type: 'quote.fee_priced',
      subjectId: quoteId,
      merchantId,
      livemode: event.livemode,
      payload: {
        quote_id: quoteId,
        merchant: event.payload.merchant,
        ...(entry
          ? { fee: wireMoney(entry.feeAmount, currency), fee_schedule_id: entry.id }
          : { no_fee: { code: 'NO_FEE_SCHEDULE', message: `no IPAY fee schedule entry is in force for ${currency}` } }),
      },
    });
    return row;
  });
}
