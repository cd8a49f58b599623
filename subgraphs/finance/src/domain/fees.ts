/**
 * IPAY's commercial model: a fixed fee per settled order, per currency, in that currency's minor units. The platform
 * schedule is the default; a merchant's own entries override it from their `validFrom`. A currency without any fee
 * in force is not settled rather than guessed.
 */
export const PLATFORM_MERCHANT = '';

/** The platform schedule seeded at start (valid from the epoch until changed through the API). */
export const PLATFORM_DEFAULT_FEES: Readonly<Record<string, number>> = {
  EUR: 95,
  SEK: 1095,
  DKK: 710,
  NOK: 1120,
  PLN: 410,
  GBP: 85,
  USD: 105,
  CHF: 95,
  // Zero-decimal and three-decimal currencies: ¥150, 0.350 KWD, 0.350 BHD.
  JPY: 150,
  KWD: 350,
  BHD: 350,
};

export interface FeeEntry {
  id: string;
  merchantId: string;
  currency: string;
  feeAmount: number;
  validFrom: Date;
  validTo: Date | null;
}

const covers = (entry: FeeEntry, instant: Date) =>
  entry.validFrom.getTime() <= instant.getTime() && (!entry.validTo || instant.getTime() < entry.validTo.getTime());

/**
 * The entry in force for a merchant, currency and instant: the merchant's own entry with the latest validFrom that
 * covers the instant, else the platform's; null when neither has one.
 */
export function feeInForce(entries: readonly FeeEntry[], merchantId: string, currency: string, instant: Date): FeeEntry | null {
  const pick = (owner: string) =>
    entries
      .filter((e) => e.merchantId === owner && e.currency === currency && covers(e, instant))
      .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime())[0] ?? null;
  return pick(merchantId) ?? pick(PLATFORM_MERCHANT);
}
