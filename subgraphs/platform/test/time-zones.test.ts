import { describe, expect, it } from 'vitest';
import { isTimeZone, timeZoneOffsetMs, toZonedParts, zonedTimeToInstant } from '../src/time-zones.ts';

/** The offset the long way round: the zone's wall clock read back as if it were UTC. */
function wallClockOffsetMs(timeZone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at.getTime() / 1000) * 1000;
}

const ZONES = ['Europe/Amsterdam', 'America/New_York', 'Asia/Kolkata', 'Asia/Shanghai', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns', 'UTC'];

/** Instants from 2000 to 2040, a stride apart that is no whole number of hours, so every DST switch is approached. */
const INSTANTS = Array.from({ length: 3000 }, (_, i) => new Date(Date.UTC(2000, 0, 1) + i * 421_337_000));

describe('time zones (one platform module, Intl offsets)', () => {
  it('names offsets east positive, west negative, including half and quarter hours', () => {
    expect(timeZoneOffsetMs('Europe/Amsterdam', new Date('2026-07-01T12:00:00Z'))).toBe(2 * 3_600_000);
    expect(timeZoneOffsetMs('Europe/Amsterdam', new Date('2026-01-01T12:00:00Z'))).toBe(3_600_000);
    expect(timeZoneOffsetMs('America/New_York', new Date('2026-01-01T12:00:00Z'))).toBe(-5 * 3_600_000);
    expect(timeZoneOffsetMs('Asia/Kolkata', new Date('2026-01-01T12:00:00Z'))).toBe(5.5 * 3_600_000);
    expect(timeZoneOffsetMs('Asia/Kathmandu', new Date('2026-01-01T12:00:00Z'))).toBe(5.75 * 3_600_000);
    expect(timeZoneOffsetMs('UTC', new Date('2026-01-01T12:00:00Z'))).toBe(0);
  });

  it('agrees with the wall-clock reading of the same zone at instants across 2000–2040', () => {
    for (const zone of ZONES) for (const at of INSTANTS) expect(timeZoneOffsetMs(zone, at)).toBe(wallClockOffsetMs(zone, at));
  });

  it('resolves DST edges: a time in the spring gap as the hour after, an autumn time that occurs twice as its second occurrence', () => {
    expect(zonedTimeToInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30, second: 0 }, 'Europe/Amsterdam')).toEqual(new Date('2026-03-29T01:30:00Z'));
    expect(zonedTimeToInstant({ year: 2026, month: 10, day: 25, hour: 2, minute: 30, second: 0 }, 'Europe/Amsterdam')).toEqual(
      new Date('2026-10-25T01:30:00Z'),
    );
    expect(zonedTimeToInstant({ year: 2026, month: 2, day: 30, hour: 12, minute: 0, second: 0 }, 'Europe/Amsterdam')).toBeNull();
  });

  it('maps an instant read as wall-clock parts back to itself (to the second)', () => {
    for (const zone of ZONES) {
      for (const at of INSTANTS) {
        const back = zonedTimeToInstant(toZonedParts(at, zone), zone)!;
        // Only the repeated autumn hour maps to its other occurrence, which reads the same on the wall.
        if (back.getTime() !== at.getTime()) expect(toZonedParts(back, zone)).toEqual(toZonedParts(at, zone));
      }
    }
  });

  it('knows IANA zones and refuses made-up ones', () => {
    expect(isTimeZone('Europe/Warsaw')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
