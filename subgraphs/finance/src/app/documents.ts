import { createHash } from 'node:crypto';
import { and, asc, eq, gt, gte, inArray, lt, or, sql } from 'drizzle-orm';
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
  // Settlements are few next to lines: read them first (ordered), then each one's lines in keyset pages.
  const chosen = await db
    .select()
    .from(settlements)
    .where(planConditions(filter))
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
            after
              ? or(gt(settlementLines.occurredAt, after.occurredAt), and(eq(settlementLines.occurredAt, after.occurredAt), gt(settlementLines.id, after.id)))
              : undefined,
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
export async function* exportChunks(
  db: Db,
  filter: RecordFilter,
  format: ExportFormat,
  period: { from: Date; to: Date },
  title: string,
  datev: DatevOptions,
): AsyncGenerator<Buffer> {
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

/**
 * What one export is: its file name and type and the records it holds. The inline fields (base64 in GraphQL/REST) and
 * the streamed download (src/app/downloads.ts) render the same plan, so both give the same bytes.
 */
export interface ExportPlan {
  filename: string;
  contentType: string;
  format: ExportFormat;
  filter: RecordFilter;
  period: { from: Date; to: Date };
  title: string;
}

export function settlementExportPlan(settlement: SettlementRow, scope: DataScope, livemode: boolean, format: ExportFormat): ExportPlan {
  return {
    // DATEV names a Buchungsstapel file EXTF_<…>.csv.
    filename: format === 'DATEV' ? `EXTF_Buchungsstapel_${settlement.id}.csv` : `settlement-${settlement.id}.${extension(format)}`,
    contentType: contentTypes[format],
    format,
    filter: { settlementId: settlement.id, scope, livemode },
    period: { from: settlement.periodStart, to: settlement.periodEnd },
    title: `IPAY ${settlement.id}`.slice(0, 30),
  };
}

export interface PeriodExportRequest {
  from: Date;
  to: Date;
  format: ExportFormat;
  merchantId?: string | null;
}

export function periodExportPlan(input: PeriodExportRequest, scope: DataScope, livemode: boolean): ExportPlan {
  if (!(input.from.getTime() < input.to.getTime())) throw badUserInput('input.to', 'must be after from');
  const span = `${input.from.toISOString().slice(0, 10)}_${new Date(input.to.getTime() - 1).toISOString().slice(0, 10)}`;
  const who = input.merchantId ? `${input.merchantId}_` : '';
  return {
    filename: input.format === 'DATEV' ? `EXTF_Buchungsstapel_${who}${span}.csv` : `settlements_${who}${span}.csv`,
    contentType: contentTypes[input.format],
    format: input.format,
    filter: { from: input.from, to: input.to, merchantId: input.merchantId, scope, livemode },
    period: { from: input.from, to: input.to },
    title: `IPAY Abrechnungen ${span}`.slice(0, 30),
  };
}

const planConditions = (filter: RecordFilter) =>
  and(
    scopeCondition(filter.scope, filter.livemode, settlements),
    filter.settlementId ? eq(settlements.id, filter.settlementId) : undefined,
    filter.merchantId ? eq(settlements.merchantId, filter.merchantId) : undefined,
    filter.from ? gte(settlements.periodStart, filter.from) : undefined,
    filter.to ? lt(settlements.periodStart, filter.to) : undefined,
  );

/**
 * Refuses, before a byte is sent, what the rendering would refuse midway: a DATEV file spanning two fiscal years, or
 * holding lines of a three-decimal currency. (A stream cannot change its status once it started.)
 */
export async function checkExportPlan(db: Db, plan: ExportPlan): Promise<void> {
  if (plan.format !== 'DATEV') return;
  if (plan.period.from.getUTCFullYear() !== new Date(plan.period.to.getTime() - 1).getUTCFullYear()) {
    throw badUserInput('input.to', 'a DATEV Buchungsstapel covers one fiscal year: export each year on its own');
  }
  const currencies = await db
    .selectDistinct({ currency: settlements.currency })
    .from(settlements)
    .where(and(planConditions(plan.filter), gt(settlements.lineCount, 0)));
  const refused = currencies
    .map((c) => c.currency)
    .filter((c) => !datevSupportsCurrency(c))
    .sort();
  if (refused.length) throw badUserInput('format', `${refused[0]} has three decimals, which DATEV amounts cannot carry: export it as CSV`);
}

/** The plan's bytes as a stream of chunks, read from the database page by page (bounded memory, any size). */
export const planChunks = (db: Db, plan: ExportPlan, datev: DatevOptions) => exportChunks(db, plan.filter, plan.format, plan.period, plan.title, datev);

export async function settlementExport(
  db: Db,
  settlement: SettlementRow,
  scope: DataScope,
  livemode: boolean,
  format: ExportFormat,
  datev: DatevOptions,
): Promise<Document> {
  const plan = settlementExportPlan(settlement, scope, livemode, format);
  return { filename: plan.filename, contentType: plan.contentType, bytes: await collect(planChunks(db, plan, datev)) };
}

/**
 * The inline fields answer with the whole file (base64), so they take at most this many lines; larger periods are
 * downloaded as a stream (`settlementPeriodExportDownload`, GET /v1/downloads/settlement-exports/{token}), which has
 * no cap.
 */
export const MAX_INLINE_EXPORT_LINES = 100_000;

export async function periodExport(db: Db, input: PeriodExportRequest, scope: DataScope, livemode: boolean, datev: DatevOptions): Promise<Document> {
  const plan = periodExportPlan(input, scope, livemode);
  const [size] = await db
    .select({ lines: sql<number>`coalesce(sum(${settlements.lineCount}), 0)::int` })
    .from(settlements)
    .where(planConditions(plan.filter));
  if ((size?.lines ?? 0) > MAX_INLINE_EXPORT_LINES) {
    throw badUserInput(
      'input.to',
      `the period holds ${size!.lines} lines, more than the ${MAX_INLINE_EXPORT_LINES} an inline export carries: download it as a stream (settlementPeriodExportDownload), or export per merchant or a shorter period`,
    );
  }
  return { filename: plan.filename, contentType: plan.contentType, bytes: await collect(planChunks(db, plan, datev)) };
}

/** The settlement's PDF statement with the fee entries its lines were priced with. */
export async function settlementStatement(db: Db, settlement: SettlementRow): Promise<Document> {
  const lines = await db
    .select()
    .from(settlementLines)
    .where(eq(settlementLines.settlementId, settlement.id))
    .orderBy(asc(settlementLines.occurredAt), asc(settlementLines.id));
  const feeIds = [...new Set(lines.map((l) => l.feeScheduleId).filter((id): id is string => !!id))];
  const fees = feeIds.length
    ? await db.select().from(feeSchedules).where(inArray(feeSchedules.id, feeIds)).orderBy(asc(feeSchedules.validFrom), asc(feeSchedules.id))
    : [];
  const bytes = await renderStatementPdf({ settlement, lines, fees });
  return { filename: `settlement-${settlement.id}.pdf`, contentType: 'application/pdf', bytes };
}
