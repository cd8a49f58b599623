/**
 * Countries and postcodes. Zones and remote areas are postcode ranges, so a postcode must compare the same way
 * however it was typed ("1011 ab", "1011AB") and ranges must compare correctly where plain string order does not
 * (UK districts: "KW2" sorts after "KW15" as text, but KW2 < KW15 as a district).
 */

const ISO_3166_ALPHA2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS ' +
    'MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS ' +
    'RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW ' +
    'TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export function isIsoCountry(code: string): boolean {
  return ISO_3166_ALPHA2.has(code);
}

/** Returns a reason when `code` is not an ISO 3166-1 alpha-2 country code, else null. */
export function countryProblem(code: string): string | null {
  if (isIsoCountry(code)) return null;
  if (code === 'UK') return '"UK" is not an ISO 3166-1 code; the United Kingdom is "GB"';
  return `"${code}" is not an ISO 3166-1 alpha-2 country code`;
}

/**
 * A range of postcodes, both ends inclusive, as normalised keys. A bound shorter than a full postcode is a prefix:
 * `1000..1099` covers every NL postcode whose first four characters lie between them, `HS..HS` every Outer Hebrides
 * postcode.
 */
export interface PostcodeRange {
  from: string;
  to: string;
}

export class PostcodeError extends Error {
  override readonly name = 'PostcodeError';
}

interface PostcodeRule {
  /** A full postcode (upper case, without spaces and dashes) → its comparable key, or null when it is not one. */
  full(compact: string): string | null;
  /** A range bound (a full postcode or a prefix of one, upper case, spaces kept) → its key, or null. */
  bound(spaced: string): string | null;
  example: string;
}

function digits(count: number, example: string): PostcodeRule {
  const full = new RegExp(`^\\d{${count}}$`);
  const bound = new RegExp(`^\\d{1,${count}}$`);
  return { full: (c) => (full.test(c) ? c : null), bound: (b) => (bound.test(compact(b)) ? compact(b) : null), example };
}

/** NL: four digits (no leading zero) and two letters, "1011 AB". */
const NL: PostcodeRule = {
  full: (c) => (/^[1-9]\d{3}[A-Z]{2}$/.test(c) ? c : null),
  bound: (b) => {
    const c = compact(b);
    return /^\d{1,4}$/.test(c) || /^\d{4}[A-Z]{1,2}$/.test(c) ? c : null;
  },
  example: '1011 AB',
};

/**
 * GB: outward code (area letters, district number, optional district letter) and inward code (sector digit, unit
 * letters). Keyed as area padded to two characters, district number padded to two digits, district letter or "0",
 * then the inward code, so that text order is postcode order: "KW2" → "KW020", "KW15" → "KW150".
 */
const GB_FULL = /^([A-Z]{1,2})(\d{1,2})([A-Z]?)(\d[A-Z]{2})$/;
const GB_OUTWARD = /^([A-Z]{1,2})(?:(\d{1,2})([A-Z]?))?$/;
const GB_PARTIAL_INWARD = /^\d[A-Z]{0,2}$/;

function gbKey(area: string, district: string | undefined, letter: string | undefined, inward: string | undefined): string {
  let key = area.padEnd(2, '0');
  if (district === undefined || district === '') return key;
  if (district.length === 2 && district.startsWith('0')) return '';
  key += district.padStart(2, '0') + (letter || '0');
  return inward ? key + inward : key;
}

const GB: PostcodeRule = {
  full(c) {
    const m = GB_FULL.exec(c);
    if (!m) return null;
    const key = gbKey(m[1]!, m[2], m[3], m[4]);
    return key || null;
  },
  bound(spaced) {
    // Without the space "E11" could be district E11 or sector E1 1, so a bound with an inward part needs the space.
    const [outward = '', inward, ...rest] = spaced.trim().split(/\s+/);
    if (rest.length > 0 || (inward !== undefined && !GB_PARTIAL_INWARD.test(inward))) return GB.full(compact(spaced));
    const m = GB_OUTWARD.exec(outward);
    // A two-digit district followed by a letter ("SW15A") is not a UK district.
    if (!m || (m[2]?.length === 2 && m[3])) return GB.full(compact(spaced));
    if (inward !== undefined && m[2] === undefined) return null;
    const key = gbKey(m[1]!, m[2], m[3], inward);
    return key || null;
  },
  example: 'SW1A 1AA',
};

const GENERIC: PostcodeRule = {
  full: (c) => (/^[A-Z0-9]{2,10}$/.test(c) ? c : null),
  bound: (b) => (/^[A-Z0-9]{1,10}$/.test(compact(b)) ? compact(b) : null),
  example: '12345',
};

const RULES: Record<string, PostcodeRule> = {
  NL,
  GB,
  DE: digits(5, '10115'),
  FR: digits(5, '75001'),
  IT: digits(5, '00118'),
  ES: digits(5, '28001'),
  FI: digits(5, '00100'),
  SE: digits(5, '111 22'),
  PL: digits(5, '00-950'),
  CZ: digits(5, '110 00'),
  SK: digits(5, '811 01'),
  BE: digits(4, '1000'),
  AT: digits(4, '1010'),
  DK: digits(4, '1050'),
  CH: digits(4, '8001'),
  LU: digits(4, '1111'),
  NO: digits(4, '0150'),
  HU: digits(4, '1051'),
  PT: digits(7, '1000-001'),
};

/** Upper case without spaces and dashes: what people type differently for the same postcode. */
function compact(raw: string): string {
  return raw.trim().toUpperCase().replace(/[\s-]/g, '');
}

/** The comparable key of a full postcode of `country`; throws PostcodeError saying what a postcode looks like. */
export function normalizePostcode(country: string, raw: string): string {
  const rule = RULES[country] ?? GENERIC;
  const key = rule.full(compact(raw));
  if (key === null) throw new PostcodeError(`"${raw}" is not a valid ${country} postcode (e.g. "${rule.example}")`);
  return key;
}

/** The key of a range bound: a full postcode or a prefix of one ("1011", "KW15", "HS"). */
export function normalizePostcodeBound(country: string, raw: string): string {
  const rule = RULES[country] ?? GENERIC;
  const key = rule.bound(raw.trim().toUpperCase());
  if (key === null) throw new PostcodeError(`"${raw}" is neither a ${country} postcode nor the start of one (e.g. "${rule.example}")`);
  return key;
}

export function postcodeRange(country: string, from: string, to: string = from): PostcodeRange {
  const range = { from: normalizePostcodeBound(country, from), to: normalizePostcodeBound(country, to) };
  if (lowerKey(range) > upperKey(range)) throw new PostcodeError(`range "${from}".."${to}" ends before it starts`);
  return range;
}

/**
 * Parses "1000..1099;3000..3099;9999AA": ranges separated by ";", ends by "..", a single value covering one prefix.
 * ("-" cannot separate ends: it is part of PL and PT postcodes.)
 */
export function parsePostcodeRanges(country: string, spec: string): PostcodeRange[] {
  const parts = spec.split(';').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new PostcodeError('empty range in list (ranges are separated by ";")');
  return parts.map((part) => {
    const ends = part.split('..');
    if (ends.length > 2) throw new PostcodeError(`"${part}" has more than one ".."`);
    return postcodeRange(country, ends[0]!, ends[1] ?? ends[0]!);
  });
}

// A bound is a prefix, so the range covers the keys in [from, to + the highest character]; keys are [A-Z0-9].
const HIGHEST = '\u{ffff}';
const lowerKey = (r: PostcodeRange): string => r.from;
const upperKey = (r: PostcodeRange): string => r.to + HIGHEST;

export function postcodeInRange(key: string, range: PostcodeRange): boolean {
  return key >= lowerKey(range) && key <= upperKey(range);
}

export function rangesOverlap(a: PostcodeRange, b: PostcodeRange): boolean {
  return lowerKey(a) <= upperKey(b) && lowerKey(b) <= upperKey(a);
}

export function formatRange(r: PostcodeRange): string {
  return r.from === r.to ? r.from : `${r.from}..${r.to}`;
}
