import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizePostcode,
  parseInstant,
  parseInstantWithOffset,
  parsePostcodeRanges,
  PostcodeError,
  postcodeInRange,
  rangesOverlap,
  toZonedParts,
  zonedTimeToInstant,
} from '../src/domain/index.ts';

describe('postcodes', () => {
  it('normalises what people type', () => {
    expect(normalizePostcode('NL', ' 1011 ab ')).toBe('1011AB');
    expect(normalizePostcode('PL', '00-950')).toBe('00950');
    expect(normalizePostcode('GB', 'sw1a 1aa')).toBe('SW01A1AA');
    expect(normalizePostcode('GB', 'E1 6AN')).toBe('E0010' + '6AN');
    expect(normalizePostcode('IE', 'D02 X285')).toBe('D02X285');
    expect(() => normalizePostcode('NL', '0123 AB')).toThrow(PostcodeError);
    expect(() => normalizePostcode('DE', '1011')).toThrow('"1011" is not a valid DE postcode (e.g. "10115")');
    expect(() => normalizePostcode('GB', 'SW1A')).toThrow(PostcodeError);
  });

  it('treats range bounds as prefixes', () => {
    const [wadden] = parsePostcodeRanges('NL', '8881..8899');
    expect(postcodeInRange(normalizePostcode('NL', '8881 AA'), wadden!)).toBe(true);
    expect(postcodeInRange(normalizePostcode('NL', '8899 ZZ'), wadden!)).toBe(true);
    expect(postcodeInRange(normalizePostcode('NL', '8900 AA'), wadden!)).toBe(false);
    const [street] = parsePostcodeRanges('NL', '1011 AB..1011 AZ');
    expect(postcodeInRange('1011AC', street!)).toBe(true);
    expect(postcodeInRange('1011BA', street!)).toBe(false);
    expect(() => parsePostcodeRanges('NL', '1100..1000')).toThrow('ends before it starts');
    expect(() => parsePostcodeRanges('NL', '1000;;2000')).toThrow('empty range');
  });

  it('orders UK districts numerically, so ranges of districts mean what they say', () => {
    const [highlands] = parsePostcodeRanges('GB', 'KW15..KW17');
    const inside = (p: string) => postcodeInRange(normalizePostcode('GB', p), highlands!);
    expect(['KW15 1AA', 'KW16 3AA', 'KW17 2ZZ'].map(inside)).toEqual([true, true, true]);
    expect(['KW1 4AA', 'KW2 6AA', 'KW14 7AA', 'KW3 6AA'].map(inside)).toEqual([false, false, false, false]);
    // "E" is the area E, not every area starting with E.
    const [east] = parsePostcodeRanges('GB', 'E');
    expect(postcodeInRange(normalizePostcode('GB', 'E1 6AN'), east!)).toBe(true);
    expect(postcodeInRange(normalizePostcode('GB', 'EC1A 1BB'), east!)).toBe(false);
    // A sector bound needs the space: "E1 1" (sector) is not district E11.
    const [sector] = parsePostcodeRanges('GB', 'E1 1');
    expect(postcodeInRange(normalizePostcode('GB', 'E1 1AA'), sector!)).toBe(true);
    expect(postcodeInRange(normalizePostcode('GB', 'E11 1AA'), sector!)).toBe(false);
  });

  it('decides range overlap exactly as membership does', () => {
    const digits = fc.integer({ min: 1000, max: 9999 }).map(String);
    const range = fc.tuple(digits, digits).map(([a, b]) => (a <= b ? `${a}..${b}` : `${b}..${a}`));
    fc.assert(
      fc.property(range, range, fc.integer({ min: 1000, max: 9999 }), (ra, rb, n) => {
        const [a] = parsePostcodeRanges('NL', ra);
        const [b] = parsePostcodeRanges('NL', rb);
        const key = `${n}AA`;
        if (postcodeInRange(key, a!) && postcodeInRange(key, b!)) expect(rangesOverlap(a!, b!)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('carrier times', () => {
  it('reads offsets and local times across daylight-saving changes', () => {
    expect(parseInstantWithOffset('2020-03-27 12:11:30 +0100')).toEqual(new Date('2020-03-27T11:11:30Z'));
    expect(parseInstantWithOffset('2026-03-02T09:00:00.5+02:00')).toEqual(new Date('2026-03-02T07:00:00.500Z'));
    expect(parseInstantWithOffset('2026-03-02T09:00:00')).toBeNull();
    expect(parseInstantWithOffset('2026-02-30T09:00:00Z')).toBeNull();
    expect(parseInstant('2026-03-02T09:00:00', 'Europe/Berlin')).toEqual(new Date('2026-03-02T08:00:00Z'));
    expect(parseInstant('2026-07-02T09:00:00', 'Europe/Berlin')).toEqual(new Date('2026-07-02T07:00:00Z'));
    // 29 March 2026 02:30 does not exist in Amsterdam; it resolves after the jump.
    expect(zonedTimeToInstant({ year: 2026, month: 3, day: 29, hour: 3, minute: 30, second: 0 }, 'Europe/Amsterdam')).toEqual(new Date('2026-03-29T01:30:00Z'));
    expect(zonedTimeToInstant({ year: 2026, month: 2, day: 29, hour: 3, minute: 30, second: 0 }, 'Europe/Amsterdam')).toBeNull();
  });

  it('round-trips wall-clock time outside the autumn overlap hour', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2025-01-01T00:00:00Z') / 1000, max: Date.parse('2027-12-31T00:00:00Z') / 1000 }), (seconds) => {
        const instant = new Date(seconds * 1000);
        const parts = toZonedParts(instant, 'Europe/Berlin');
        const back = zonedTimeToInstant(parts, 'Europe/Berlin')!;
        // In the repeated hour the wall clock names two instants, an hour apart.
        expect([0, 3_600_000]).toContain(instant.getTime() - back.getTime());
      }),
      { numRuns: 500 },
    );
  });
});
