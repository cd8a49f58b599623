import { assertCurrency, assertMinorUnits, badUserInput, type Money } from '@ipay/platform';
import { validateParcel, type CostEngine, type NoTariffCode, type Parcel, type PriceBreakdown } from './cost-engine.ts';
import { DELIVERY_METHODS, isCarrierCode, SERVICE_LEVELS, type CalendarDate, type DeliveryMethod, type ServiceLevel } from './tariffs.ts';

/**
 * Carrier orchestration: which carrier takes an order's parcel.
 *
 * Every carrier offered is priced with the tariffs of the day. A candidate is eligible when it has a price for the
 * requested service level (or, with acceptFasterService, a faster door service), in the order's currency, within the
 * merchant's maximum, and the merchant has not excluded the carrier. The choice is the cheapest eligible preferred
 * carrier; only when no preferred carrier is eligible, the cheapest eligible other one. Ties break by the merchant's
 * preference order, then the exactly requested service level over a faster one, then carrier code, then service level:
 * the same input always picks the same carrier. Every candidate comes back with its price or why it was rejected.
 */

export interface MerchantPreferences {
  /** Carriers the merchant prefers, most preferred first. */
  preferredCarriers?: readonly string[];
  excludedCarriers?: readonly string[];
  /** Most the merchant will pay for the shipment, in the order's currency. */
  maxPrice?: Money | null;
}

export interface OrchestrationRequest {
  parcel: Parcel;
  serviceLevel: ServiceLevel;
  deliveryMethod: DeliveryMethod;
  /** The day to price on (a Date is taken as its UTC day). */
  date: Date | CalendarDate;
  /** The currency the merchant pays shipping in; quotes in another currency are not comparable and are rejected. */
  currency: string;
  /** Carriers that may be considered (the active ones). */
  carriers: readonly string[];
  preferences?: MerchantPreferences;
  /** Let a faster door service (EXPRESS, SAME_DAY) win a STANDARD request when it is cheaper. Default false. */
  acceptFasterService?: boolean;
}

export type RejectionCode = NoTariffCode | 'EXCLUDED_BY_MERCHANT' | 'ABOVE_MAX_PRICE' | 'CURRENCY_MISMATCH';

export interface Candidate {
  carrierCode: string;
  serviceLevel: ServiceLevel;
  /** 0 for the most preferred carrier; null when the carrier is not preferred. */
  preferenceRank: number | null;
  outcome: 'CHOSEN' | 'ELIGIBLE' | 'REJECTED';
  price: Money | null;
  breakdown: PriceBreakdown | null;
  rejection: { code: RejectionCode; message: string } | null;
}

export interface OrchestrationResult {
  chosen: Candidate | null;
  /** The chosen one first, then the eligible in ranking order, then the rejected by carrier code. */
  candidates: Candidate[];
  explanation: string;
}

/** Door services from slowest to fastest; pickup-point and locker services have no faster variant. */
const DOOR_LADDER: readonly ServiceLevel[] = ['STANDARD', 'EXPRESS', 'SAME_DAY'];

function levelsFor(requested: ServiceLevel, acceptFaster: boolean): ServiceLevel[] {
  const i = DOOR_LADDER.indexOf(requested);
  if (i < 0 || !acceptFaster) return [requested];
  return DOOR_LADDER.slice(i);
}

function carrierList(values: readonly string[] | undefined, field: string): string[] {
  const list = [...(values ?? [])];
  list.forEach((code, i) => {
    if (!isCarrierCode(code)) throw badUserInput(`${field}[${i}]`, `"${code}" is not a carrier code`);
  });
  const dup = list.find((c, i) => list.indexOf(c) !== i);
  if (dup) throw badUserInput(field, `lists "${dup}" twice`);
  return list;
}

function validateRequest(req: OrchestrationRequest): void {
  validateParcel(req.parcel, 'parcel.');
  if (!SERVICE_LEVELS.includes(req.serviceLevel)) throw badUserInput('serviceLevel', `must be one of ${SERVICE_LEVELS.join(', ')}`);
  if (!DELIVERY_METHODS.includes(req.deliveryMethod)) throw badUserInput('deliveryMethod', `must be one of ${DELIVERY_METHODS.join(', ')}`);
  if ((req.serviceLevel === 'PICKUP_POINT' || req.serviceLevel === 'LOCKER') && req.deliveryMethod !== req.serviceLevel) {
    throw badUserInput('deliveryMethod', `a ${req.serviceLevel} service delivers to ${req.serviceLevel}, not ${req.deliveryMethod}`);
  }
  assertCurrency(req.currency, 'currency');
  if (carrierList(req.carriers, 'carriers').length === 0) throw badUserInput('carriers', 'must offer at least one carrier');
  const preferred = carrierList(req.preferences?.preferredCarriers, 'preferences.preferredCarriers');
  const excluded = carrierList(req.preferences?.excludedCarriers, 'preferences.excludedCarriers');
  const both = preferred.find((c) => excluded.includes(c));
  if (both) throw badUserInput('preferences.excludedCarriers', `"${both}" is also a preferred carrier`);
  const max = req.preferences?.maxPrice;
  if (max) {
    assertMinorUnits(max.amount, 'preferences.maxPrice.amount');
    if (max.currency !== req.currency) throw badUserInput('preferences.maxPrice.currency', `must be the order's currency ${req.currency}`);
  }
}

const fmt = (m: Money): string => `${m.currency} ${m.amount}`;

function compareEligible(requested: ServiceLevel) {
  return (a: Candidate, b: Candidate): number =>
    a.price!.amount - b.price!.amount ||
    (a.preferenceRank ?? Infinity) - (b.preferenceRank ?? Infinity) ||
    Number(a.serviceLevel !== requested) - Number(b.serviceLevel !== requested) ||
    a.carrierCode.localeCompare(b.carrierCode) ||
    SERVICE_LEVELS.indexOf(a.serviceLevel) - SERVICE_LEVELS.indexOf(b.serviceLevel);
}

export function orchestrate(engine: CostEngine, request: OrchestrationRequest): OrchestrationResult {
  validateRequest(request);
  const preferred = [...(request.preferences?.preferredCarriers ?? [])];
  const excluded = new Set(request.preferences?.excludedCarriers ?? []);
  const maxPrice = request.preferences?.maxPrice ?? null;
  const levels = levelsFor(request.serviceLevel, request.acceptFasterService ?? false);

  const candidates: Candidate[] = [];
  for (const carrierCode of [...request.carriers].sort()) {
    const rank = preferred.indexOf(carrierCode);
    const base = { carrierCode, preferenceRank: rank < 0 ? null : rank };
    if (excluded.has(carrierCode)) {
      candidates.push({
        ...base,
        serviceLevel: request.serviceLevel,
        outcome: 'REJECTED',
        price: null,
        breakdown: null,
        rejection: { code: 'EXCLUDED_BY_MERCHANT', message: `the merchant excluded ${carrierCode}` },
      });
      continue;
    }
    for (const serviceLevel of levels) {
      const result = engine.price({ ...request.parcel, carrierCode, serviceLevel, deliveryMethod: request.deliveryMethod }, request.date);
      if (!result.ok) {
        // A carrier without the faster service is not news; its missing requested service is.
        if (serviceLevel !== request.serviceLevel && result.reason.code === 'NO_RATE_CARD') continue;
        candidates.push({ ...base, serviceLevel, outcome: 'REJECTED', price: null, breakdown: null, rejection: result.reason });
        continue;
      }
      const { total } = result.breakdown;
      let rejection: Candidate['rejection'] = null;
      if (total.currency !== request.currency) {
        rejection = { code: 'CURRENCY_MISMATCH', message: `quoted in ${total.currency}, the order pays in ${request.currency}` };
      } else if (maxPrice && total.amount > maxPrice.amount) {
        rejection = { code: 'ABOVE_MAX_PRICE', message: `${fmt(total)} is above the merchant's maximum of ${fmt(maxPrice)}` };
      }
      candidates.push({
        ...base,
        serviceLevel,
        outcome: rejection ? 'REJECTED' : 'ELIGIBLE',
        price: total,
        breakdown: result.breakdown,
        rejection,
      });
    }
  }

  const compare = compareEligible(request.serviceLevel);
  const eligible = candidates.filter((c) => c.outcome === 'ELIGIBLE').sort(compare);
  const eligiblePreferred = eligible.filter((c) => c.preferenceRank !== null);
  const pool = eligiblePreferred.length > 0 ? eligiblePreferred : eligible;
  const chosen = pool[0] ?? null;
  if (chosen) chosen.outcome = 'CHOSEN';

  const rejected = candidates.filter((c) => c.outcome === 'REJECTED');
  const ordered = [
    ...(chosen ? [chosen] : []),
    ...eligiblePreferred.filter((c) => c !== chosen),
    ...eligible.filter((c) => c.preferenceRank === null && c !== chosen),
    ...rejected,
  ];

  return { chosen, candidates: ordered, explanation: explain(chosen, pool, eligible, rejected, preferred.length > 0) };
}

function explain(chosen: Candidate | null, pool: Candidate[], eligible: Candidate[], rejected: Candidate[], hasPreferences: boolean): string {
  if (!chosen) {
    const reasons = rejected.map((c) => `${c.carrierCode} ${c.serviceLevel}: ${c.rejection!.code} (${c.rejection!.message})`);
    return `No carrier can take this shipment. ${reasons.join('; ')}`;
  }
  const what = `${chosen.carrierCode} ${chosen.serviceLevel} at ${fmt(chosen.price!)}`;
  let why: string;
  if (chosen.preferenceRank !== null) {
    why = `the cheapest of ${pool.length} eligible preferred carrier quote${pool.length === 1 ? '' : 's'}`;
    const cheaper = eligible.filter((c) => c.preferenceRank === null && c.price!.amount < chosen.price!.amount);
    if (cheaper.length > 0) why += ` (preferred over cheaper ${cheaper.map((c) => `${c.carrierCode} at ${fmt(c.price!)}`).join(', ')})`;
  } else {
    why = `the cheapest of ${pool.length} eligible quote${pool.length === 1 ? '' : 's'}${hasPreferences ? ' (no preferred carrier is eligible)' : ''}`;
  }
  const tied = pool.filter((c) => c !== chosen && c.price!.amount === chosen.price!.amount);
  if (tied.length > 0) {
    why += `; tied with ${tied.map((c) => `${c.carrierCode} ${c.serviceLevel}`).join(', ')}, broken by preference order, exact service level, then carrier code`;
  }
  return `Chose ${what}: ${why}.`;
}
