import { describe, expect, it } from 'vitest';
import { isIanaTimeZone, normalizeOpeningHours, openingStatus, validateOpeningSchedule, type OpeningDay, type OpeningSchedule } from '../src/domain/index.ts';

const weekdays = (periods: { opens: string; closes: string }[], days = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] as const): OpeningDay[] =>
  days.map((weekday) => ({ weekday, periods }));

const shop = (overrides: Partial<OpeningSchedule> = {}): OpeningSchedule => ({
  timeZone: 'Europe/Amsterdam',
  openingHours: [
    ...weekdays([
      { opens: '08:00', closes: '12:30' },
      { opens: '13:30', closes: '18:00' },
    ]),
    { weekday: 'SATURDAY', periods: [{ opens: '09:00', closes: '17:00' }] },
  ],
  validFrom: '2026-01-01',
  validTo: null,
  ...overrides,
});

const at = (iso: string) => new Date(iso);

describe('pickup location opening status (in the location time zone)', () => {
  it('is open inside a period and says when it closes; closed over lunch with the next opening', () => {
    // Wednesday 2026-06-10, CEST (UTC+2): 10:00 local = 08:00Z.
    expect(openingStatus(shop(), at('2026-06-10T08:00:00Z'))).toEqual({ openNow: true, closesAt: at('2026-06-10T10:30:00Z'), nextOpeningAt: null });
    // 12:45 local: lunch break.
    expect(openingStatus(shop(), at('2026-06-10T10:45:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-06-10T11:30:00Z') });
    // Opening and closing instants: opens is inclusive, closes exclusive.
    expect(openingStatus(shop(), at('2026-06-10T06:00:00Z')).openNow).toBe(true);
    expect(openingStatus(shop(), at('2026-06-10T16:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-06-11T06:00:00Z') });
  });

  it('skips closed days: Saturday evening → Monday morning', () => {
    // Saturday 2026-06-13 18:00 local (16:00Z): closed Sunday, opens Monday 08:00 CEST = 06:00Z.
    expect(openingStatus(shop(), at('2026-06-13T16:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-06-15T06:00:00Z') });
  });

  it('uses the zone rules across the spring-forward change (Europe/Amsterdam, 29 March 2026)', () => {
    // Saturday 28 March 17:30 local is CET (UTC+1) = 16:30Z; the next opening is Monday 30 March 08:00 CEST = 06:00Z,
    // not 07:00Z (adding 24-hour days to the old offset would be an hour late).
    expect(openingStatus(shop(), at('2026-03-28T16:30:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-03-30T06:00:00Z') });
    // A locker open 00:00–24:00 on Sunday 29 March: that day has 23 hours.
    const locker = shop({ openingHours: [{ weekday: 'SUNDAY', periods: [{ opens: '00:00', closes: '24:00' }] }] });
    expect(openingStatus(locker, at('2026-03-29T01:30:00Z'))).toEqual({ openNow: true, closesAt: at('2026-03-29T22:00:00Z'), nextOpeningAt: null });
    expect(openingStatus(locker, at('2026-03-28T22:59:00Z')).nextOpeningAt).toEqual(at('2026-03-28T23:00:00Z'));
    // Wall times inside the gap (02:00–03:00 does not exist that night) move forward by the gap, as Temporal's
    // "compatible" disambiguation does: 02:15–02:45 is 03:15–03:45 CEST that night.
    const gap = shop({ openingHours: [{ weekday: 'SUNDAY', periods: [{ opens: '02:15', closes: '02:45' }] }] });
    expect(openingStatus(gap, at('2026-03-29T00:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-03-29T01:15:00Z') });
    // 02:00–03:00 collapses to nothing that night: it never opens then; the next Sunday's does (CEST, 00:00Z).
    const lost = shop({ openingHours: [{ weekday: 'SUNDAY', periods: [{ opens: '02:00', closes: '03:00' }] }] });
    expect(openingStatus(lost, at('2026-03-29T00:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-04-05T00:00:00Z') });
  });

  it('uses the zone rules across the fall-back change (25 October 2026)', () => {
    // Saturday 24 October 17:30 CEST = 15:30Z; Monday 26 October 08:00 is CET (UTC+1) = 07:00Z.
    expect(openingStatus(shop(), at('2026-10-24T15:30:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: at('2026-10-26T07:00:00Z') });
    // Sunday 25 October has 25 hours: a locker open all day closes at the next local midnight, 23:00Z.
    const locker = shop({ openingHours: [{ weekday: 'SUNDAY', periods: [{ opens: '00:00', closes: '24:00' }] }] });
    expect(openingStatus(locker, at('2026-10-25T12:00:00Z'))).toEqual({ openNow: true, closesAt: at('2026-10-25T23:00:00Z'), nextOpeningAt: null });
  });

  it('computes in the location zone, not the server zone: the same instant is open in Warsaw and closed in New York', () => {
    const nine = shop({ openingHours: weekdays([{ opens: '09:00', closes: '17:00' }]) });
    const instant = at('2026-06-10T12:00:00Z'); // 14:00 in Warsaw, 08:00 in New York
    expect(openingStatus({ ...nine, timeZone: 'Europe/Warsaw' }, instant).openNow).toBe(true);
    expect(openingStatus({ ...nine, timeZone: 'America/New_York' }, instant)).toEqual({
      openNow: false,
      closesAt: null,
      nextOpeningAt: at('2026-06-10T13:00:00Z'),
    });
  });

  it('joins a night across midnight (22:00–24:00 + 00:00–02:00) into one opening', () => {
    const night = shop({
      openingHours: [
        { weekday: 'FRIDAY', periods: [{ opens: '22:00', closes: '24:00' }] },
        { weekday: 'SATURDAY', periods: [{ opens: '00:00', closes: '02:00' }] },
      ],
    });
    // Friday 2026-06-12 23:00 CEST = 21:00Z: open until Saturday 02:00 CEST = 00:00Z.
    expect(openingStatus(night, at('2026-06-12T21:00:00Z'))).toEqual({ openNow: true, closesAt: at('2026-06-13T00:00:00Z'), nextOpeningAt: null });
  });

  it('is closed outside its validity, and has no next opening after validTo', () => {
    const ending = shop({ validTo: '2026-06-11' });
    // Wednesday 10 June 19:00 local: Thursday 11 June is no longer valid.
    expect(openingStatus(ending, at('2026-06-10T17:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: null });
    expect(openingStatus(ending, at('2026-06-11T08:00:00Z')).openNow).toBe(false);
    // Not valid yet: the first opening is on validFrom (Monday 2026-07-06, 08:00 CEST).
    expect(openingStatus(shop({ validFrom: '2026-07-06' }), at('2026-07-03T08:00:00Z')).nextOpeningAt).toEqual(at('2026-07-06T06:00:00Z'));
    // No hours at all: never open.
    expect(openingStatus(shop({ openingHours: [] }), at('2026-06-10T08:00:00Z'))).toEqual({ openNow: false, closesAt: null, nextOpeningAt: null });
  });
});

describe('pickup location validation', () => {
  it('accepts a well-formed schedule', () => {
    expect(validateOpeningSchedule(shop())).toEqual([]);
  });

  it('refuses bad times, inverted and overlapping periods, duplicate weekdays, bad zones and validity', () => {
    const errors = validateOpeningSchedule(
      {
        timeZone: '+01:00',
        openingHours: [
          { weekday: 'MONDAY', periods: [{ opens: '8:00', closes: '24:01' }] },
          { weekday: 'TUESDAY', periods: [{ opens: '18:00', closes: '09:00' }] },
          {
            weekday: 'WEDNESDAY',
            periods: [
              { opens: '08:00', closes: '12:00' },
              { opens: '11:30', closes: '14:00' },
            ],
          },
          { weekday: 'WEDNESDAY', periods: [] },
        ],
        validFrom: '2026-02-30',
        validTo: '2026-01-01',
      },
      'input',
    );
    expect(errors.map((e) => e.field)).toEqual([
      'input.timeZone',
      'input.openingHours[0].periods[0].opens',
      'input.openingHours[0].periods[0].closes',
      'input.openingHours[1].periods[0].closes',
      'input.openingHours[2].periods[1]',
      'input.openingHours[3].weekday',
      'input.validFrom',
    ]);
    expect(validateOpeningSchedule(shop({ validFrom: '2026-05-01', validTo: '2026-05-01' })).map((e) => e.field)).toEqual(['input.validTo']);
  });

  it('knows IANA zones (and their aliases), not offsets or made-up names', () => {
    expect(isIanaTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isIanaTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isIanaTimeZone('UTC')).toBe(true);
    expect(isIanaTimeZone('Europe/Kiev')).toBe(true);
    expect(isIanaTimeZone('Europe/Atlantis')).toBe(false);
    expect(isIanaTimeZone('+01:00')).toBe(false);
    expect(isIanaTimeZone('CET ')).toBe(false);
    expect(isIanaTimeZone('')).toBe(false);
  });

  it("stores the week Monday first with each day's periods in order", () => {
    expect(
      normalizeOpeningHours([
        { weekday: 'SUNDAY', periods: [{ opens: '10:00', closes: '12:00' }] },
        {
          weekday: 'MONDAY',
          periods: [
            { opens: '13:00', closes: '17:00' },
            { opens: '08:00', closes: '12:00' },
          ],
        },
      ]),
    ).toEqual([
      {
        weekday: 'MONDAY',
        periods: [
          { opens: '08:00', closes: '12:00' },
          { opens: '13:00', closes: '17:00' },
        ],
      },
      { weekday: 'SUNDAY', periods: [{ opens: '10:00', closes: '12:00' }] },
    ]);
  });
});
