/** Carriers report times in UTC, with an offset, or in the local time of their country; all become instants here. */

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond?: number;
}

function validLocal(t: LocalDateTime): boolean {
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

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at `instant`, in ms. */
function zoneOffsetMs(instant: number, timeZone: string): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetFormatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `timeZone` denotes. Two passes settle the offset around DST changes; a time that
 * falls in the spring-forward gap resolves to the later offset, an ambiguous autumn time to the first occurrence.
 */
export function zonedTimeToInstant(t: LocalDateTime, timeZone: string): Date | null {
  if (!validLocal(t)) return null;
  const wall = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond ?? 0);
  let instant = wall - zoneOffsetMs(wall, timeZone);
  instant = wall - zoneOffsetMs(instant, timeZone);
  return new Date(instant);
}

function fraction(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(3, '0').slice(0, 3)) : 0;
}

/** An ISO 8601 timestamp that names its offset ("2024-04-23T13:15:19Z", "2020-03-27 12:11:30 +0100"). */
export function parseInstantWithOffset(value: string): Date | null {
  const m = ISO_WITH_ZONE.exec(value.trim());
  if (!m) return null;
  const local: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4]),
    minute: Number(m[5]),
    second: Number(m[6] ?? 0),
    millisecond: fraction(m[7]),
  };
  if (!validLocal(local)) return null;
  const zone = m[8]!;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 14 || minutes > 59) return null;
    offsetMinutes = sign * (hours * 60 + minutes);
  }
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
  return new Date(wall - offsetMinutes * 60_000);
}

/** An ISO 8601 timestamp with an offset, or without one, then read as wall-clock time in `defaultTimeZone`. */
export function parseInstant(value: string, defaultTimeZone: string): Date | null {
  const withOffset = parseInstantWithOffset(value);
  if (withOffset) return withOffset;
  const m = ISO_LOCAL.exec(value.trim());
  if (!m) return null;
  return zonedTimeToInstant(
    {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6] ?? 0),
      millisecond: fraction(m[7]),
    },
    defaultTimeZone,
  );
}

/** Wall-clock fields of an instant in a time zone (for producing carrier-local timestamps). */
export function toZonedParts(instant: Date, timeZone: string): LocalDateTime {
  const offset = zoneOffsetMs(instant.getTime(), timeZone);
  const d = new Date(instant.getTime() + offset);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');
