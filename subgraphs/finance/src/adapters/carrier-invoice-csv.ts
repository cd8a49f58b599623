import { parse } from 'csv-parse/sync';
import { badUserInput, isIsoCurrency, MoneyFormatError, toMinorUnits } from '@ipay/platform';
import { isCalendarDate } from '../domain/aging.ts';
import type { BilledCharge, BilledParcel } from '../domain/reconciliation.ts';

/** A carrier invoice read from a file: invoice-level facts and one entry per billed parcel. */
export interface ParsedInvoice {
  invoiceNumber: string;
  invoiceDate: string;
  currency: string;
  parcels: BilledParcel[];
}

export const INVOICE_LAYOUTS = ['UPS_BILLING_DATA', 'GENERIC'] as const;
export type InvoiceLayout = (typeof INVOICE_LAYOUTS)[number];

const MAX_ROWS = 50_000;

function readCsv(text: string, options: { columns: boolean }): string[][] | Record<string, string>[] {
  try {
    return parse(text.replace(/^\uFEFF/, ''), {
      columns: options.columns,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      to: MAX_ROWS + 1,
    }) as string[][] | Record<string, string>[];
  } catch (error) {
    throw badUserInput('input.csv', `is not valid CSV: ${(error as Error).message}`);
  }
}

function amount(value: string | undefined, currency: string, field: string): number {
  try {
    return toMinorUnits(value ?? '', currency, { allowNegative: true });
  } catch (error) {
    if (error instanceof MoneyFormatError) throw badUserInput(field, error.message);
    throw error;
  }
}

const GRAMS_PER: Record<string, number> = { K: 1000, KG: 1000, G: 1, L: 453.59237, LB: 453.59237, O: 28.349523125, OZ: 28.349523125 };

function weightGrams(value: string | undefined, unit: string | undefined, field: string): number | null {
  if (!value) return null;
  const factor = GRAMS_PER[(unit ?? 'K').trim().toUpperCase()];
  if (factor === undefined) throw badUserInput(field, `weight unit "${unit}" is not one of K, L, O (or KG, G, LB, OZ)`);
  if (!/^\d+(\.\d+)?$/.test(value)) throw badUserInput(field, `"${value}" is not a weight`);
  return Math.round(Number(value) * factor);
}

/**
 * UPS Billing Data, CSV edition (the headerless, comma-separated file UPS sends per invoice; its data dictionary
 * numbers the fields from 1). The fields read, by position:
 *
 * | # | field | used for |
 * | --- | --- | --- |
 * | 5 | Invoice Date (YYYY-MM-DD) | invoice date |
 * | 6 | Invoice Number | invoice number (one invoice per import) |
 * | 10 | Invoice Currency Code | invoice currency |
 * | 21 | Tracking Number | the parcel, matched to the shipment |
 * | 29, 30 | Billed Weight, Billed Weight Unit of Measure (K, L, O) | billed weight → grams |
 * | 34 | Zone | billed zone |
 * | 35 | Charge Category Code (SHP, RTN, ADJ, MIS) | kept with each charge |
 * | 44 | Charge Classification Code (FRT freight, ACC accessorial, FSC fuel, TAX, INF) | base vs. surcharge; TAX and INF rows are skipped (the cost engine prices net of tax) |
 * | 45, 46 | Charge Description Code, Charge Description | charge detail; the FRT row's description is the billed service |
 * | 51 | Transaction Currency Code | must be the invoice currency |
 * | 53 | Net Amount | the charge, in major units |
 *
 * A file has one row per charge. A FRT row starts a billed parcel; ACC/FSC rows add surcharges to the latest parcel
 * with their tracking number (or start one when it has no FRT row). A second FRT row for a tracking number is a second
 * billed parcel, which reconciliation reports as a DUPLICATE.
 */
export function parseUpsBillingData(csv: string): ParsedInvoice {
  const rows = readCsv(csv, { columns: false }) as string[][];
  if (!rows.length) throw badUserInput('input.csv', 'has no rows');
  if (rows.length > MAX_ROWS) throw badUserInput('input.csv', `has more than ${MAX_ROWS} rows`);
  const field = (row: string[], position: number) => (row[position - 1] ?? '').trim();
  const first = rows[0]!;
  const invoiceNumber = field(first, 6);
  const invoiceDate = field(first, 5);
  const currency = field(first, 10).toUpperCase();
  if (!invoiceNumber) throw badUserInput('input.csv', 'row 1: field 6 (Invoice Number) is empty');
  if (!isCalendarDate(invoiceDate)) throw badUserInput('input.csv', `row 1: field 5 (Invoice Date) "${invoiceDate}" is not YYYY-MM-DD`);
  if (!isIsoCurrency(currency)) throw badUserInput('input.csv', `row 1: field 10 (Invoice Currency Code) "${currency}" is not an ISO 4217 code`);

  const parcels: BilledParcel[] = [];
  const latest = new Map<string, BilledParcel>();
  rows.forEach((row, index) => {
    const at = `input.csv row ${index + 1}`;
    if (row.length < 53) throw badUserInput(at, `has ${row.length} fields; UPS Billing Data rows have at least 53`);
    if (field(row, 6) !== invoiceNumber) throw badUserInput(at, `invoice number ${field(row, 6)} differs from ${invoiceNumber}: import one invoice at a time`);
    const classification = field(row, 44).toUpperCase();
    if (classification === 'TAX' || classification === 'INF') return;
    const tracking = field(row, 21);
    if (!tracking) throw badUserInput(at, 'field 21 (Tracking Number) is empty');
    const txCurrency = (field(row, 51) || currency).toUpperCase();
    if (txCurrency !== currency) throw badUserInput(at, `field 51 (Transaction Currency Code) ${txCurrency} differs from the invoice currency ${currency}`);
    const charge: BilledCharge = {
      kind: classification === 'FRT' ? 'BASE' : 'SURCHARGE',
      code: [field(row, 35), classification, field(row, 45)].filter(Boolean).join('/'),
      description: field(row, 46),
      amountMinor: amount(field(row, 53), currency, `${at} field 53 (Net Amount)`),
    };
    let parcel = latest.get(tracking);
    if (!parcel || (charge.kind === 'BASE' && parcel.charges.some((c) => c.kind === 'BASE'))) {
      parcel = { lineNumber: parcels.length + 1, trackingNumber: tracking, weightGrams: null, zone: null, service: null, currency, charges: [] };
      parcels.push(parcel);
      latest.set(tracking, parcel);
    }
    parcel.charges.push(charge);
    if (charge.kind === 'BASE') {
      parcel.service = charge.description || null;
      parcel.weightGrams = weightGrams(field(row, 29), field(row, 30), `${at} field 29 (Billed Weight)`);
      parcel.zone = field(row, 34) || null;
    } else {
      parcel.zone ??= field(row, 34) || null;
    }
  });
  if (!parcels.length) throw badUserInput('input.csv', 'has no parcel charges (only TAX/INF rows)');
  return { invoiceNumber, invoiceDate, currency, parcels };
}

/** Which header names of a generic CSV hold what (one row per billed parcel). */
export interface GenericMapping {
  trackingNumber: string;
  /** The base (freight) charge, in major units. */
  amount: string;
  /** Surcharge columns, each in major units, each kept as a charge. */
  surcharges?: readonly string[] | null;
  weight?: string | null;
  /** G, KG (default), LB or OZ. */
  weightUnit?: string | null;
  zone?: string | null;
  service?: string | null;
}

export interface GenericInvoiceFacts {
  invoiceNumber: string;
  invoiceDate: string;
  currency: string;
}

/** A CSV with a header row, any column names, mapped by the caller; invoice number, date and currency given apart. */
export function parseGenericInvoice(csv: string, mapping: GenericMapping, facts: GenericInvoiceFacts): ParsedInvoice {
  if (!facts.invoiceNumber.trim()) throw badUserInput('input.invoiceNumber', 'is required for the GENERIC layout');
  if (!isCalendarDate(facts.invoiceDate)) throw badUserInput('input.invoiceDate', 'must be a date YYYY-MM-DD');
  if (!isIsoCurrency(facts.currency)) throw badUserInput('input.currency', `"${facts.currency}" is not an ISO 4217 code`);
  const records = readCsv(csv, { columns: true }) as Record<string, string>[];
  if (!records.length) throw badUserInput('input.csv', 'has no rows');
  if (records.length > MAX_ROWS) throw badUserInput('input.csv', `has more than ${MAX_ROWS} rows`);
  const headers = new Set(Object.keys(records[0]!));
  const columns: [string, string | null | undefined][] = [
    ['trackingNumber', mapping.trackingNumber],
    ['amount', mapping.amount],
    ['weight', mapping.weight],
    ['zone', mapping.zone],
    ['service', mapping.service],
    ...(mapping.surcharges ?? []).map((s, i): [string, string] => [`surcharges[${i}]`, s]),
  ];
  for (const [key, column] of columns) {
    if (column && !headers.has(column)) throw badUserInput(`input.mapping.${key}`, `column "${column}" is not in the CSV header (${[...headers].join(', ')})`);
  }
  const currency = facts.currency;
  const parcels = records.map((record, index): BilledParcel => {
    const at = `input.csv row ${index + 2}`;
    const tracking = record[mapping.trackingNumber]?.trim();
    if (!tracking) throw badUserInput(at, `column "${mapping.trackingNumber}" is empty`);
    const charges: BilledCharge[] = [
      { kind: 'BASE', code: 'BASE', description: mapping.amount, amountMinor: amount(record[mapping.amount], currency, `${at} column "${mapping.amount}"`) },
    ];
    for (const column of mapping.surcharges ?? []) {
      const value = record[column]?.trim();
      if (!value) continue;
      const minor = amount(value, currency, `${at} column "${column}"`);
      if (minor !== 0) charges.push({ kind: 'SURCHARGE', code: column, description: column, amountMinor: minor });
    }
    return {
      lineNumber: index + 1,
      trackingNumber: tracking,
      weightGrams: mapping.weight ? weightGrams(record[mapping.weight]?.trim(), mapping.weightUnit ?? 'KG', `${at} column "${mapping.weight}"`) : null,
      zone: mapping.zone ? record[mapping.zone]?.trim() || null : null,
      service: mapping.service ? record[mapping.service]?.trim() || null : null,
      currency,
      charges,
    };
  });
  return { invoiceNumber: facts.invoiceNumber.trim(), invoiceDate: facts.invoiceDate, currency, parcels };
}
