/** Countries and timestamps as platforms send them → ISO 3166-1 alpha-2 and UTC instants. */

import { COUNTRIES_WITHOUT_POSTAL_CODES, isTimeZone, timeZoneOffsetMs, zonedTimeToInstant } from '@ipay/platform';

const ALPHA2 = (
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC ' +
  'CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE ' +
  'GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM ' +
  'KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ ' +
  'NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH ' +
  'SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG ' +
  'VI VN VU WF WS YE YT ZA ZM ZW'
).split(' ');
const ALPHA2_SET = new Set(ALPHA2);

export function isCountryCode(code: string): boolean {
  return ALPHA2_SET.has(code);
}

export function postalCodeOptional(country: string): boolean {
  return COUNTRIES_WITHOUT_POSTAL_CODES.has(country);
}

let byName: Map<string, string> | undefined;

/** English country name (as Lazada sends it) → alpha-2, via ICU's own names so no second table drifts. */
export function countryCodeFromName(name: string): string | undefined {
  if (!byName) {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    byName = new Map(ALPHA2.map((code) => [normaliseName(names.of(code) ?? code), code]));
  }
  return byName.get(normaliseName(name));
}

function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

export class TimestampFormatError extends Error {}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 with an explicit offset or Z; a naive timestamp is ambiguous and refused. */
export function parseIsoInstant(value: string): Date {
  if (!ISO_WITH_ZONE.test(value)) throw new TimestampFormatError(`"${value}" is not an ISO 8601 timestamp with a UTC offset`);
  return checked(new Date(value), value);
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/** "2024-05-01 10:00:00" documented as UTC (Magento, Odoo, WooCommerce *_gmt). */
export function parseNaiveUtc(value: string): Date {
  const parts = naiveParts(value);
  return checked(new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], parts[6])), value);
}

/** "2024-05-01 10:00:00" documented as wall-clock time of an IANA zone (PrestaShop shop zone, AliExpress); the platform reads the zone. */
export function parseNaiveInZone(value: string, timeZone: string): Date {
  const [year, month, day, hour, minute, second, millisecond] = naiveParts(value);
  const instant = zonedTimeToInstant({ year, month, day, hour, minute, second, millisecond }, timeZone);
  if (!instant) throw new TimestampFormatError(`"${value}" is not a valid date`);
  return checked(instant, value);
}

/** "2024-05-01 10:00:00 +0800" (Lazada). */
export function parseOffsetNaive(value: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/.exec(value);
  if (!m) throw new TimestampFormatError(`"${value}" is not "YYYY-MM-DD HH:MM:SS ±HHMM"`);
  return checked(new Date(`${m[1]}T${m[2]}${m[3]}:${m[4]}`), value);
}

/** RFC 2822 as BigCommerce v2 sends it ("Tue, 20 Nov 2012 00:00:00 +0000"). */
export function parseRfc2822(value: string): Date {
  if (!/^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/.test(value)) {
    throw new TimestampFormatError(`"${value}" is not an RFC 2822 date`);
  }
  return checked(new Date(value), value);
}

export function fromUnixSeconds(value: number): Date {
  if (!Number.isSafeInteger(value) || value <= 0) throw new TimestampFormatError(`${value} is not a Unix timestamp in seconds`);
  return new Date(value * 1000);
}

export function formatNaiveUtc(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export function formatNaiveInZone(date: Date, timeZone: string): string {
  return formatNaiveUtc(new Date(date.getTime() + timeZoneOffsetMs(timeZone, date)));
}

/** RFC 2822 in UTC, the form BigCommerce's v2 filters and payloads use. */
export function formatRfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export function assertTimeZone(timeZone: string): string {
  if (!isTimeZone(timeZone)) throw new TimestampFormatError(`"${timeZone}" is not an IANA time zone`);
  return timeZone;
}

function naiveParts(value: string): [number, number, number, number, number, number, number] {
  const m = NAIVE.exec(value);
  if (!m) throw new TimestampFormatError(`"${value}" is not "YYYY-MM-DD HH:MM:SS"`);
  const ms = m[7] ? Number(m[7].padEnd(3, '0').slice(0, 3)) : 0;
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms];
}

function checked(date: Date, original: string): Date {
  if (Number.isNaN(date.getTime())) throw new TimestampFormatError(`"${original}" is not a valid date`);
  return date;
}
