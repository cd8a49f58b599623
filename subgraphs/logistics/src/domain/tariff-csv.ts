import { parse } from 'csv-parse/sync';
import { PostcodeError, parsePostcodeRanges, type PostcodeRange } from './geo.ts';
import {
  createTariffBook,
  DELIVERY_METHODS,
  isCalendarDate,
  SERVICE_LEVELS,
  TariffValidationError,
  type DeliveryMethod,
  type RateBand,
  type RateCard,
  type ServiceLevel,
  type Surcharge,
  type TariffBook,
  type Zone,
} from './tariffs.ts';

/**
 * Tariff CSV import.
 *
 * Format: UTF-8 (a BOM is fine), comma-separated, RFC 4180 quoting, a header row naming the columns (any order,
 * unknown columns are an error, unused ones may be left out). One row per rate band or surcharge, `kind` saying which:
 *
 * | column                     | BAND     | FUEL     | REMOTE_AREA | OVERSIZE | meaning                                       |
 * | -------------------------- | -------- | -------- | ----------- | -------- | --------------------------------------------- |
 * | kind                       | required | required | required    | required | BAND, FUEL, REMOTE_AREA or OVERSIZE           |
 * | carrier                    | required | required | required    | required | carrier code, e.g. dhl                        |
 * | service_level              | required | optional | optional    | optional | BAND: one level; surcharges: ";"-list, empty = all |
 * | delivery_methods           | required |          |             |          | ";"-list of DOOR, PICKUP_POINT, LOCKER         |
 * | valid_from                 | required | required | required    | required | YYYY-MM-DD, first day (inclusive)             |
 * | valid_to                   | optional | optional | optional    | optional | YYYY-MM-DD, first day no longer valid         |
 * | currency                   | required |          | required    | required | ISO 4217                                      |
 * | zone                       | required |          |             |          | zone code, e.g. NL, NL-WADDEN                 |
 * | country                    | required |          | required    |          | ISO 3166-1 alpha-2 (GB, not UK)               |
 * | postcodes                  | optional |          | required    |          | "1000..1099;9999AA": ranges by "..", list by ";"; empty = whole country |
 * | max_weight_g               | required |          |             |          | band upper weight, grams                      |
 * | max_volume_cm3             | optional |          |             |          | band upper volume, cm³                        |
 * | amount_minor               | required |          | required    | required | price in minor units (745 = 7.45)             |
 * | volumetric_divisor         | optional |          |             |          | cm³ per kg, e.g. 5000                         |
 * | limit_longest_side_mm      | optional |          |             |          | carrier refuses longer parcels                |
 * | limit_length_plus_girth_mm | optional |          |             |          | carrier refuses larger parcels                |
 * | basis_points               |          | required |             |          | fuel percentage, 1250 = 12.5 %                |
 * | over_longest_side_mm       |          |          |             | one of   | oversize when the longest side exceeds this   |
 * | over_length_plus_girth_mm  |          |          |             | these    | oversize when length + girth exceeds this     |
 *
 * BAND rows with the same carrier, service_level, delivery_methods and valid_from form one rate card, and must agree
 * on currency, valid_to, volumetric_divisor and the limits; rows of one zone must agree on its country and postcodes.
 * Numbers are whole numbers without separators. The file is imported all or nothing: every invalid row is reported
 * with its line number (the header is line 1), column and reason, and a file with any error imports nothing.
 */

export const TARIFF_CSV_COLUMNS = [
  'kind',
  'carrier',
  'service_level',
  'delivery_methods',
  'valid_from',
  'valid_to',
  'currency',
  'zone',
  'country',
  'postcodes',
  'max_weight_g',
  'max_volume_cm3',
  'amount_minor',
  'volumetric_divisor',
  'limit_longest_side_mm',
  'limit_length_plus_girth_mm',
  'basis_points',
  'over_longest_side_mm',
  'over_length_plus_girth_mm',
] as const;
export type TariffCsvColumn = (typeof TARIFF_CSV_COLUMNS)[number];

const KINDS = ['BAND', 'FUEL', 'REMOTE_AREA', 'OVERSIZE'] as const;
type Kind = (typeof KINDS)[number];

const USED_BY: Record<Kind, { required: TariffCsvColumn[]; optional: TariffCsvColumn[] }> = {
  BAND: {
    required: ['kind', 'carrier', 'service_level', 'delivery_methods', 'valid_from', 'currency', 'zone', 'country', 'max_weight_g', 'amount_minor'],
    optional: ['valid_to', 'postcodes', 'max_volume_cm3', 'volumetric_divisor', 'limit_longest_side_mm', 'limit_length_plus_girth_mm'],
  },
  FUEL: { required: ['kind', 'carrier', 'valid_from', 'basis_points'], optional: ['service_level', 'valid_to'] },
  REMOTE_AREA: {
    required: ['kind', 'carrier', 'valid_from', 'country', 'postcodes', 'currency', 'amount_minor'],
    optional: ['service_level', 'valid_to'],
  },
  OVERSIZE: {
    required: ['kind', 'carrier', 'valid_from', 'currency', 'amount_minor'],
    optional: ['service_level', 'valid_to', 'over_longest_side_mm', 'over_length_plus_girth_mm'],
  },
};

export interface TariffCsvError {
  /** Line of the file where the row starts; 1 is the header. */
  row: number;
  /** The column at fault, or null for the row as a whole. */
  column: TariffCsvColumn | null;
  message: string;
}

export type TariffCsvResult =
  { ok: true; book: TariffBook; summary: { rows: number; rateCards: number; bands: number; surcharges: number } } | { ok: false; errors: TariffCsvError[] };

/** Files larger than this are not rate sheets; refusing them bounds memory. */
export const MAX_TARIFF_CSV_BYTES = 10 * 1024 * 1024;
const MAX_ROWS = 100_000;

type Row = Partial<Record<TariffCsvColumn, string>>;

interface CardDraft {
  card: Omit<RateCard, 'zones' | 'bands'>;
  zones: Map<string, { zone: Zone; row: number; postcodesRaw: string }>;
  bands: { band: RateBand; row: number }[];
  firstRow: number;
}

class RowErrors {
  readonly list: TariffCsvError[] = [];
  add(row: number, column: TariffCsvColumn | null, message: string): void {
    this.list.push({ row, column, message });
  }
}

function startLine(info: { lines: number }, raw: string): number {
  const body = raw.replace(/^\n+/, '').replace(/\n$/, '');
  return info.lines - (body.match(/\n/g)?.length ?? 0);
}

export function importTariffCsv(input: string | Uint8Array): TariffCsvResult {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > MAX_TARIFF_CSV_BYTES) {
    return { ok: false, errors: [{ row: 1, column: null, message: `file exceeds ${MAX_TARIFF_CSV_BYTES} bytes` }] };
  }
  let records: { record: string[]; raw: string; info: { lines: number } }[];
  try {
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      raw: true,
      max_record_size: 64 * 1024,
      to: MAX_ROWS + 1,
    }) as unknown as typeof records;
  } catch (error) {
    const e = error as { message?: string; lines?: number };
    return { ok: false, errors: [{ row: e.lines ?? 1, column: null, message: `not a readable CSV file: ${e.message ?? String(error)}` }] };
  }
  if (records.length === 0) return { ok: false, errors: [{ row: 1, column: null, message: 'the file is empty; the first line must name the columns' }] };

  const errors = new RowErrors();
  const header = records[0]!.record.map((h) => h.toLowerCase());
  const headerRow = startLine(records[0]!.info, records[0]!.raw);
  header.forEach((name, i) => {
    if (!(TARIFF_CSV_COLUMNS as readonly string[]).includes(name))
      errors.add(headerRow, null, `unknown column "${name}" (column ${i + 1}); known: ${TARIFF_CSV_COLUMNS.join(', ')}`);
    else if (header.indexOf(name) !== i) errors.add(headerRow, name as TariffCsvColumn, 'column named twice');
  });
  for (const needed of ['kind', 'carrier', 'valid_from'] as const) {
    if (!header.includes(needed)) errors.add(headerRow, needed, 'required column is missing from the header');
  }
  if (errors.list.length > 0) return { ok: false, errors: errors.list };
  if (records.length === 1) return { ok: false, errors: [{ row: headerRow, column: null, message: 'the file has a header but no rows' }] };
  if (records.length > MAX_ROWS + 1) return { ok: false, errors: [{ row: 1, column: null, message: `more than ${MAX_ROWS} rows` }] };

  const cards = new Map<string, CardDraft>();
  const surcharges: { surcharge: Surcharge; row: number }[] = [];
  let dataRows = 0;

  for (const { record, raw, info } of records.slice(1)) {
    const line = startLine(info, raw);
    dataRows += 1;
    if (record.length !== header.length) {
      errors.add(line, null, `has ${record.length} fields, the header has ${header.length}`);
      continue;
    }
    const row: Row = {};
    header.forEach((name, i) => {
      if (record[i] !== '') row[name as TariffCsvColumn] = record[i];
    });
    readRow(row, line, errors, cards, surcharges);
  }
  if (errors.list.length > 0) return { ok: false, errors: sortErrors(errors.list) };

  const rateCards: RateCard[] = [...cards.values()].map((d) => ({
    ...d.card,
    zones: [...d.zones.values()].map((z) => z.zone),
    bands: d.bands.map((b) => b.band),
  }));
  try {
    const book = createTariffBook({ rateCards, surcharges: surcharges.map((s) => s.surcharge) });
    return {
      ok: true,
      book,
      summary: { rows: dataRows, rateCards: rateCards.length, bands: rateCards.reduce((n, c) => n + c.bands.length, 0), surcharges: surcharges.length },
    };
  } catch (error) {
    if (!(error instanceof TariffValidationError)) throw error;
    return { ok: false, errors: sortErrors(error.issues.map((issue) => locateIssue(issue, cards, surcharges))) };
  }
}

function sortErrors(list: TariffCsvError[]): TariffCsvError[] {
  return [...list].sort((a, b) => a.row - b.row);
}

// ---------------------------------------------------------------------------------------------------------------------
// One row

function readRow(row: Row, line: number, errors: RowErrors, cards: Map<string, CardDraft>, surcharges: { surcharge: Surcharge; row: number }[]): void {
  const before = errors.list.length;
  const kind = (row.kind ?? '').toUpperCase();
  if (!(KINDS as readonly string[]).includes(kind)) {
    errors.add(line, 'kind', row.kind === undefined ? 'is required' : `"${row.kind}" is not one of ${KINDS.join(', ')}`);
    return;
  }
  const k = kind as Kind;
  const { required, optional } = USED_BY[k];
  for (const column of required) if (row[column] === undefined) errors.add(line, column, `is required for ${k}`);
  for (const column of TARIFF_CSV_COLUMNS) {
    if (row[column] !== undefined && !required.includes(column) && !optional.includes(column))
      errors.add(line, column, `does not apply to ${k}; leave it empty`);
  }
  if (errors.list.length > before) return;

  const read = new CellReader(row, line, errors);
  const carrier = read.carrier();
  const validFrom = read.date('valid_from')!;
  const validTo = read.date('valid_to');
  if (validFrom && validTo && validTo <= validFrom) errors.add(line, 'valid_to', 'must be after valid_from (valid_to is the first day no longer valid)');

  if (k === 'BAND') {
    const serviceLevel = read.serviceLevel();
    const deliveryMethods = read.deliveryMethods();
    const currency = read.currency();
    const country = read.country();
    const zoneCode = read.zoneCode();
    const postcodes = country ? read.postcodes(country, false) : undefined;
    const band = {
      maxWeightGrams: read.int('max_weight_g', true)!,
      maxVolumeCm3: read.int('max_volume_cm3', true) ?? null,
      amount: read.int('amount_minor', false)!,
    };
    const card = {
      volumetricDivisor: read.int('volumetric_divisor', true),
      maxLongestSideMm: read.int('limit_longest_side_mm', true),
      maxLengthPlusGirthMm: read.int('limit_length_plus_girth_mm', true),
    };
    if (errors.list.length > before) return;

    const methods = [...deliveryMethods!].sort();
    const key = [carrier, serviceLevel, methods.join('+'), validFrom].join('|');
    const existing = cards.get(key);
    const draft: CardDraft = existing ?? {
      card: {
        id: `${carrier}:${serviceLevel}:${methods.join('+')}:${validFrom}`,
        carrierCode: carrier!,
        serviceLevel: serviceLevel!,
        deliveryMethods: methods,
        currency: currency!,
        validFrom,
        validTo: validTo ?? null,
        volumetricDivisor: card.volumetricDivisor ?? null,
        maxLongestSideMm: card.maxLongestSideMm ?? null,
        maxLengthPlusGirthMm: card.maxLengthPlusGirthMm ?? null,
      },
      zones: new Map(),
      bands: [],
      firstRow: line,
    };
    if (!existing) cards.set(key, draft);
    else {
      const c = draft.card;
      const differs = (column: TariffCsvColumn, mine: unknown, theirs: unknown): void => {
        if (mine !== theirs)
          errors.add(
            line,
            column,
            `${String(mine ?? 'empty')} differs from ${String(theirs ?? 'empty')} on line ${draft.firstRow}, the first row of this rate card`,
          );
      };
      differs('currency', currency, c.currency);
      differs('valid_to', validTo ?? null, c.validTo);
      differs('volumetric_divisor', card.volumetricDivisor ?? null, c.volumetricDivisor);
      differs('limit_longest_side_mm', card.maxLongestSideMm ?? null, c.maxLongestSideMm);
      differs('limit_length_plus_girth_mm', card.maxLengthPlusGirthMm ?? null, c.maxLengthPlusGirthMm);
    }
    const postcodesRaw = row.postcodes ?? '';
    const known = draft.zones.get(zoneCode!);
    if (!known) {
      draft.zones.set(zoneCode!, { zone: { code: zoneCode!, country: country!, postcodes: postcodes ?? [] }, row: line, postcodesRaw });
    } else {
      if (known.zone.country !== country) errors.add(line, 'country', `zone ${zoneCode} is ${known.zone.country} on line ${known.row}`);
      if (known.postcodesRaw !== postcodesRaw) errors.add(line, 'postcodes', `zone ${zoneCode} has postcodes "${known.postcodesRaw}" on line ${known.row}`);
    }
    const duplicate = draft.bands.find(
      (b) => b.band.zone === zoneCode && b.band.maxWeightGrams === band.maxWeightGrams && b.band.maxVolumeCm3 === band.maxVolumeCm3,
    );
    if (duplicate) errors.add(line, 'max_weight_g', `zone ${zoneCode} already has this band on line ${duplicate.row}`);
    if (errors.list.length > before) return;
    draft.bands.push({ band: { zone: zoneCode!, ...band }, row: line });
    return;
  }

  const serviceLevels = read.serviceLevels();
  const common = {
    id: `${carrier}:${k.toLowerCase()}:${validFrom}:line${line}`,
    carrierCode: carrier!,
    serviceLevels: serviceLevels ?? null,
    validFrom,
    validTo: validTo ?? null,
  };
  let surcharge: Surcharge | undefined;
  if (k === 'FUEL') {
    const basisPoints = read.int('basis_points', false);
    if (basisPoints !== undefined && basisPoints !== null && basisPoints > 10_000)
      errors.add(line, 'basis_points', 'must not exceed 10000 (100 %); 1250 means 12.5 %');
    surcharge = { ...common, kind: 'FUEL', basisPoints: basisPoints! };
  } else if (k === 'REMOTE_AREA') {
    const country = read.country();
    const postcodes = country ? read.postcodes(country, true) : undefined;
    surcharge = {
      ...common,
      kind: 'REMOTE_AREA',
      country: country!,
      postcodes: postcodes ?? [],
      amount: { amount: read.int('amount_minor', false)!, currency: read.currency()! },
    };
  } else {
    const maxLongestSideMm = read.int('over_longest_side_mm', true);
    const maxLengthPlusGirthMm = read.int('over_length_plus_girth_mm', true);
    if (maxLongestSideMm === null && maxLengthPlusGirthMm === null)
      errors.add(line, 'over_longest_side_mm', 'OVERSIZE needs over_longest_side_mm or over_length_plus_girth_mm');
    surcharge = {
      ...common,
      kind: 'OVERSIZE',
      maxLongestSideMm: maxLongestSideMm ?? null,
      maxLengthPlusGirthMm: maxLengthPlusGirthMm ?? null,
      amount: { amount: read.int('amount_minor', false)!, currency: read.currency()! },
    };
  }
  if (errors.list.length === before) surcharges.push({ surcharge, row: line });
}

class CellReader {
  constructor(
    private readonly row: Row,
    private readonly line: number,
    private readonly errors: RowErrors,
  ) {}

  private fail(column: TariffCsvColumn, message: string): undefined {
    this.errors.add(this.line, column, message);
    return undefined;
  }

  carrier(): string | undefined {
    const v = this.row.carrier!.toLowerCase();
    return /^[a-z][a-z0-9_-]{1,31}$/.test(v) ? v : this.fail('carrier', `"${this.row.carrier}" is not a carrier code (e.g. dhl)`);
  }

  /** Undefined when invalid (reported), null when the optional cell is empty. */
  date(column: 'valid_from' | 'valid_to'): string | null {
    const v = this.row[column];
    if (v === undefined) return null;
    if (!isCalendarDate(v)) {
      this.fail(column, `"${v}" is not a date (YYYY-MM-DD)`);
      return '';
    }
    return v;
  }

  serviceLevel(): ServiceLevel | undefined {
    const v = this.row.service_level!.toUpperCase();
    if (v.includes(';')) return this.fail('service_level', 'a BAND row names one service level');
    return (SERVICE_LEVELS as readonly string[]).includes(v)
      ? (v as ServiceLevel)
      : this.fail('service_level', `"${this.row.service_level}" is not one of ${SERVICE_LEVELS.join(', ')}`);
  }

  serviceLevels(): ServiceLevel[] | null | undefined {
    const v = this.row.service_level;
    if (v === undefined) return null;
    const levels = v.split(';').map((s) => s.trim().toUpperCase());
    const bad = levels.find((l) => !(SERVICE_LEVELS as readonly string[]).includes(l));
    if (bad !== undefined) return this.fail('service_level', `"${bad}" is not one of ${SERVICE_LEVELS.join(', ')}`);
    return [...new Set(levels)] as ServiceLevel[];
  }

  deliveryMethods(): DeliveryMethod[] | undefined {
    const methods = this.row.delivery_methods!.split(';').map((s) => s.trim().toUpperCase());
    const bad = methods.find((m) => !(DELIVERY_METHODS as readonly string[]).includes(m));
    if (bad !== undefined) return this.fail('delivery_methods', `"${bad}" is not one of ${DELIVERY_METHODS.join(', ')} (separate several by ";")`);
    if (new Set(methods).size !== methods.length) return this.fail('delivery_methods', 'lists a method twice');
    return methods as DeliveryMethod[];
  }

  currency(): string | undefined {
    const v = this.row.currency!.toUpperCase();
    return /^[A-Z]{3}$/.test(v) && Intl.supportedValuesOf('currency').includes(v)
      ? v
      : this.fail('currency', `"${this.row.currency}" is not an ISO 4217 currency code`);
  }

  country(): string | undefined {
    const v = this.row.country!.toUpperCase();
    if (v === 'UK') return this.fail('country', '"UK" is not an ISO 3166-1 code; the United Kingdom is "GB"');
    return /^[A-Z]{2}$/.test(v) ? v : this.fail('country', `"${this.row.country}" is not an ISO 3166-1 alpha-2 country code`);
  }

  zoneCode(): string | undefined {
    const v = this.row.zone!.toUpperCase();
    return /^[A-Z0-9][A-Z0-9_-]{0,31}$/.test(v) ? v : this.fail('zone', `"${this.row.zone}" is not a zone code (letters, digits, "-", "_")`);
  }

  postcodes(country: string, required: boolean): PostcodeRange[] | undefined {
    const v = this.row.postcodes;
    if (v === undefined) return required ? this.fail('postcodes', 'is required') : [];
    try {
      return parsePostcodeRanges(country, v);
    } catch (error) {
      if (error instanceof PostcodeError) return this.fail('postcodes', error.message);
      throw error;
    }
  }

  /** Whole numbers only: "7.45" or "1,000" in a money column is the most likely spreadsheet mistake. */
  int(column: TariffCsvColumn, positive: boolean): number | null | undefined {
    const v = this.row[column];
    if (v === undefined) return null;
    if (!/^\d+$/.test(v)) {
      const hint = column === 'amount_minor' ? ' in minor units (745 for 7.45)' : '';
      return this.fail(column, `"${v}" is not a whole number${hint}`);
    }
    const n = Number(v);
    if (!Number.isSafeInteger(n)) return this.fail(column, `"${v}" is too large`);
    if (positive && n === 0) return this.fail(column, 'must be greater than 0');
    return n;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Mapping book-level issues back to rows and columns

const FIELD_COLUMNS: Record<string, TariffCsvColumn> = {
  carrierCode: 'carrier',
  serviceLevel: 'service_level',
  serviceLevels: 'service_level',
  deliveryMethods: 'delivery_methods',
  currency: 'currency',
  validFrom: 'valid_from',
  validTo: 'valid_to',
  volumetricDivisor: 'volumetric_divisor',
  basisPoints: 'basis_points',
  country: 'country',
  postcodes: 'postcodes',
  'amount.amount': 'amount_minor',
  'amount.currency': 'currency',
  code: 'zone',
  zone: 'zone',
  maxWeightGrams: 'max_weight_g',
  maxVolumeCm3: 'max_volume_cm3',
  amount: 'amount_minor',
};

function locateIssue(
  issue: { entityId: string; field: string; message: string },
  cards: Map<string, CardDraft>,
  surcharges: { surcharge: Surcharge; row: number }[],
): TariffCsvError {
  const draft = [...cards.values()].find((d) => d.card.id === issue.entityId);
  const surcharge = surcharges.find((s) => s.surcharge.id === issue.entityId);
  let row = draft?.firstRow ?? surcharge?.row ?? 1;
  let field = issue.field;
  const indexed = /^(bands|zones)\[(\d+)\](?:\.(.+))?$/.exec(field);
  if (draft && indexed) {
    const i = Number(indexed[2]);
    row = indexed[1] === 'bands' ? (draft.bands[i]?.row ?? row) : ([...draft.zones.values()][i]?.row ?? row);
    field = indexed[3] ?? (indexed[1] === 'bands' ? 'maxWeightGrams' : 'zone');
  }
  if (draft && field === 'maxLongestSideMm') return { row, column: 'limit_longest_side_mm', message: issue.message };
  if (draft && field === 'maxLengthPlusGirthMm') return { row, column: 'limit_length_plus_girth_mm', message: issue.message };
  if (surcharge && field === 'maxLongestSideMm') return { row, column: 'over_longest_side_mm', message: issue.message };
  if (surcharge && field === 'maxLengthPlusGirthMm') return { row, column: 'over_length_plus_girth_mm', message: issue.message };
  return { row, column: FIELD_COLUMNS[field] ?? null, message: issue.message };
}
