import { and, asc, eq, gt, isNull, lte, or, sql } from 'drizzle-orm';
import { assertCountry, badUserInput, canonicalJson, forbidden, newId, notFound, type Authorization } from '@ipay/platform';
import { carriers, pickupLocations, type PickupLocationRow, type ShipmentRow } from '../db/schema.ts';
import {
  PICKUP_LOCATION_KINDS,
  PostcodeError,
  isCalendarDate,
  isValidOn,
  normalizeOpeningHours,
  normalizePostcode,
  openingStatus,
  toCalendarDate,
  toZonedParts,
  validateOpeningSchedule,
  type OpeningDay,
  type OpeningSchedule,
  type OpeningStatus,
  type PickupLocationKind,
} from '../domain/index.ts';
import type { LogisticsServices } from './services.ts';
import { currentReleaseOf, releasableNow, revealCredentials } from './releases.ts';
import { qrCodePng } from './returns.ts';
import type { Db, Uow } from './system.ts';

type Mutate = <T>(work: (uow: Uow) => Promise<T>) => Promise<T>;

export const scheduleOf = (row: PickupLocationRow): OpeningSchedule => ({
  timeZone: row.timeZone,
  openingHours: row.openingHours,
  validFrom: row.validFrom,
  validTo: row.validTo,
});

/** Open now, and when it closes or next opens, in the location's time zone. */
export const openingStatusOf = (row: PickupLocationRow, now = new Date()): OpeningStatus => openingStatus(scheduleOf(row), now);

/** Today in the location's own time zone (validity days are local). */
export const localDay = (timeZone: string, now = new Date()) => {
  const p = toZonedParts(now, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
};

export interface SavePickupLocationArgs {
  carrierCode: string;
  carrierLocationId: string;
  kind: PickupLocationKind;
  name: string;
  address: { line1: string; line2?: string | null; postalCode: string; city: string; country: string };
  geo?: { latitude: number; longitude: number } | null;
  timeZone: string;
  openingHours: OpeningDay[];
  validFrom?: string | null;
  validTo?: string | null;
}

const text = (value: string | null | undefined, field: string, max: number, required = true): string | null => {
  const v = (value ?? '').trim();
  if (!v) {
    if (required) throw badUserInput(field, 'is required');
    return null;
  }
  if (v.length > max) throw badUserInput(field, `is longer than ${max} characters`);
  return v;
};

/** The stored form of an operator's input, or BAD_USER_INPUT naming the first wrong field. */
export function validatePickupLocation(
  input: SavePickupLocationArgs,
  knownCarriers: readonly string[],
): Omit<PickupLocationRow, 'id' | 'livemode' | 'createdAt' | 'updatedAt'> {
  const carrierCode = input.carrierCode.trim().toLowerCase();
  if (!knownCarriers.includes(carrierCode))
    throw badUserInput('input.carrierCode', `"${input.carrierCode}" is not a carrier (known: ${knownCarriers.join(', ')})`);
  const carrierLocationId = text(input.carrierLocationId, 'input.carrierLocationId', 64)!;
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._:/-]*$/.test(carrierLocationId))
    throw badUserInput('input.carrierLocationId', 'may hold letters, digits, space and . _ : / - only');
  if (!(PICKUP_LOCATION_KINDS as readonly string[]).includes(input.kind))
    throw badUserInput('input.kind', `must be one of ${PICKUP_LOCATION_KINDS.join(', ')}`);
  const country = assertCountry(input.address.country.trim().toUpperCase(), 'input.address.country');
  const postalCode = text(input.address.postalCode, 'input.address.postalCode', 16)!.toUpperCase().replace(/\s+/g, ' ');
  try {
    normalizePostcode(country, postalCode);
  } catch (error) {
    if (error instanceof PostcodeError) throw badUserInput('input.address.postalCode', error.message);
    throw error;
  }
  let latitude: number | null = null;
  let longitude: number | null = null;
  if (input.geo) {
    const { latitude: lat, longitude: lng } = input.geo;
    if (!Number.isFinite(lat) || lat < -90 || lat > 90) throw badUserInput('input.geo.latitude', 'must be between -90 and 90');
    if (!Number.isFinite(lng) || lng < -180 || lng > 180) throw badUserInput('input.geo.longitude', 'must be between -180 and 180');
    latitude = lat;
    longitude = lng;
  }
  const timeZone = input.timeZone.trim();
  const validFrom = input.validFrom?.trim() || null;
  const schedule: OpeningSchedule = {
    timeZone,
    openingHours: input.openingHours.map((d) => ({ weekday: d.weekday, periods: d.periods.map((p) => ({ opens: p.opens.trim(), closes: p.closes.trim() })) })),
    validFrom: validFrom ?? '1970-01-01',
    validTo: input.validTo?.trim() || null,
  };
  const [first] = validateOpeningSchedule(schedule, 'input');
  if (first) throw badUserInput(first.field, first.message);
  return {
    carrierCode,
    carrierLocationId,
    kind: input.kind,
    name: text(input.name, 'input.name', 200)!,
    address: {
      line1: text(input.address.line1, 'input.address.line1', 200)!,
      line2: text(input.address.line2, 'input.address.line2', 200, false),
      postalCode,
      city: text(input.address.city, 'input.address.city', 100)!,
      country,
    },
    latitude,
    longitude,
    timeZone,
    openingHours: normalizeOpeningHours(schedule.openingHours),
    validFrom: validFrom ?? localDay(timeZone),
    validTo: schedule.validTo,
  };
}

/** What the audit trail keeps of a location. */
const auditView = (row: PickupLocationRow) => ({
  carrierCode: row.carrierCode,
  carrierLocationId: row.carrierLocationId,
  kind: row.kind,
  name: row.name,
  address: row.address,
  geo: row.latitude === null ? null : { latitude: row.latitude, longitude: row.longitude },
  timeZone: row.timeZone,
  openingHours: row.openingHours,
  validFrom: row.validFrom,
  validTo: row.validTo,
  livemode: row.livemode,
});

/**
 * Creates or updates a pickup location of the caller's mode, keyed by carrier + the carrier's location id, in one
 * audited transaction (the row lock serialises concurrent saves of one location). Carrier network data is
 * platform-wide: platform operators (tariffs:manage over all data) manage it.
 */
export async function savePickupLocation(db: Db, auth: Authorization, mutate: Mutate, input: SavePickupLocationArgs): Promise<PickupLocationRow> {
  const scope = auth.require('tariffs:manage');
  if (scope.kind !== 'ALL') throw forbidden('pickup locations are carrier network data: saving one needs tariffs:manage over all data (platform operators)');
  const known = (await db.select({ code: carriers.code }).from(carriers).orderBy(asc(carriers.code))).map((c) => c.code);
  const values = validatePickupLocation(input, known);
  const livemode = auth.livemode;
  const key = and(
    eq(pickupLocations.livemode, livemode),
    eq(pickupLocations.carrierCode, values.carrierCode),
    eq(pickupLocations.carrierLocationId, values.carrierLocationId),
  );
  // jsonb keeps its own key order: compare canonically. Saved again unchanged: nothing to change, nothing to audit.
  const same = (row: PickupLocationRow) => canonicalJson(auditView(row)) === canonicalJson(auditView({ ...row, ...values }));
  const [existing] = await db.select().from(pickupLocations).where(key);
  if (existing && same(existing)) return existing;
  return mutate(async (uow) => {
    const [created] = await uow.tx
      .insert(pickupLocations)
      .values({ id: newId('pul'), livemode, ...values })
      .onConflictDoNothing({ target: [pickupLocations.livemode, pickupLocations.carrierCode, pickupLocations.carrierLocationId] })
      .returning();
    if (created) {
      uow.audit({ action: 'pickup_location.create', entityType: 'PickupLocation', entityId: created.id, merchantId: null, after: auditView(created) });
      return created;
    }
    const [current] = await uow.tx.select().from(pickupLocations).where(key).for('update');
    if (!current) throw new Error('pickup location vanished within its transaction');
    // (Unchanged here only when a concurrent save wrote the same values first: recorded as an update all the same.)
    const [updated] = await uow.tx
      .update(pickupLocations)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(pickupLocations.id, current.id))
      .returning();
    uow.audit({
      action: 'pickup_location.update',
      entityType: 'PickupLocation',
      entityId: current.id,
      merchantId: null,
      before: auditView(current),
      after: auditView(updated!),
    });
    return updated!;
  });
}

export interface PickupLocationFilterArgs {
  carrierCode?: string | null;
  kind?: PickupLocationKind | null;
  country?: string | null;
  postalCodePrefix?: string | null;
  validOn?: string | null;
}

/** The pickup locations of the caller's mode (tariffs:read), in service on a day (default today). */
export async function listPickupLocations(db: Db, auth: Authorization, filter: PickupLocationFilterArgs | null | undefined): Promise<PickupLocationRow[]> {
  auth.require('tariffs:read');
  const day = filter?.validOn?.trim() || toCalendarDate(new Date());
  if (!isCalendarDate(day)) throw badUserInput('filter.validOn', `"${day}" is not a calendar date (YYYY-MM-DD)`);
  const country = filter?.country ? assertCountry(filter.country.trim().toUpperCase(), 'filter.country') : null;
  const prefix = filter?.postalCodePrefix ? filter.postalCodePrefix.replace(/\s+/g, '').toUpperCase() : null;
  if (prefix !== null && !/^[A-Z0-9-]{1,16}$/.test(prefix)) throw badUserInput('filter.postalCodePrefix', 'letters, digits and - only');
  return db
    .select()
    .from(pickupLocations)
    .where(
      and(
        eq(pickupLocations.livemode, auth.livemode),
        filter?.carrierCode ? eq(pickupLocations.carrierCode, filter.carrierCode.trim().toLowerCase()) : undefined,
        filter?.kind ? eq(pickupLocations.kind, filter.kind) : undefined,
        country ? sql`${pickupLocations.address} ->> 'country' = ${country}` : undefined,
        prefix ? sql`replace(${pickupLocations.address} ->> 'postalCode', ' ', '') LIKE ${`${prefix}%`}` : undefined,
        lte(pickupLocations.validFrom, day),
        or(isNull(pickupLocations.validTo), gt(pickupLocations.validTo, day)),
      ),
    )
    .orderBy(asc(pickupLocations.carrierCode), asc(pickupLocations.name), asc(pickupLocations.id))
    .limit(200);
}

export async function getPickupLocation(db: Db, auth: Authorization, id: string): Promise<PickupLocationRow> {
  auth.require('tariffs:read');
  const [row] = await db
    .select()
    .from(pickupLocations)
    .where(and(eq(pickupLocations.id, id.trim()), eq(pickupLocations.livemode, auth.livemode)));
  if (!row) throw notFound('PickupLocation', id);
  return row;
}

/**
 * The pickup location a new shipment goes to: of the order's mode, of the delivery method's kind, in service today
 * (local day) and, when the carrier is named, of that carrier. BAD_USER_INPUT on `pickupLocationId` otherwise.
 */
export async function pickupLocationForShipment(
  db: Db,
  args: { pickupLocationId: string; livemode: boolean; deliveryMethod: string; carrierCode: string | null },
): Promise<PickupLocationRow> {
  const field = 'pickupLocationId';
  if (args.deliveryMethod !== 'PICKUP_POINT' && args.deliveryMethod !== 'LOCKER')
    throw badUserInput(field, `a ${args.deliveryMethod} delivery goes to the consumer's address, not to a pickup location`);
  const [row] = await db
    .select()
    .from(pickupLocations)
    .where(and(eq(pickupLocations.id, args.pickupLocationId.trim()), eq(pickupLocations.livemode, args.livemode)));
  if (!row) throw badUserInput(field, `pickup location ${args.pickupLocationId} does not exist in ${args.livemode ? 'live mode' : 'test mode'}`);
  if (row.kind !== args.deliveryMethod) throw badUserInput(field, `${row.name} is a ${row.kind}, the delivery method is ${args.deliveryMethod}`);
  if (args.carrierCode && row.carrierCode !== args.carrierCode)
    throw badUserInput(field, `${row.name} is a ${row.carrierCode} location, the carrier is ${args.carrierCode}`);
  if (!isValidOn(scheduleOf(row), localDay(row.timeZone)))
    throw badUserInput(field, `${row.name} is not in service today (valid ${row.validFrom} to ${row.validTo ?? 'open-ended'})`);
  return row;
}

export type PickupReleaseState = 'AWAITING_PAYMENT' | 'NOT_ISSUED' | 'READY' | 'VERIFIED' | 'LOCKED' | 'REVOKED' | 'EXPIRED';

export interface PickupReleaseView {
  state: PickupReleaseState;
  code: string | null;
  qrToken: string | null;
  qrCodePng: string | null;
  expiresAt: Date | null;
}

export interface PickupInstructionsView {
  shipment: ShipmentRow;
  location: PickupLocationRow;
}

/**
 * The release part of a shipment's pickup instructions. The code and QR leave only while the authorization is
 * ACTIVE, unexpired, and the order is fully paid and not cancelled at this moment (the payment state is re-read,
 * not inferred from the row); every reveal is audited. Carrier partners never read codes; the caller needs
 * orders:read over the order (a consumer token: its own order only).
 */
export async function pickupRelease(
  db: Db,
  auth: Authorization,
  services: LogisticsServices,
  mutate: Mutate,
  shipment: ShipmentRow,
  now = new Date(),
): Promise<PickupReleaseView> {
  if (auth.requirePrincipal().kind === 'partner') throw forbidden('carrier partners verify release codes; they cannot read them');
  auth.requireOrder('orders:read', { id: shipment.orderId, merchantId: shipment.merchantId });
  const none = { code: null, qrToken: null, qrCodePng: null };
  const row = await currentReleaseOf(db, shipment.id);
  const { fullyPaid, cancelled } = await releasableNow(db, shipment.orderId);
  if (!row) return { state: cancelled ? 'REVOKED' : fullyPaid ? 'NOT_ISSUED' : 'AWAITING_PAYMENT', ...none, expiresAt: null };
  const view = (state: PickupReleaseState) => ({ state, ...none, expiresAt: row.expiresAt });
  if (row.status === 'RELEASED') return view('VERIFIED');
  if (row.status === 'LOCKED') return view('LOCKED');
  if (row.status === 'REVOKED' || cancelled) return view('REVOKED');
  if (!fullyPaid) return view('AWAITING_PAYMENT');
  if (row.expiresAt.getTime() <= now.getTime()) return view('EXPIRED');
  const { code, qrToken } = await revealCredentials(services, mutate, row, 'Shipment.pickup');
  return { state: 'READY', code, qrToken, qrCodePng: await qrCodePng(qrToken), expiresAt: row.expiresAt };
}
