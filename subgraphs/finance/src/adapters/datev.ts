import { currencyExponent, formatMinorUnits } from '@ipay/platform';
import type { SettlementRow } from '../db/schema.ts';
import type { ExportRecord } from './records.ts';

/**
 * DATEV Buchungsstapel in the EXTF format (header version 700, format category 21, format version 13), the import
 * layout German accountants (and DATEV Unternehmen online) read: semicolon-separated, text in double quotes, decimal
 * comma, CRLF, ISO-8859-1 (the Windows-1252 subset; anything else becomes "?"). Line 1 is the EXTF header, line 2
 * the column names, then one booking per row. We write the first 14 standard columns (Umsatz … Buchungstext);
 * DATEV accepts a file that ends after any column.
 *
 * Bookings from IPAY's books (SKR03 accounts by default, configurable), per settlement line:
 *   COLLECTION gross:  Soll clearing (1360 Geldtransit)      an  Haben merchant creditor
 *   COLLECTION fee:    Soll merchant creditor                an  Haben fee revenue (8400)
 *   REFUND:            Soll merchant creditor                an  Haben clearing
 *   ADJUSTMENT (+/−):  Soll adjustments (1590) / creditor    an  Haben creditor / adjustments
 *   payout (PAID):     Soll merchant creditor                an  Haben bank (1200), dated the payout day
 * Belegfeld 1 is the settlement id (36 characters), Belegfeld 2 the line's short id, Buchungstext names kind and order.
 * Reproducible: the header's "erzeugt am" is the end of the exported period, never the wall clock.
 */
export interface DatevOptions {
  /** Beraternummer (1001–9999999) and Mandantennummer (1–99999) of IPAY's books at the tax adviser. */
  consultant: number;
  client: number;
  /** First day of the fiscal year (default 1 January of the period's year). */
  fiscalYearStart?: Date;
  accounts?: Partial<DatevAccounts>;
}

export interface DatevAccounts {
  clearing: string;
  feeRevenue: string;
  adjustments: string;
  bank: string;
  /** Creditor (Kreditor) account of a merchant; default the collective 70000. */
  creditor: (merchantId: string) => string;
}

export const DEFAULT_DATEV_ACCOUNTS: DatevAccounts = { clearing: '1360', feeRevenue: '8400', adjustments: '1590', bank: '1200', creditor: () => '70000' };

export const DATEV_COLUMNS = [
  'Umsatz (ohne Soll/Haben-Kz)',
  'Soll/Haben-Kennzeichen',
  'WKZ Umsatz',
  'Kurs',
  'Basis-Umsatz',
  'WKZ Basis-Umsatz',
  'Konto',
  'Gegenkonto (ohne BU-Schlüssel)',
  'BU-Schlüssel',
  'Belegdatum',
  'Belegfeld 1',
  'Belegfeld 2',
  'Skonto',
  'Buchungstext',
] as const;

const text = (value: string, max: number) => `"${value.replaceAll('"', '""').slice(0, max)}"`;
const ymd = (d: Date) => d.toISOString().slice(0, 10).replaceAll('-', '');
const ddmm = (d: Date) => `${d.toISOString().slice(8, 10)}${d.toISOString().slice(5, 7)}`;
const row = (fields: (string | number)[]) => `${fields.join(';')}\r\n`;

/** DATEV amounts have at most two decimals: three-decimal currencies (KWD, BHD, …) cannot be booked in this layout. */
export function datevSupportsCurrency(currency: string): boolean {
  return currencyExponent(currency) <= 2;
}

export function datevHeader(options: DatevOptions, period: { from: Date; to: Date }, title: string): string {
  const last = new Date(period.to.getTime() - 1);
  const fiscal = options.fiscalYearStart ?? new Date(Date.UTC(period.from.getUTCFullYear(), 0, 1));
  const generated = last
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 17);
  const header = [
    text('EXTF', 4),
    700,
    21,
    text('Buchungsstapel', 14),
    13,
    generated,
    '',
    text('RE', 2),
    text('IPAY', 25),
    '',
    options.consultant,
    options.client,
    ymd(fiscal),
    4,
    ymd(period.from),
    ymd(last),
    text(title, 30),
    '',
    1,
    0,
    0,
    text('EUR', 3),
    '',
    '',
    '',
    '',
    text('03', 2),
    '',
    '',
    '',
    '',
  ];
  return row(header) + row(DATEV_COLUMNS.map((c) => text(c, 60)));
}

function booking(
  amountMinor: number,
  currency: string,
  debit: string,
  credit: string,
  date: Date,
  settlementId: string,
  ref: string,
  description: string,
): string {
  // A negative amount is the same booking the other way round.
  const [konto, gegenkonto] = amountMinor >= 0 ? [debit, credit] : [credit, debit];
  return row([
    formatMinorUnits(Math.abs(amountMinor), currency, ','),
    text('S', 1),
    text(currency, 3),
    '',
    '',
    '',
    konto,
    gegenkonto,
    '',
    ddmm(date),
    text(settlementId, 36),
    text(ref, 12),
    '',
    text(description, 60),
  ]);
}

/** The bookings of one settlement line. */
export function datevLine({ settlement: s, line: l }: ExportRecord, accounts: DatevAccounts): string {
  const creditor = accounts.creditor(s.merchantId);
  const ref = l.id.replace(/^sli_/, '').slice(-12);
  const what = `${l.kind === 'COLLECTION' ? 'Inkasso' : l.kind === 'REFUND' ? 'Erstattung' : 'Korrektur'} ${l.orderId ?? l.reason ?? ''}`.trim();
  switch (l.kind) {
    case 'COLLECTION':
      return (
        booking(l.grossAmount, s.currency, accounts.clearing, creditor, l.occurredAt, s.id, ref, what) +
        (l.feeAmount ? booking(l.feeAmount, s.currency, creditor, accounts.feeRevenue, l.occurredAt, s.id, ref, `IPAY Gebühr ${l.orderId ?? ''}`.trim()) : '')
      );
    case 'REFUND':
      return booking(-l.grossAmount, s.currency, creditor, accounts.clearing, l.occurredAt, s.id, ref, what);
    case 'ADJUSTMENT':
      return booking(l.netAmount, s.currency, accounts.adjustments, creditor, l.occurredAt, s.id, ref, what);
  }
}

/** The payout of a paid settlement. */
export function datevPayout(s: SettlementRow, accounts: DatevAccounts): string {
  if (s.status !== 'PAID' || !s.paidAt || s.netAmount === 0) return '';
  return booking(
    s.netAmount,
    s.currency,
    accounts.creditor(s.merchantId),
    accounts.bank,
    s.paidAt,
    s.id,
    'PAYOUT',
    `Auszahlung ${s.payoutReference ?? ''}`.trim(),
  );
}

export async function* renderDatev(
  records: AsyncIterable<ExportRecord>,
  options: DatevOptions,
  period: { from: Date; to: Date },
  title: string,
): AsyncGenerator<string> {
  const accounts = { ...DEFAULT_DATEV_ACCOUNTS, ...options.accounts };
  yield datevHeader(options, period, title);
  let current: SettlementRow | null = null;
  for await (const record of records) {
    if (current && current.id !== record.settlement.id) yield datevPayout(current, accounts);
    current = record.settlement;
    yield datevLine(record, accounts);
  }
  if (current) yield datevPayout(current, accounts);
}

/** DATEV files are ANSI: ISO-8859-1 bytes, anything outside it replaced by "?". */
export function datevBytes(chunk: string): Buffer {
  // eslint-disable-next-line no-control-regex -- the whole Latin-1 range, controls included, is what DATEV can hold
  return Buffer.from(chunk.replace(/[^\x00-\xff]/g, '?'), 'latin1');
}
