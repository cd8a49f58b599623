import { formatMinorUnits } from '@ipay/platform';
import type { SettlementRow } from '../db/schema.ts';
import { accountingState, type ExportRecord } from './records.ts';

/**
 * The accountant's CSV (RFC 4180: comma, double quotes, CRLF, UTF-8 without BOM). One LINE row per settlement line and
 * one TOTAL row after each settlement's lines; amounts are decimal strings in the currency's own exponent (JPY 0,
 * EUR 2, KWD 3 digits), negative with a leading minus. Columns are documented in the finance README.
 */
export const CSV_COLUMNS = [
  'record_type',
  'settlement_id',
  'merchant_id',
  'merchant',
  'currency',
  'period_kind',
  'period_start',
  'period_end',
  'settlement_status',
  'accounting_state',
  'line_id',
  'line_kind',
  'occurred_at',
  'order_id',
  'payment_session_id',
  'refund_id',
  'fee_schedule_id',
  'gross',
  'fee',
  'net',
  'line_count',
  'reason',
  'corrects_settlement_id',
  'payout_reference',
  'paid_at',
] as const;

/** Quotes a field when it needs it; text starting with = + - @ is prefixed with ' so spreadsheets never run it. */
export function csvField(value: string | number | null | undefined, text = false): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const row = (fields: string[]) => `${fields.join(',')}\r\n`;

function settlementFields(s: SettlementRow) {
  return [
    s.id,
    s.merchantId,
    csvField(s.merchantSlug, true),
    s.currency,
    s.periodKind,
    s.periodStart.toISOString(),
    s.periodEnd.toISOString(),
    s.status,
    accountingState(s.status),
  ];
}

export const csvHeader = () => row([...CSV_COLUMNS]);

export function csvLine({ settlement: s, line: l }: ExportRecord): string {
  const amount = (v: number) => formatMinorUnits(v, s.currency);
  return row([
    'LINE',
    ...settlementFields(s),
    l.id,
    l.kind,
    l.occurredAt.toISOString(),
    l.orderId ?? '',
    l.paymentSessionId ?? '',
    l.refundId ?? '',
    l.feeScheduleId ?? '',
    amount(l.grossAmount),
    amount(l.feeAmount),
    amount(l.netAmount),
    '',
    csvField(l.reason, true),
    l.correctsSettlementId ?? '',
    '',
    '',
  ]);
}

export function csvTotal(s: SettlementRow): string {
  const amount = (v: number) => formatMinorUnits(v, s.currency);
  return row([
    'TOTAL',
    ...settlementFields(s),
    '',
    '',
    '',
    '',
    '',
    '',
    '',
    amount(s.grossAmount),
    amount(s.feeAmount),
    amount(s.netAmount),
    String(s.lineCount),
    '',
    '',
    csvField(s.payoutReference, true),
    s.paidAt?.toISOString() ?? '',
  ]);
}

/** CSV of a stream of records: header, LINE rows, and a TOTAL row whenever a settlement's lines end. */
export async function* renderCsv(records: AsyncIterable<ExportRecord>): AsyncGenerator<string> {
  yield csvHeader();
  let current: SettlementRow | null = null;
  for await (const record of records) {
    if (current && current.id !== record.settlement.id) yield csvTotal(current);
    current = record.settlement;
    yield csvLine(record);
  }
  if (current) yield csvTotal(current);
}
