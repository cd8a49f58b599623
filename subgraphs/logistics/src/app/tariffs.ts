import { and, asc, eq, inArray } from 'drizzle-orm';
import { newId, type Database } from '@ipay/platform';
import { rateBands, rateCards, surcharges, type RateBandRow, type RateCardRow, type SurchargeRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { CostEngine, type DeliveryMethod, type RateCard, type ServiceLevel, type Surcharge, type TariffBook } from '../domain/index.ts';

type Db = Database<typeof schema>;

export interface StoredTariffs {
  cards: RateCardRow[];
  bands: RateBandRow[];
  surcharges: SurchargeRow[];
}

/** The stored tariff rows of one mode (optionally of some carriers), in a stable order. */
export async function loadTariffRows(db: Db, livemode: boolean, carrierCodes?: readonly string[]): Promise<StoredTariffs> {
  const byCarrier = <T extends typeof rateCards | typeof surcharges>(table: T) =>
    carrierCodes ? and(eq(table.livemode, livemode), inArray(table.carrierCode, [...carrierCodes])) : eq(table.livemode, livemode);
  const cards = await db.select().from(rateCards).where(byCarrier(rateCards)).orderBy(asc(rateCards.carrierCode), asc(rateCards.id));
  const bands = cards.length
    ? await db
        .select()
        .from(rateBands)
        .where(
          and(
            eq(rateBands.livemode, livemode),
            inArray(
              rateBands.rateCardId,
              cards.map((c) => c.id),
            ),
          ),
        )
        .orderBy(asc(rateBands.id))
    : [];
  const sur = await db.select().from(surcharges).where(byCarrier(surcharges)).orderBy(asc(surcharges.carrierCode), asc(surcharges.id));
  return { cards, bands, surcharges: sur };
}

export function toTariffBook(rows: StoredTariffs): TariffBook {
  const rateCardsOut: RateCard[] = rows.cards.map((c) => ({
    id: c.id,
    carrierCode: c.carrierCode,
    serviceLevel: c.serviceLevel as ServiceLevel,
    deliveryMethods: c.deliveryMethods as DeliveryMethod[],
    currency: c.currency,
    validFrom: c.validFrom,
    validTo: c.validTo,
    volumetricDivisor: c.volumetricDivisor,
    maxLongestSideMm: c.maxLongestSideMm,
    maxLengthPlusGirthMm: c.maxLengthPlusGirthMm,
    zones: c.zones,
    bands: rows.bands
      .filter((b) => b.rateCardId === c.id)
      .map((b) => ({ zone: b.zone, maxWeightGrams: b.maxWeightGrams, maxVolumeCm3: b.maxVolumeCm3, amount: b.amount })),
  }));
  const surchargesOut: Surcharge[] = rows.surcharges.map((s): Surcharge => {
    const common = {
      id: s.id,
      carrierCode: s.carrierCode,
      serviceLevels: (s.serviceLevels as ServiceLevel[] | null) ?? null,
      validFrom: s.validFrom,
      validTo: s.validTo,
    };
    switch (s.kind) {
      case 'FUEL':
        return { ...common, kind: 'FUEL', basisPoints: s.basisPoints! };
      case 'REMOTE_AREA':
        return { ...common, kind: 'REMOTE_AREA', country: s.country!, postcodes: s.postcodes ?? [], amount: { amount: s.amount!, currency: s.currency! } };
      case 'OVERSIZE':
        return {
          ...common,
          kind: 'OVERSIZE',
          maxLongestSideMm: s.maxLongestSideMm,
          maxLengthPlusGirthMm: s.maxLengthPlusGirthMm,
          amount: { amount: s.amount!, currency: s.currency! },
        };
    }
  });
  return { rateCards: rateCardsOut, surcharges: surchargesOut };
}

/** A cost engine over the stored tariffs of one mode (the book is validated again: stored data is not trusted blindly). */
export async function loadCostEngine(db: Db, livemode: boolean): Promise<CostEngine> {
  return new CostEngine(toTariffBook(await loadTariffRows(db, livemode)));
}

/**
 * Replaces the tariff books of the carriers a (validated) book names, in the caller's transaction: a carrier's
 * rates are what the last import of it says, so a price change is a file with both validity periods.
 */
export async function replaceTariffs(tx: Db, livemode: boolean, book: TariffBook): Promise<{ carriers: string[]; importId: string }> {
  const carriers = [...new Set([...book.rateCards.map((c) => c.carrierCode), ...book.surcharges.map((s) => s.carrierCode)])].sort();
  const importId = newId('tim');
  if (carriers.length === 0) return { carriers, importId };
  const old = await tx
    .select({ id: rateCards.id })
    .from(rateCards)
    .where(and(eq(rateCards.livemode, livemode), inArray(rateCards.carrierCode, carriers)));
  if (old.length)
    await tx.delete(rateBands).where(
      and(
        eq(rateBands.livemode, livemode),
        inArray(
          rateBands.rateCardId,
          old.map((c) => c.id),
        ),
      ),
    );
  await tx.delete(rateCards).where(and(eq(rateCards.livemode, livemode), inArray(rateCards.carrierCode, carriers)));
  await tx.delete(surcharges).where(and(eq(surcharges.livemode, livemode), inArray(surcharges.carrierCode, carriers)));
  if (book.rateCards.length) {
    await tx.insert(rateCards).values(
      book.rateCards.map((c) => ({
        livemode,
        id: c.id,
        carrierCode: c.carrierCode,
        serviceLevel: c.serviceLevel,
        deliveryMethods: [...c.deliveryMethods],
        currency: c.currency,
        validFrom: c.validFrom,
        validTo: c.validTo,
        volumetricDivisor: c.volumetricDivisor,
        maxLongestSideMm: c.maxLongestSideMm,
        maxLengthPlusGirthMm: c.maxLengthPlusGirthMm,
        zones: c.zones.map((z) => ({ code: z.code, country: z.country, postcodes: [...z.postcodes] })),
        importId,
      })),
    );
    const bandRows = book.rateCards.flatMap((c) =>
      c.bands.map((b) => ({ livemode, rateCardId: c.id, zone: b.zone, maxWeightGrams: b.maxWeightGrams, maxVolumeCm3: b.maxVolumeCm3, amount: b.amount })),
    );
    // Chunks keep every statement well under PostgreSQL's bind-parameter limit.
    for (let i = 0; i < bandRows.length; i += 1000) await tx.insert(rateBands).values(bandRows.slice(i, i + 1000));
  }
  if (book.surcharges.length) {
    await tx.insert(surcharges).values(
      book.surcharges.map((s) => ({
        livemode,
        id: s.id,
        carrierCode: s.carrierCode,
        kind: s.kind,
        serviceLevels: s.serviceLevels ? [...s.serviceLevels] : null,
        validFrom: s.validFrom,
        validTo: s.validTo,
        basisPoints: s.kind === 'FUEL' ? s.basisPoints : null,
        country: s.kind === 'REMOTE_AREA' ? s.country : null,
        postcodes: s.kind === 'REMOTE_AREA' ? [...s.postcodes] : null,
        amount: s.kind === 'FUEL' ? null : s.amount.amount,
        currency: s.kind === 'FUEL' ? null : s.amount.currency,
        maxLongestSideMm: s.kind === 'OVERSIZE' ? s.maxLongestSideMm : null,
        maxLengthPlusGirthMm: s.kind === 'OVERSIZE' ? s.maxLengthPlusGirthMm : null,
        importId,
      })),
    );
  }
  return { carriers, importId };
}
