/** Carriers report times in UTC, with an offset, or in the local time of their country; all become instants here. */

// Wall-clock time in a zone is the platform's (one copy for every subgraph); re-exported for this domain's modules.
import { isRealLocalDateTime as validLocal, zonedTimeToInstant, type LocalDateTime } from '@ipay/platform';
export { toZonedParts, zonedTimeToInstant, type LocalDateTime } from '@ipay/platform';

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s?(Z|[+-]\d{2}:?\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

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

export const pad2 = (n: number): string => String(n).padStart(2, '0');
