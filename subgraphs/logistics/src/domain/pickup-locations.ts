/**
 * Pickup locations (a carrier's pickup points and parcel lockers): validation of what an operator stores, and
 * whether a location is open at an instant, computed in the location's own time zone (DST included).
 *
 * Opening hours are per ISO weekday (1 = Monday … 7 = Sunday) as local wall-clock periods `HH:MM`–`HH:MM`; a period
 * may end at `24:00` (midnight) and never crosses midnight (22:00–02:00 is written 22:00–24:00 plus 00:00–02:00 of
 * the next day, which the status joins into one opening). Validity is `[validFrom, validTo)` in local calendar days.
 */
import { isCalendarDate, isValidOn, type CalendarDate } from './tariffs.ts';
import { toZonedParts, zonedTimeToInstant } from './time.ts';

export const PICKUP_LOCATION_KINDS = ['PICKUP_POINT', 'LOCKER'] as const;
export type PickupLocationKind = (typeof PICKUP_LOCATION_KINDS)[number];

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningPeriod {
  /** Local `HH:MM`, 00:00–23:59. */
  opens: string;
  /** Local `HH:MM` after `opens`, up to 24:00. */
  closes: string;
}

export interface OpeningDay {
  weekday: Weekday;
  periods: OpeningPeriod[];
}

export interface OpeningSchedule {
  timeZone: string;
  /** At most one entry per weekday; a weekday without an entry (or without periods) is closed. */
  openingHours: readonly OpeningDay[];
  validFrom: CalendarDate;
  validTo: CalendarDate | null;
}

export interface OpeningStatus {
  openNow: boolean;
  /** Open now: when this opening ends (joined across adjacent periods, e.g. past midnight). */
  closesAt: Date | null;
  /** Closed now: the next opening within the horizon and the validity; null when there is none. */
  nextOpeningAt: Date | null;
}

export interface PickupValidationError {
  field: string;
  message: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after local midnight of `HH:MM` (`24:00` = 1440 when `allowMidnight`), or null. */
export function minutesOf(value: string, allowMidnight = false): number | null {
  if (allowMidnight && value === '24:00') return 1440;
  const m = HHMM.exec(value);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

let zones: Set<string> | null = null;

/** An IANA time zone name the runtime knows (e.g. Europe/Amsterdam; aliases such as Europe/Kiev too); never an offset. */
export function isIanaTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  zones ??= new Set(Intl.supportedValuesOf('timeZone'));
  if (zones.has(value) || value === 'UTC') return true;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    return zones.has(resolved) || resolved === 'UTC';
  } catch {
    return false;
  }
}

/** Every problem with an opening schedule (time zone, weekdays, periods, validity); empty when valid. */
export function validateOpeningSchedule(schedule: OpeningSchedule, field = 'input'): PickupValidationError[] {
  const errors: PickupValidationError[] = [];
  if (!isIanaTimeZone(schedule.timeZone))
    errors.push({ field: `${field}.timeZone`, message: `"${schedule.timeZone}" is not an IANA time zone (e.g. Europe/Amsterdam)` });
  const seen = new Set<string>();
  schedule.openingHours.forEach((day, i) => {
    const at = `${field}.openingHours[${i}]`;
    if (!(WEEKDAYS as readonly string[]).includes(day.weekday)) errors.push({ field: `${at}.weekday`, message: `must be one of ${WEEKDAYS.join(', ')}` });
    if (seen.has(day.weekday)) errors.push({ field: `${at}.weekday`, message: `${day.weekday} is given twice; list all its periods in one entry` });
    seen.add(day.weekday);
    const ranges: [number, number, number][] = [];
    day.periods.forEach((p, j) => {
      const opens = minutesOf(p.opens);
      const closes = minutesOf(p.closes, true);
      if (opens === null) errors.push({ field: `${at}.periods[${j}].opens`, message: `"${p.opens}" is not a time HH:MM (00:00–23:59)` });
      if (closes === null) errors.push({ field: `${at}.periods[${j}].closes`, message: `"${p.closes}" is not a time HH:MM (00:00–24:00)` });
      if (opens !== null && closes !== null) {
        if (closes <= opens)
          errors.push({ field: `${at}.periods[${j}].closes`, message: `must be after opens (${p.opens}); a period past midnight is split at 24:00` });
        else ranges.push([opens, closes, j]);
      }
    });
    ranges.sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < ranges.length; k += 1) {
      if (ranges[k]![0] < ranges[k - 1]![1]) errors.push({ field: `${at}.periods[${ranges[k]![2]}]`, message: `overlaps another period of ${day.weekday}` });
    }
  });
  if (!isCalendarDate(schedule.validFrom)) errors.push({ field: `${field}.validFrom`, message: `"${schedule.validFrom}" is not a calendar date (YYYY-MM-DD)` });
  if (schedule.validTo !== null) {
    if (!isCalendarDate(schedule.validTo)) errors.push({ field: `${field}.validTo`, message: `"${schedule.validTo}" is not a calendar date (YYYY-MM-DD)` });
    else if (isCalendarDate(schedule.validFrom) && schedule.validTo <= schedule.validFrom)
      errors.push({ field: `${field}.validTo`, message: 'must be after validFrom (validity is [validFrom, validTo))' });
  }
  return errors;
}

/** The schedule's days sorted Monday first and each day's periods by opening time (how it is stored and shown). */
export function normalizeOpeningHours(days: readonly OpeningDay[]): OpeningDay[] {
  return [...days]
    .sort((a, b) => WEEKDAYS.indexOf(a.weekday) - WEEKDAYS.indexOf(b.weekday))
    .map((d) => ({
      weekday: d.weekday,
      periods: [...d.periods].sort((a, b) => minutesOf(a.opens)! - minutesOf(b.opens)!).map((p) => ({ opens: p.opens, closes: p.closes })),
    }));
}

/** How far ahead the next opening is looked for. */
export const OPENING_HORIZON_DAYS = 14;

const addDays = (day: { year: number; month: number; day: number }, n: number) => {
  const d = new Date(Date.UTC(day.year, day.month - 1, day.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
};
const isoDay = (d: { year: number; month: number; day: number }) => `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
/** ISO weekday of a calendar day: MONDAY … SUNDAY. */
const weekdayOf = (d: { year: number; month: number; day: number }): Weekday => WEEKDAYS[(new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7]!;

/** The instant a local day + minutes-after-midnight denotes in the zone (24:00 = the next day's midnight). */
function instantOf(day: { year: number; month: number; day: number }, minutes: number, timeZone: string): Date {
  const d = minutes === 1440 ? addDays(day, 1) : day;
  const m = minutes === 1440 ? 0 : minutes;
  return zonedTimeToInstant({ year: d.year, month: d.month, day: d.day, hour: Math.floor(m / 60), minute: m % 60, second: 0 }, timeZone)!;
}

/**
 * Whether the location is open at `now`, and when it closes or next opens, in its time zone. Periods are turned
 * into instants per local day (so a day of 23 or 25 hours is handled by the zone rules, not by adding hours);
 * adjacent periods join (a night past 24:00). Days outside the validity are closed.
 */
export function openingStatus(schedule: OpeningSchedule, now: Date): OpeningStatus {
  const byDay = new Map(schedule.openingHours.map((d) => [d.weekday, d.periods]));
  const local = toZonedParts(now, schedule.timeZone);
  const today = { year: local.year, month: local.month, day: local.day };
  const intervals: { start: Date; end: Date }[] = [];
  for (let offset = -1; offset <= OPENING_HORIZON_DAYS; offset += 1) {
    const day = addDays(today, offset);
    if (!isValidOn(schedule, isoDay(day))) continue;
    for (const p of byDay.get(weekdayOf(day)) ?? []) {
      const start = instantOf(day, minutesOf(p.opens)!, schedule.timeZone);
      const end = instantOf(day, minutesOf(p.closes, true)!, schedule.timeZone);
      // Wall times in a spring-forward gap move forward by the gap; a period wholly inside it collapses and never opens.
      if (end.getTime() > start.getTime()) intervals.push({ start, end });
    }
  }
  intervals.sort((a, b) => a.start.getTime() - b.start.getTime());
  const joined: { start: Date; end: Date }[] = [];
  for (const i of intervals) {
    const last = joined[joined.length - 1];
    if (last && i.start.getTime() <= last.end.getTime()) {
      if (i.end.getTime() > last.end.getTime()) last.end = i.end;
    } else joined.push({ ...i });
  }
  const t = now.getTime();
  const current = joined.find((i) => i.start.getTime() <= t && t < i.end.getTime());
  if (current) return { openNow: true, closesAt: current.end, nextOpeningAt: null };
  const next = joined.find((i) => i.start.getTime() > t);
  return { openNow: false, closesAt: null, nextOpeningAt: next?.start ?? null };
}
