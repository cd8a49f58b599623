/**
 * Wall-clock time in IANA time zones, for the shops and carriers that send or want local times without an offset.
 * The offsets come from the runtime's ICU data through Intl (no hand-kept table), so DST rules follow the tz database.
 */

/** A wall-clock date and time (no zone). Months are 1–12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond?: number;
}

/** Whether the runtime knows `timeZone` as an IANA zone (or alias such as "UTC"). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const LONG_OFFSET = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** The offset of `timeZone` from UTC at `at`, in ms (positive east of Greenwich), as Intl names it ("GMT+02:00"). */
export function timeZoneOffsetMs(timeZone: string, at: Date): number {
  let formatter = offsetFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    offsetFormatters.set(timeZone, formatter);
  }
  const name = formatter.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? '';
  const m = LONG_OFFSET.exec(name);
  if (!m) throw new Error(`unexpected time zone offset "${name}" for ${timeZone}`);
  if (!m[1]) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/** Whether the fields name a real calendar date and time (no 30 February, no 24:00). */
export function isRealLocalDateTime(t: LocalDateTime): boolean {
  const d = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second));
  return (
    d.getUTCFullYear() === t.year &&
    d.getUTCMonth() === t.month - 1 &&
    d.getUTCDate() === t.day &&
    d.getUTCHours() === t.hour &&
    d.getUTCMinutes() === t.minute &&
    d.getUTCSeconds() === t.second
  );
}

/**
 * The instant a wall-clock time in `timeZone` denotes, or null when the fields are no real date. Two passes settle the
 * offset around DST changes: a time in the spring-forward gap is read with the offset before the switch (02:30 → 03:30
 * summer time), an ambiguous autumn time as its second occurrence (standard time).
 */
export function zonedTimeToInstant(t: LocalDateTime, timeZone: string): Date | null {
  if (!isRealLocalDateTime(t)) return null;
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond ?? 0);
  let instant = wall - timeZoneOffsetMs(timeZone, new Date(wall));
  instant = wall - timeZoneOffsetMs(timeZone, new Date(instant));
  return new Date(instant);
}

/** The wall-clock fields (to the second) of an instant in `timeZone`. */
export function toZonedParts(instant: Date, timeZone: string): LocalDateTime {
  const d = new Date(instant.getTime() + timeZoneOffsetMs(timeZone, instant));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}
