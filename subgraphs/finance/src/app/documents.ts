import { createHash } from 'node:crypto';
import { and, asc, eq, gt, gte, inArray, lt, or, type SQL } from 'drizzle-orm';
import { badUserInput, scopeCondition, type DataScope } from '@ipay/platform';
import { feeSchedules, settlementLines, settlements, type SettlementLineRow, type SettlementRow } from '../db/schema.ts';
import { renderCsv } from '../adapters/csv.ts';
import { datevBytes, datevSupportsCurrency, renderDatev, type DatevOptions } from '../adapters/datev.ts';
import type { ExportRecord } from '../adapters/records.ts';
import { renderStatementPdf } from '../adapters/statement-pdf.ts';
import type { Db } from './context.ts';

export type ExportFormat = 'CSV' | 'DATEV';

export interface Document {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export const documentView = (d: Document) => ({
  filename: d.filename,
  contentType: d.contentType,
  contentBase64: d.bytes.toString('base64'),
  byteLength: d.bytes.length,
  sha256: createHash('sha256').update(d.bytes).digest('hex'),
});

/** IPAY's books at the tax adviser (FINANCE_DATEV_CONSULTANT / FINANCE_DATEV_CLIENT; DATEV's sample numbers by default). */
export function datevOptionsFromEnv(env = process.env): DatevOptions {
  return { consultant: Number(env.FINANCE_DATEV_CONSULTANT ?? 1001), client: Number(env.FINANCE_DATEV_CLIENT ?? 1) };
}

export interface RecordFilter {
  /** Settlements whose period starts in [from, to). */
  from?: Date;
  to?: Date;
  settlementId?: string;
  merchantId?: string | null;
  livemode: boolean;
  scope: DataScope;
}

const PAGE = 2000;

/**
 * Every line of the matching settlements with its settlement, in a stable order (period start, merchant, currency,
 * settlement, line time, line id), read page by page with a keyset so memory stays bounded however many lines there are.
 */
export async function* exportRecords(db: Db, filter: RecordFilter): AsyncGenerator<ExportRecord> {
  const conditions: (SQL | undefined)[] = [
    scopeCondition(filter.scope, filter.livemode, settlements),
    filter.settlementId ? eq(settlements.id, filter.settlementId) : undefined,
    filter.merchantId ? eq(settlements.merchantId, filter.merchantId) : undefined,
    filter.from ? gte(settlements.periodStart, filter.from) : undefined,
    filter.to ? lt(settlements.periodStart, filter.to) : undefined,
  ];
  // Settlements are few next to lines: read them first (ordered), then each one's lines in keyset pages.
  const chosen = await db
    .select()
    .from(settlements)
    .where(and(...conditions))
    .orderBy(asc(settlements.periodStart), asc(settlements.merchantId), asc(settlements.currency), asc(settlements.id));
  for (const settlement of chosen) {
    let after: { occurredAt: Date; id: string } | null = null;
    for (;;) {
      const page: SettlementLineRow[] = await db
        .select()
        .from(settlementLines)
        .where(
          and(
            eq(settlementLines.settlementId, settlement.id),
            after ? or(gt(settlementLines.occurredAt, after.occurredAt), and(eq(settlementLines.occurredAt, after.occurredAt), gt(settlementLines.id, after.id))) : undefined,
          ),
        )
        .orderBy(asc(settlementLines.occurredAt), asc(settlementLines.id))
        .limit(PAGE);
      for (const line of page) yield { settlement, line };
      if (page.length < PAGE) break;
      const last: SettlementLineRow = page[page.length - 1]!;
      after = { occurredAt: last.occurredAt, id: last.id };
    }
  }
}

/** The export as a stream of byte chunks (CSV in UTF-8, DATEV in ISO-8859-1). */
export async function* exportChunks(db: Db, filter: RecordFilter, format: ExportFormat, period: { from: Date; to: Date }, title: string, datev: DatevOptions): AsyncGenerator<Buffer> {
  if (format === 'CSV') {
    for await (const chunk of renderCsv(exportRecords(db, filter))) yield Buffer.from(chunk, 'utf8');
    return;
  }
  if (period.from.getUTCFullYear() !== new Date(period.to.getTime() - 1).getUTCFullYear()) {
    throw badUserInput('input.to', 'a DATEV Buchungsstapel covers one fiscal year: export each year on its own');
  }
  for await (const chunk of renderDatev(checkedForDatev(exportRecords(db, filter)), datev, period, title)) yield datevBytes(chunk);
}

async function* checkedForDatev(records: AsyncIterable<ExportRecord>): AsyncGenerator<ExportRecord> {
  for await (const record of records) {
    if (!datevSupportsCurrency(record.settlement.currency)) {
      throw badUserInput('format', `${record.settlement.currency} has three decimals, which DATEV amounts cannot carry: export it as CSV`);
    }
    yield record;
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

const contentTypes = { CSV: 'text/csv; charset=utf-8', DATEV: 'text/csv; charset=iso-8859-1' } as const;
const extension = (format: ExportFormat) => (format === 'CSV' ? 'csv' : 'datev.csv');

export async function settlementExport(db: Db, settlement: SettlementRow, scope: DataScope, livemode: boolean, format: ExportFormat, datev: DatevOptions): Promise<Document> {
  const bytes = await collect(exportChunks(db, { settlementId: settlement.id, scope, livemode }, format, { from: settlement.periodStart, to: settlement.periodEnd }, `IPAY ${settlement.id}`.slice(0, 30), datev));
  // DATEV names a Buchungsstapel file EXTF_<…>.csv.
  return { filename: format === 'DATEV' ? `EXTF_Buchungsstapel_${settlement.id}.csv` : `settlement-${settlement.id}.${extension(format)}`, contentType: contentTypes[format], bytes };
}

export async function periodExport(db: Db, input: { from: Date; to: Date; format: ExportFormat; merchantId?: string | null }, scope: DataScope, livemode: boolean, datev: DatevOptions): Promise<Document> {
  if (!(input.from.getTime() < input.to.getTime())) throw badUserInput('input.to', 'must be after from');
  const span = `${input.from.toISOString().slice(0, 10)}_${new Date(input.to.getTime() - 1).toISOString().slice(0, 10)}`;
  const bytes = await collect(exportChunks(db, { ...input, scope, livemode }, input.format, input, `IPAY Abrechnungen ${span}`.slice(0, 30), datev));
  const who = input.merchantId ? `${input.merchantId}_` : '';
  return { filename: input.format === 'DATEV' ? `EXTF_Buchungsstapel_${who}${span}.csv` : `settlements_${who}${span}.csv`, contentType: contentTypes[input.format], bytes };
}

/** The settlement's PDF statement with the fee entries its lines were priced with. */
export async function settlementStatement(db: Db, settlement: SettlementRow): Promise<Document> {
  const lines = await db.select().from(settlementLines).where(eq(settlementLines.settlementId, settlement.id)).orderBy(asc(settlementLines.occurredAt), asc(settlementLines.id));
  const feeIds = [...new Set(lines.map((l) => l.feeScheduleId).filter((id): id is string => !!id))];
  const fees = feeIds.length ? await db.select().from(feeSchedules).where(inArray(feeSchedules.id, feeIds)).orderBy(asc(feeSchedules.validFrom), asc(feeSchedules.id)) : [];
  const bytes = await renderStatementPdf({ settlement, lines, fees });
  return { filename: `settlement-${settlement.id}.pdf`, contentType: 'application/pdf', bytes };
}

