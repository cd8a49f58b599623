import { badUserInput, MAX_MINOR_UNITS, money, type Money } from '@ipay/platform';
import { countryProblem, normalizePostcode, PostcodeError, postcodeInRange } from './geo.ts';
import {
  createTariffBook,
  DELIVERY_METHODS,
  isCarrierCode,
  isValidOn,
  MAX_SIDE_MM,
  MAX_WEIGHT_GRAMS,
  SERVICE_LEVELS,
  toCalendarDate,
  type CalendarDate,
  type DeliveryMethod,
  type FuelSurcharge,
  type OversizeSurcharge,
  type RateBand,
  type RateCard,
  type RemoteAreaSurcharge,
  type ServiceLevel,
  type Surcharge,
  type TariffBook,
  type Zone,
} from './tariffs.ts';

/**
 * The cost engine: what a carrier charges for one parcel on one day, itemised.
 *
 * Rounding, all in integers (no floating point touches money):
 * - volume in cm³ = ⌈L×W×H mm³ / 1000⌉ and volumetric weight in g = ⌈L×W×H mm³ / divisor⌉ (a divisor in cm³/kg is the
 *   same number in mm³/g); rounded up because carriers bill every started unit;
 * - chargeable weight = max(actual weight, volumetric weight);
 * - fuel = basis × basis points / 10 000, rounded half up to a whole minor unit, where the basis is the base price
 *   plus the remote-area and oversize surcharges (carriers levy fuel on transport charges, not on itself);
 * - total = base + remote area + oversize + fuel, exact.
 */

export interface Dimensions {
  lengthMm: number;
  widthMm: number;
  heightMm: number;
}

export interface Destination {
  /** ISO 3166-1 alpha-2. */
  country: string;
  postcode: string;
}

/** The physical parcel and where it goes. */
export interface Parcel {
  destination: Destination;
  weightGrams: number;
  dimensions: Dimensions;
}

export interface ShipmentToPrice extends Parcel {
  carrierCode: string;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
}

export type PriceLineKind = 'BASE' | 'REMOTE_AREA' | 'OVERSIZE' | 'FUEL';

export interface PriceLine {
  kind: PriceLineKind;
  /** Rate card id for BASE, surcharge id otherwise. */
  ruleId: string;
  description: string;
  amount: Money;
  /** FUEL only: the percentage in basis points and the amount it was taken of. */
  basisPoints?: number;
  basis?: Money;
}

export interface PriceBreakdown {
  carrierCode: string;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  date: CalendarDate;
  rateCardId: string;
  zone: string;
  weight: { actualGrams: number; volumetricGrams: number | null; chargeableGrams: number };
  volumeCm3: number;
  band: { maxWeightGrams: number; maxVolumeCm3: number | null };
  lines: PriceLine[];
  total: Money;
}

export type NoTariffCode =
  'NO_RATE_CARD' | 'DESTINATION_NOT_SERVED' | 'EXCEEDS_CARRIER_LIMITS' | 'NO_MATCHING_BAND' | 'SURCHARGE_CURRENCY_MISMATCH' | 'TOTAL_TOO_LARGE';

export interface NoTariff {
  code: NoTariffCode;
  message: string;
}

export type PriceResult = { ok: true; breakdown: PriceBreakdown } | { ok: false; reason: NoTariff };

// ---------------------------------------------------------------------------------------------------------------------
// Integer arithmetic

/** ⌈a / b⌉ for non-negative safe integers. */
function ceilDiv(a: number, b: number): number {
  return Number((BigInt(a) + BigInt(b) - 1n) / BigInt(b));
}

/** basis × bp / 10 000 rounded half up; BigInt so that large bases cannot lose precision. */
export function basisPointsOf(basis: number, basisPoints: number): number {
  return Number((BigInt(basis) * BigInt(basisPoints) + 5_000n) / 10_000n);
}

export interface ParcelMeasures {
  longestSideMm: number;
  /** Longest side + 2 × (the other two sides). */
  lengthPlusGirthMm: number;
  volumeMm3: number;
  volumeCm3: number;
}

export function measure(d: Dimensions): ParcelMeasures {
  const sides = [d.lengthMm, d.widthMm, d.heightMm].sort((a, b) => b - a) as [number, number, number];
  const volumeMm3 = sides[0] * sides[1] * sides[2];
  return {
    longestSideMm: sides[0],
    lengthPlusGirthMm: sides[0] + 2 * (sides[1] + sides[2]),
    volumeMm3,
    volumeCm3: ceilDiv(volumeMm3, 1000),
  };
}

export function volumetricWeightGrams(d: Dimensions, divisorCm3PerKg: number): number {
  return ceilDiv(measure(d).volumeMm3, divisorCm3PerKg);
}

// ---------------------------------------------------------------------------------------------------------------------
// Input validation: malformed input is the caller's error (BAD_USER_INPUT), unlike "no tariff", which is an answer.

function assertPositiveInt(value: number, field: string, max: number, unit: string): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw badUserInput(field, `must be a positive integer number of ${unit}`);
  if (value > max) throw badUserInput(field, `must not exceed ${max} ${unit}`);
}

/** Validates a parcel; returns its destination postcode key. */
export function validateParcel(parcel: Parcel, prefix = ''): string {
  assertPositiveInt(parcel.weightGrams, `${prefix}weightGrams`, MAX_WEIGHT_GRAMS, 'grams');
  assertPositiveInt(parcel.dimensions.lengthMm, `${prefix}dimensions.lengthMm`, MAX_SIDE_MM, 'mm');
  assertPositiveInt(parcel.dimensions.widthMm, `${prefix}dimensions.widthMm`, MAX_SIDE_MM, 'mm');
  assertPositiveInt(parcel.dimensions.heightMm, `${prefix}dimensions.heightMm`, MAX_SIDE_MM, 'mm');
  const problem = countryProblem(parcel.destination.country);
  if (problem) throw badUserInput(`${prefix}destination.country`, problem);
  try {
    return normalizePostcode(parcel.destination.country, parcel.destination.postcode);
  } catch (error) {
    if (error instanceof PostcodeError) throw badUserInput(`${prefix}destination.postcode`, error.message);
    throw error;
  }
}

function assertSelection(s: ShipmentToPrice): void {
  if (!isCarrierCode(s.carrierCode)) throw badUserInput('carrierCode', `"${s.carrierCode}" is not a carrier code`);
  if (!SERVICE_LEVELS.includes(s.serviceLevel)) throw badUserInput('serviceLevel', `must be one of ${SERVICE_LEVELS.join(', ')}`);
  if (!DELIVERY_METHODS.includes(s.deliveryMethod)) throw badUserInput('deliveryMethod', `must be one of ${DELIVERY_METHODS.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------------------

const noTariff = (code: NoTariffCode, message: string): PriceResult => ({ ok: false, reason: { code, message } });

const formatMoney = (m: Money): string => `${m.currency} ${m.amount}`;

/** 1250 → "12.50 %", without floating point. */
export function formatBasisPoints(bp: number): string {
  return `${Math.trunc(bp / 100)}.${String(bp % 100).padStart(2, '0')} %`;
}

function appliesTo(s: Surcharge, carrierCode: string, level: ServiceLevel, day: CalendarDate): boolean {
  return s.carrierCode === carrierCode && (s.serviceLevels === null || s.serviceLevels.includes(level)) && isValidOn(s, day);
}

function findZone(card: RateCard, country: string, postcodeKey: string): Zone | undefined {
  const inCountry = card.zones.filter((z) => z.country === country);
  return inCountry.find((z) => z.postcodes.some((r) => postcodeInRange(postcodeKey, r))) ?? inCountry.find((z) => z.postcodes.length === 0);
}

/** The cheapest band the parcel fits; ties go to the smaller band so the choice never depends on declaration order. */
function findBand(bands: readonly RateBand[], chargeableGrams: number, volumeCm3: number): RateBand | undefined {
  return bands
    .filter((b) => chargeableGrams <= b.maxWeightGrams && (b.maxVolumeCm3 === null || volumeCm3 <= b.maxVolumeCm3))
    .sort((a, b) => a.amount - b.amount || a.maxWeightGrams - b.maxWeightGrams || (a.maxVolumeCm3 ?? Infinity) - (b.maxVolumeCm3 ?? Infinity))[0];
}

export class CostEngine {
  readonly book: TariffBook;

  /** Validates the book (see createTariffBook); throws TariffValidationError naming each problem. */
  constructor(book: TariffBook) {
    this.book = createTariffBook(book);
  }

  /** Carriers with at least one rate card, sorted. */
  carriers(): string[] {
    return [...new Set(this.book.rateCards.map((c) => c.carrierCode))].sort();
  }

  /** The rate card a carrier applies for a service level and delivery method on a day, if any. */
  rateCardOn(carrierCode: string, serviceLevel: ServiceLevel, deliveryMethod: DeliveryMethod, day: CalendarDate): RateCard | undefined {
    return this.book.rateCards.find(
      (c) => c.carrierCode === carrierCode && c.serviceLevel === serviceLevel && c.deliveryMethods.includes(deliveryMethod) && isValidOn(c, day),
    );
  }

  /**
   * Prices a shipment with the tariffs valid on `date` (a Date is taken as its UTC day). Returns the itemised
   * breakdown, or why there is no price. Throws BAD_USER_INPUT for a malformed shipment.
   */
  price(shipment: ShipmentToPrice, date: Date | CalendarDate): PriceResult {
    assertSelection(shipment);
    const postcodeKey = validateParcel(shipment);
    let day: CalendarDate;
    try {
      day = toCalendarDate(date);
    } catch (error) {
      throw badUserInput('date', (error as Error).message);
    }
    const { carrierCode, serviceLevel, deliveryMethod, destination } = shipment;
    const label = `${carrierCode} ${serviceLevel}`;

    const card = this.rateCardOn(carrierCode, serviceLevel, deliveryMethod, day);
    if (!card) {
      const other = this.book.rateCards.find((c) => c.carrierCode === carrierCode && c.serviceLevel === serviceLevel && isValidOn(c, day));
      return noTariff(
        'NO_RATE_CARD',
        other ? `${label} delivers only to ${other.deliveryMethods.join('/')} on ${day}, not ${deliveryMethod}` : `${label} has no rate card valid on ${day}`,
      );
    }

    const zone = findZone(card, destination.country, postcodeKey);
    if (!zone) return noTariff('DESTINATION_NOT_SERVED', `${label} (${card.id}) does not serve ${destination.country} ${destination.postcode}`);

    const m = measure(shipment.dimensions);
    if (card.maxLongestSideMm !== null && m.longestSideMm > card.maxLongestSideMm) {
      return noTariff('EXCEEDS_CARRIER_LIMITS', `longest side ${m.longestSideMm} mm exceeds ${label}'s limit of ${card.maxLongestSideMm} mm`);
    }
    if (card.maxLengthPlusGirthMm !== null && m.lengthPlusGirthMm > card.maxLengthPlusGirthMm) {
      return noTariff('EXCEEDS_CARRIER_LIMITS', `length + girth ${m.lengthPlusGirthMm} mm exceeds ${label}'s limit of ${card.maxLengthPlusGirthMm} mm`);
    }

    const volumetricGrams = card.volumetricDivisor === null ? null : ceilDiv(m.volumeMm3, card.volumetricDivisor);
    const chargeableGrams = Math.max(shipment.weightGrams, volumetricGrams ?? 0);
    const zoneBands = card.bands.filter((b) => b.zone === zone.code);
    const band = findBand(zoneBands, chargeableGrams, m.volumeCm3);
    if (!band) {
      const heaviest = Math.max(...zoneBands.map((b) => b.maxWeightGrams));
      return noTariff(
        'NO_MATCHING_BAND',
        chargeableGrams > heaviest
          ? `chargeable weight ${chargeableGrams} g exceeds the heaviest band of zone ${zone.code} (${heaviest} g)`
          : `no band of zone ${zone.code} takes ${chargeableGrams} g and ${m.volumeCm3} cm³`,
      );
    }

    const currency = card.currency;
    const lines: PriceLine[] = [
      {
        kind: 'BASE',
        ruleId: card.id,
        description: `${label} to zone ${zone.code}, up to ${band.maxWeightGrams} g${band.maxVolumeCm3 === null ? '' : ` and ${band.maxVolumeCm3} cm³`}`,
        amount: { amount: band.amount, currency },
      },
    ];

    const surcharges = this.book.surcharges.filter((s) => appliesTo(s, carrierCode, serviceLevel, day));
    const remote = surcharges.find(
      (s): s is RemoteAreaSurcharge =>
        s.kind === 'REMOTE_AREA' && s.country === destination.country && s.postcodes.some((r) => postcodeInRange(postcodeKey, r)),
    );
    const oversize = surcharges.find(
      (s): s is OversizeSurcharge =>
        s.kind === 'OVERSIZE' &&
        ((s.maxLongestSideMm !== null && m.longestSideMm > s.maxLongestSideMm) ||
          (s.maxLengthPlusGirthMm !== null && m.lengthPlusGirthMm > s.maxLengthPlusGirthMm)),
    );
    for (const s of [remote, oversize]) {
      if (!s) continue;
      // Converting currencies is not a tariff's business; a mismatch is a tariff data error worth surfacing.
      if (s.amount.currency !== currency) {
        return noTariff('SURCHARGE_CURRENCY_MISMATCH', `surcharge ${s.id} is in ${s.amount.currency} but rate card ${card.id} is in ${currency}`);
      }
      lines.push({
        kind: s.kind,
        ruleId: s.id,
        description:
          s.kind === 'REMOTE_AREA'
            ? `remote area ${destination.country} ${destination.postcode}`
            : `oversize (longest side ${m.longestSideMm} mm, length + girth ${m.lengthPlusGirthMm} mm)`,
        amount: { ...s.amount },
      });
    }

    const fuel = surcharges.find((s): s is FuelSurcharge => s.kind === 'FUEL');
    if (fuel) {
      const basis = lines.reduce((sum, l) => sum + l.amount.amount, 0);
      lines.push({
        kind: 'FUEL',
        ruleId: fuel.id,
        description: `fuel ${formatBasisPoints(fuel.basisPoints)} of ${formatMoney({ amount: basis, currency })}`,
        amount: { amount: basisPointsOf(basis, fuel.basisPoints), currency },
        basisPoints: fuel.basisPoints,
        basis: { amount: basis, currency },
      });
    }

    const total = lines.reduce((sum, l) => sum + l.amount.amount, 0);
    if (total > MAX_MINOR_UNITS) return noTariff('TOTAL_TOO_LARGE', `total ${total} exceeds ${MAX_MINOR_UNITS} minor units`);

    return {
      ok: true,
      breakdown: {
        carrierCode,
        serviceLevel,
        deliveryMethod,
        date: day,
        rateCardId: card.id,
        zone: zone.code,
        weight: { actualGrams: shipment.weightGrams, volumetricGrams, chargeableGrams },
        volumeCm3: m.volumeCm3,
        band: { maxWeightGrams: band.maxWeightGrams, maxVolumeCm3: band.maxVolumeCm3 },
        lines,
        total: money(total, currency, 'total'),
      },
    };
  }
}

export function createCostEngine(book: TariffBook): CostEngine {
  return new CostEngine(book);
}
