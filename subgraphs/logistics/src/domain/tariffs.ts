import { isIsoCurrency, MAX_MINOR_UNITS, type Money } from '@ipay/platform';
import { countryProblem, formatRange, PostcodeError, postcodeRange, rangesOverlap, type PostcodeRange } from './geo.ts';

/**
 * The multi-carrier tariff model.
 *
 * A tariff book holds rate cards (base prices by zone and weight/volume band) and surcharges (fuel, remote area,
 * oversize). Every one of them is valid for a half-open span of calendar days, [validFrom, validTo): a price change is
 * a new entry starting the day the old one stops, so pricing a shipment on a past day still finds the tariff of that
 * day. Days are UTC calendar days ("YYYY-MM-DD"). Money is integer minor units of the entry's ISO 4217 currency.
 */

export const SERVICE_LEVELS = ['STANDARD', 'EXPRESS', 'SAME_DAY', 'PICKUP_POINT', 'LOCKER'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];

export const DELIVERY_METHODS = ['DOOR', 'PICKUP_POINT', 'LOCKER'] as const;
export type DeliveryMethod = (typeof DELIVERY_METHODS)[number];

/** "YYYY-MM-DD", a UTC calendar day. */
export type CalendarDate = string;

export interface Validity {
  /** First day the entry applies (inclusive). */
  validFrom: CalendarDate;
  /** First day it no longer applies (exclusive); null while open-ended. */
  validTo: CalendarDate | null;
}

export interface Zone {
  /** Code unique within its rate card, e.g. "NL", "NL-WADDEN", "DE-1". */
  code: string;
  country: string;
  /** Postcode ranges of the zone; empty means the whole country. A postcode zone wins over a country-wide one. */
  postcodes: readonly PostcodeRange[];
}

/** One price: a shipment fits the band when its chargeable weight and (if the band has one) volume are within it. */
export interface RateBand {
  zone: string;
  maxWeightGrams: number;
  /** Upper volume limit in cm³ (lockers price by compartment size); null when the band is by weight only. */
  maxVolumeCm3: number | null;
  amount: number;
}

export interface RateCard extends Validity {
  id: string;
  carrierCode: string;
  serviceLevel: ServiceLevel;
  deliveryMethods: readonly DeliveryMethod[];
  currency: string;
  /**
   * Volumetric divisor in cm³ per kg (5000 is usual): volumetric weight = L×W×H / divisor, and the chargeable weight
   * is the greater of actual and volumetric. Null when the carrier charges actual weight only.
   */
  volumetricDivisor: number | null;
  /** Parcels beyond these the carrier does not take at all (not a surcharge: no quote). Null = no limit. */
  maxLongestSideMm: number | null;
  maxLengthPlusGirthMm: number | null;
  zones: readonly Zone[];
  bands: readonly RateBand[];
}

interface SurchargeCommon extends Validity {
  id: string;
  carrierCode: string;
  /** Service levels the surcharge applies to; null = all of the carrier's. */
  serviceLevels: readonly ServiceLevel[] | null;
}

/** Fuel: a percentage in basis points (1 bp = 0.01 %) of the base price plus the other surcharges. */
export interface FuelSurcharge extends SurchargeCommon {
  kind: 'FUEL';
  basisPoints: number;
}

export interface RemoteAreaSurcharge extends SurchargeCommon {
  kind: 'REMOTE_AREA';
  country: string;
  postcodes: readonly PostcodeRange[];
  amount: Money;
}

/**
 * Oversize: applies when the longest side exceeds maxLongestSideMm or length + girth (longest side + 2 × the other
 * two) exceeds maxLengthPlusGirthMm. At least one threshold is set.
 */
export interface OversizeSurcharge extends SurchargeCommon {
  kind: 'OVERSIZE';
  maxLongestSideMm: number | null;
  maxLengthPlusGirthMm: number | null;
  amount: Money;
}

export type Surcharge = FuelSurcharge | RemoteAreaSurcharge | OversizeSurcharge;
export type SurchargeKind = Surcharge['kind'];

export interface TariffBook {
  rateCards: readonly RateCard[];
  surcharges: readonly Surcharge[];
}

export interface TariffIssue {
  /** The id of the rate card or surcharge, so a CSV import can point at its rows. */
  entityId: string;
  /** The field, dotted for nested ones: "bands[2].amount", "zones[0].postcodes". */
  field: string;
  message: string;
}

export class TariffValidationError extends Error {
  override readonly name = 'TariffValidationError';
  constructor(readonly issues: readonly TariffIssue[]) {
    super(`invalid tariff book: ${issues.map((i) => `${i.entityId} ${i.field}: ${i.message}`).join('; ')}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Calendar days

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === value;
}

/** A Date's UTC calendar day, or a calendar day string checked for shape and existence. */
export function toCalendarDate(value: Date | CalendarDate, field = 'date'): CalendarDate {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new RangeError(`${field}: invalid Date`);
    return value.toISOString().slice(0, 10);
  }
  if (!isCalendarDate(value)) throw new RangeError(`${field}: "${value}" is not a calendar date (YYYY-MM-DD)`);
  return value;
}

export function isValidOn(entry: Validity, day: CalendarDate): boolean {
  // ISO dates order as strings.
  return entry.validFrom <= day && (entry.validTo === null || day < entry.validTo);
}

function validitiesOverlap(a: Validity, b: Validity): boolean {
  return (a.validTo === null || b.validFrom < a.validTo) && (b.validTo === null || a.validFrom < b.validTo);
}

function overlapsSet<T>(a: readonly T[] | null, b: readonly T[] | null): boolean {
  if (a === null || b === null) return true;
  return a.some((x) => b.includes(x));
}

// ---------------------------------------------------------------------------------------------------------------------
// Validation

const CARRIER_CODE = /^[a-z][a-z0-9_-]{1,31}$/;
const ZONE_CODE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/;
/** Sides above 10 m or 1000 kg are input errors, not parcels; keeps every product of dimensions a safe integer. */
export const MAX_SIDE_MM = 10_000;
export const MAX_WEIGHT_GRAMS = 1_000_000;

export const isCarrierCode = (code: string): boolean => CARRIER_CODE.test(code);

class Issues {
  readonly list: TariffIssue[] = [];
  add(entityId: string, field: string, message: string): void {
    this.list.push({ entityId, field, message });
  }
  positiveInt(entityId: string, field: string, value: number, max: number): void {
    if (!Number.isSafeInteger(value) || value <= 0) this.add(entityId, field, 'must be a positive integer');
    else if (value > max) this.add(entityId, field, `must not exceed ${max}`);
  }
  optionalPositiveInt(entityId: string, field: string, value: number | null, max: number): void {
    if (value !== null) this.positiveInt(entityId, field, value, max);
  }
  minorUnits(entityId: string, field: string, value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) this.add(entityId, field, 'must be a non-negative integer number of minor units');
    else if (value > MAX_MINOR_UNITS) this.add(entityId, field, `must not exceed ${MAX_MINOR_UNITS} minor units`);
  }
  currency(entityId: string, field: string, value: string): void {
    if (!isIsoCurrency(value)) this.add(entityId, field, `"${value}" is not an ISO 4217 currency code`);
  }
  validity(entityId: string, v: Validity): void {
    if (!isCalendarDate(v.validFrom)) this.add(entityId, 'validFrom', `"${v.validFrom}" is not a calendar date (YYYY-MM-DD)`);
    if (v.validTo !== null) {
      if (!isCalendarDate(v.validTo)) this.add(entityId, 'validTo', `"${v.validTo}" is not a calendar date (YYYY-MM-DD)`);
      else if (v.validTo <= v.validFrom) this.add(entityId, 'validTo', 'must be after validFrom (validTo is exclusive)');
    }
  }
  carrier(entityId: string, code: string): void {
    if (!isCarrierCode(code)) this.add(entityId, 'carrierCode', `"${code}" is not a carrier code (lower case, e.g. "dhl")`);
  }
  country(entityId: string, field: string, code: string): void {
    const problem = countryProblem(code);
    if (problem) this.add(entityId, field, problem);
  }
}

function validateRateCard(card: RateCard, issues: Issues): void {
  const id = card.id;
  issues.carrier(id, card.carrierCode);
  if (!SERVICE_LEVELS.includes(card.serviceLevel)) issues.add(id, 'serviceLevel', `"${card.serviceLevel}" is not one of ${SERVICE_LEVELS.join(', ')}`);
  if (card.deliveryMethods.length === 0) issues.add(id, 'deliveryMethods', 'must name at least one delivery method');
  for (const m of card.deliveryMethods) {
    if (!DELIVERY_METHODS.includes(m)) issues.add(id, 'deliveryMethods', `"${m}" is not one of ${DELIVERY_METHODS.join(', ')}`);
  }
  if (new Set(card.deliveryMethods).size !== card.deliveryMethods.length) issues.add(id, 'deliveryMethods', 'lists a method twice');
  // A pickup-point or locker product can only end at that kind of place.
  if ((card.serviceLevel === 'PICKUP_POINT' || card.serviceLevel === 'LOCKER') && card.deliveryMethods.some((m) => m !== card.serviceLevel)) {
    issues.add(id, 'deliveryMethods', `a ${card.serviceLevel} service delivers only to ${card.serviceLevel}`);
  }
  issues.currency(id, 'currency', card.currency);
  issues.validity(id, card);
  issues.optionalPositiveInt(id, 'volumetricDivisor', card.volumetricDivisor, 1_000_000);
  issues.optionalPositiveInt(id, 'maxLongestSideMm', card.maxLongestSideMm, MAX_SIDE_MM);
  issues.optionalPositiveInt(id, 'maxLengthPlusGirthMm', card.maxLengthPlusGirthMm, 5 * MAX_SIDE_MM);

  if (card.zones.length === 0) issues.add(id, 'zones', 'must define at least one zone');
  const zoneCodes = new Set<string>();
  card.zones.forEach((zone, i) => {
    if (!ZONE_CODE.test(zone.code)) issues.add(id, `zones[${i}].code`, `"${zone.code}" is not a zone code (A-Z, 0-9, "-", "_")`);
    if (zoneCodes.has(zone.code)) issues.add(id, `zones[${i}].code`, `zone "${zone.code}" is defined twice`);
    zoneCodes.add(zone.code);
    issues.country(id, `zones[${i}].country`, zone.country);
  });
  // Two zones claiming one postcode would make the price depend on declaration order.
  for (let i = 0; i < card.zones.length; i += 1) {
    for (let j = i + 1; j < card.zones.length; j += 1) {
      const a = card.zones[i]!;
      const b = card.zones[j]!;
      if (a.country !== b.country) continue;
      if (a.postcodes.length === 0 && b.postcodes.length === 0) {
        issues.add(id, `zones[${j}].postcodes`, `zones "${a.code}" and "${b.code}" both cover all of ${a.country}`);
        continue;
      }
      for (const ra of a.postcodes) {
        const rb = b.postcodes.find((r) => rangesOverlap(ra, r));
        if (rb) issues.add(id, `zones[${j}].postcodes`, `range ${formatRange(rb)} of zone "${b.code}" overlaps range ${formatRange(ra)} of zone "${a.code}"`);
      }
    }
  }

  if (card.bands.length === 0) issues.add(id, 'bands', 'must define at least one band');
  const bandKeys = new Set<string>();
  card.bands.forEach((band, i) => {
    if (!zoneCodes.has(band.zone)) issues.add(id, `bands[${i}].zone`, `zone "${band.zone}" is not defined in this rate card`);
    issues.positiveInt(id, `bands[${i}].maxWeightGrams`, band.maxWeightGrams, MAX_WEIGHT_GRAMS);
    issues.optionalPositiveInt(id, `bands[${i}].maxVolumeCm3`, band.maxVolumeCm3, MAX_SIDE_MM ** 3 / 1000);
    issues.minorUnits(id, `bands[${i}].amount`, band.amount);
    const key = `${band.zone}|${band.maxWeightGrams}|${band.maxVolumeCm3 ?? ''}`;
    if (bandKeys.has(key))
      issues.add(
        id,
        `bands[${i}]`,
        `zone "${band.zone}" has two bands up to ${band.maxWeightGrams} g${band.maxVolumeCm3 === null ? '' : ` and ${band.maxVolumeCm3} cm³`}`,
      );
    bandKeys.add(key);
  });
  for (const zone of zoneCodes) {
    if (!card.bands.some((b) => b.zone === zone)) issues.add(id, 'bands', `zone "${zone}" has no band`);
  }
}

function validateSurcharge(s: Surcharge, issues: Issues): void {
  const id = s.id;
  issues.carrier(id, s.carrierCode);
  issues.validity(id, s);
  if (s.serviceLevels !== null) {
    if (s.serviceLevels.length === 0) issues.add(id, 'serviceLevels', 'must be null (all) or name at least one service level');
    for (const level of s.serviceLevels) {
      if (!SERVICE_LEVELS.includes(level)) issues.add(id, 'serviceLevels', `"${level}" is not one of ${SERVICE_LEVELS.join(', ')}`);
    }
  }
  switch (s.kind) {
    case 'FUEL':
      // Above 100 % is not a fuel surcharge but a typo (2500 bp = 25 %).
      if (!Number.isSafeInteger(s.basisPoints) || s.basisPoints < 0 || s.basisPoints > 10_000) {
        issues.add(id, 'basisPoints', 'must be an integer from 0 to 10000 (basis points: 1250 = 12.5 %)');
      }
      break;
    case 'REMOTE_AREA':
      issues.country(id, 'country', s.country);
      if (s.postcodes.length === 0) issues.add(id, 'postcodes', 'must list at least one postcode range');
      issues.minorUnits(id, 'amount.amount', s.amount.amount);
      issues.currency(id, 'amount.currency', s.amount.currency);
      break;
    case 'OVERSIZE':
      if (s.maxLongestSideMm === null && s.maxLengthPlusGirthMm === null) {
        issues.add(id, 'maxLongestSideMm', 'an oversize surcharge needs maxLongestSideMm or maxLengthPlusGirthMm');
      }
      issues.optionalPositiveInt(id, 'maxLongestSideMm', s.maxLongestSideMm, MAX_SIDE_MM);
      issues.optionalPositiveInt(id, 'maxLengthPlusGirthMm', s.maxLengthPlusGirthMm, 5 * MAX_SIDE_MM);
      issues.minorUnits(id, 'amount.amount', s.amount.amount);
      issues.currency(id, 'amount.currency', s.amount.currency);
      break;
    default: {
      const unknown: never = s;
      issues.add(id, 'kind', `unknown surcharge kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/**
 * Checks a tariff book and returns it frozen for pricing. Rejects, naming entity and field: malformed values, and any
 * ambiguity a price would depend on — two rate cards for one carrier, service level and delivery method valid on the
 * same day, two fuel or oversize surcharges for the same carrier and service on the same day, or two remote-area
 * surcharges covering the same postcode on the same day.
 */
export function createTariffBook(input: TariffBook): TariffBook {
  const issues = new Issues();
  const ids = new Set<string>();
  const checkId = (id: string): void => {
    if (id.trim() === '') issues.add(id, 'id', 'must not be empty');
    if (ids.has(id)) issues.add(id, 'id', 'is used by more than one rate card or surcharge');
    ids.add(id);
  };
  for (const card of input.rateCards) {
    checkId(card.id);
    validateRateCard(card, issues);
  }
  for (const s of input.surcharges) {
    checkId(s.id);
    validateSurcharge(s, issues);
  }

  const cards = input.rateCards;
  for (let i = 0; i < cards.length; i += 1) {
    for (let j = i + 1; j < cards.length; j += 1) {
      const a = cards[i]!;
      const b = cards[j]!;
      if (a.carrierCode !== b.carrierCode || a.serviceLevel !== b.serviceLevel || !validitiesOverlap(a, b)) continue;
      const shared = a.deliveryMethods.filter((m) => b.deliveryMethods.includes(m));
      if (shared.length > 0) {
        issues.add(
          b.id,
          'validFrom',
          `overlaps rate card ${a.id} (${a.carrierCode} ${a.serviceLevel} ${shared.join('/')}); end one with validTo where the other starts`,
        );
      }
    }
  }
  const surcharges = input.surcharges;
  for (let i = 0; i < surcharges.length; i += 1) {
    for (let j = i + 1; j < surcharges.length; j += 1) {
      const a = surcharges[i]!;
      const b = surcharges[j]!;
      if (a.kind !== b.kind || a.carrierCode !== b.carrierCode || !overlapsSet(a.serviceLevels, b.serviceLevels) || !validitiesOverlap(a, b)) continue;
      if (a.kind === 'REMOTE_AREA' && b.kind === 'REMOTE_AREA') {
        if (a.country !== b.country) continue;
        const clash = b.postcodes.find((rb) => a.postcodes.some((ra) => rangesOverlap(ra, rb)));
        if (clash) issues.add(b.id, 'postcodes', `range ${formatRange(clash)} overlaps remote-area surcharge ${a.id} on overlapping days`);
        continue;
      }
      issues.add(
        b.id,
        'validFrom',
        `overlaps ${a.kind.toLowerCase().replace('_', '-')} surcharge ${a.id} for the same carrier and service; end one with validTo where the other starts`,
      );
    }
  }
  if (issues.list.length > 0) throw new TariffValidationError(issues.list);
  // A frozen copy: the caller's objects stay theirs, and nothing can change a validated book behind the engine's back.
  return deepFreeze(structuredClone({ rateCards: input.rateCards, surcharges: input.surcharges }) as TariffBook);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Builds a zone from human-typed ranges ("1000..1099;3000"), reporting a bad range as a PostcodeError. */
export function zone(code: string, country: string, ranges: readonly (string | readonly [string, string])[] = []): Zone {
  return {
    code,
    country,
    postcodes: ranges.map((r) => (typeof r === 'string' ? postcodeRange(country, r) : postcodeRange(country, r[0], r[1]))),
  };
}

export { PostcodeError };
