import { eq, sql } from 'drizzle-orm';
import { parse as parseCsv } from 'csv-parse/sync';
import { GraphQLError } from 'graphql';
import { badUserInput, newId, type Database, type Logger, type UnitOfWork } from '@ipay/platform';
import { importJobs, type ImportJobRow, type ImportRowError } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { validateOrderInput, type OrderInput, type ValidOrder } from '../domain/order-input.ts';
import { insertOrders, orderRowFor } from './orders.ts';

type Schema = typeof schema;
type Mutate = <T>(work: (uow: UnitOfWork<Schema>) => Promise<T>) => Promise<T>;

export const MAX_IMPORT_ROWS = 10_000;
/** Rows committed per transaction: each row is all-or-nothing (validated first, inserted with its event and audit). */
const CHUNK = 500;
/** Errors kept on the job; the counts stay exact beyond it. */
const MAX_REPORTED_ERRORS = 1_000;

export type ImportFormat = 'CSV' | 'JSON';

/** CSV columns: one order per row, one line item per row (use JSON for multi-line orders). */
export const CSV_COLUMNS = [
  'reference',
  'currency',
  'customer_name',
  'customer_email',
  'customer_phone',
  'ship_name',
  'ship_line1',
  'ship_line2',
  'ship_city',
  'ship_postal_code',
  'ship_region',
  'ship_country',
  'sku',
  'item_name',
  'quantity',
  'unit_amount',
  'shipping_amount',
  'discount_amount',
  'total_amount',
] as const;
const REQUIRED_CSV = CSV_COLUMNS.filter((c) => !['customer_phone', 'ship_line2', 'ship_region', 'shipping_amount', 'discount_amount'].includes(c));

export interface ParsedRow {
  /** 1-based; for CSV the first data row (after the header) is row 1. */
  row: number;
  input?: OrderInput;
  error?: ImportRowError;
}

/** Integers stay integers; anything else stays a string so validation names the field. */
const intOrRaw = (value: string | undefined) => (value === undefined || value === '' ? undefined : /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value);

export function parseImport(format: ImportFormat, content: string): ParsedRow[] {
  if (!content.trim()) throw badUserInput('content', 'is empty');
  if (format === 'JSON') {
    let data: unknown;
    try {
      data = JSON.parse(content);
    } catch (error) {
      throw badUserInput('content', `is not valid JSON (${(error as Error).message})`);
    }
    const list = Array.isArray(data) ? data : (data as { orders?: unknown })?.orders;
    if (!Array.isArray(list)) throw badUserInput('content', 'must be a JSON array of orders (or { "orders": [...] })');
    limit(list.length);
    return list.map((item, i) =>
      item && typeof item === 'object' && !Array.isArray(item)
        ? { row: i + 1, input: item as OrderInput }
        : { row: i + 1, error: { row: i + 1, field: '(row)', reason: 'must be an object' } },
    );
  }
  let records: Record<string, string>[];
  try {
    records = parseCsv(content, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
    });
  } catch (error) {
    throw badUserInput('content', `is not valid CSV (${(error as Error).message})`);
  }
  limit(records.length);
  const header = Object.keys(records[0] ?? {});
  const missing = REQUIRED_CSV.filter((c) => !header.includes(c));
  if (records.length && missing.length) throw badUserInput('content', `CSV header lacks column(s) ${missing.join(', ')} (expected ${CSV_COLUMNS.join(',')})`);
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) throw badUserInput('content', `CSV header has unknown column(s) ${unknown.join(', ')}`);
  return records.map((r, i) => ({
    row: i + 1,
    input: {
      merchantReference: r.reference!,
      currency: r.currency!,
      customer: { name: r.customer_name!, email: r.customer_email!, phone: r.customer_phone || null },
      shippingAddress: {
        name: r.ship_name!,
        line1: r.ship_line1!,
        line2: r.ship_line2 || null,
        city: r.ship_city!,
        postalCode: r.ship_postal_code!,
        region: r.ship_region || null,
        country: r.ship_country!,
      },
      lines: [{ sku: r.sku!, name: r.item_name!, quantity: intOrRaw(r.quantity) as number, unitAmount: intOrRaw(r.unit_amount) as number }],
      shippingAmount: intOrRaw(r.shipping_amount) as number | undefined,
      discountAmount: intOrRaw(r.discount_amount) as number | undefined,
      totalAmount: intOrRaw(r.total_amount) as number,
    },
  }));
}

function limit(count: number) {
  if (count === 0) throw badUserInput('content', 'holds no orders');
  if (count > MAX_IMPORT_ROWS) throw badUserInput('content', `holds ${count} orders; at most ${MAX_IMPORT_ROWS} per import`);
}

/** Validates every row up front; an invalid row (or a reference repeated within the file) is reported, never written. */
export function validateRows(rows: ParsedRow[]): { row: number; order?: ValidOrder; error?: ImportRowError }[] {
  const firstRowOf = new Map<string, number>();
  return rows.map(({ row, input, error }) => {
    if (error) return { row, error };
    try {
      const order = validateOrderInput(input!);
      const first = firstRowOf.get(order.merchantReference);
      if (first !== undefined)
        return { row, error: { row, field: 'merchantReference', reason: `"${order.merchantReference}" already appears in row ${first} of this file` } };
      firstRowOf.set(order.merchantReference, row);
      return { row, order };
    } catch (e) {
      if (e instanceof GraphQLError && e.extensions.code === 'BAD_USER_INPUT') {
        const field = String(e.extensions.field ?? '(row)');
        return { row, error: { row, field, reason: e.message.startsWith(`${field}: `) ? e.message.slice(field.length + 2) : e.message } };
      }
      throw e;
    }
  });
}

export async function createImportJob(mutate: Mutate, merchantId: string, livemode: boolean, format: ImportFormat, totalRows: number): Promise<ImportJobRow> {
  return mutate(async (uow) => {
    const [job] = await uow.tx
      .insert(importJobs)
      .values({ id: newId('imp'), merchantId, livemode, format, totalRows })
      .returning();
    uow.audit({ action: 'order_import.create', entityType: 'ImportJob', entityId: job!.id, merchantId, livemode, before: null, after: { format, totalRows } });
    return job!;
  });
}

/**
 * Runs an import job: rows are committed in chunks, each chunk in one transaction with its orders, their
 * order.created events and audit entries, and the job's progress. Rows whose reference exists already (a re-run)
 * are counted as duplicates and left alone, so re-running a file creates nothing twice.
 */
export async function runImportJob(
  db: Database<Schema>,
  mutate: Mutate,
  job: ImportJobRow,
  rows: ParsedRow[],
  merchantSlug: string,
  logger: Logger,
): Promise<ImportJobRow> {
  try {
    const validated = validateRows(rows);
    await db.update(importJobs).set({ status: 'RUNNING', startedAt: new Date() }).where(eq(importJobs.id, job.id));
    let reported = 0;
    for (let start = 0; start < validated.length; start += CHUNK) {
      const chunk = validated.slice(start, start + CHUNK);
      const now = new Date();
      const newRows = chunk.filter((r) => r.order).map((r) => orderRowFor(r.order!, job.merchantId, job.livemode, 'IMPORT', now));
      const errors = chunk.filter((r) => r.error).map((r) => r.error!);
      const kept = errors.slice(0, Math.max(0, MAX_REPORTED_ERRORS - reported));
      reported += kept.length;
      const last = start + chunk.length >= validated.length;
      await mutate(async (uow) => {
        const created = await insertOrders(uow, newRows, () => merchantSlug, 'order.import');
        await uow.tx
          .update(importJobs)
          .set({
            processedRows: sql`${importJobs.processedRows} + ${chunk.length}`,
            createdCount: sql`${importJobs.createdCount} + ${created.length}`,
            duplicateCount: sql`${importJobs.duplicateCount} + ${newRows.length - created.length}`,
            failedCount: sql`${importJobs.failedCount} + ${errors.length}`,
            errors: kept.length ? sql`${importJobs.errors} || ${JSON.stringify(kept)}::jsonb` : undefined,
            ...(last ? { status: 'COMPLETED' as const, finishedAt: new Date() } : {}),
          })
          .where(eq(importJobs.id, job.id));
        // The orders carry their own audit entries; an all-invalid chunk still records the job's progress.
        if (!created.length)
          uow.audit({
            action: 'order_import.progress',
            entityType: 'ImportJob',
            entityId: job.id,
            merchantId: job.merchantId,
            livemode: job.livemode,
            before: null,
            after: { processed: start + chunk.length, failed: errors.length },
          });
      });
    }
  } catch (error) {
    logger.error({ err: error, jobId: job.id }, 'order import failed');
    await mutate(async (uow) => {
      await uow.tx
        .update(importJobs)
        .set({ status: 'FAILED', failureReason: (error as Error).message, finishedAt: new Date() })
        .where(eq(importJobs.id, job.id));
      uow.audit({
        action: 'order_import.fail',
        entityType: 'ImportJob',
        entityId: job.id,
        merchantId: job.merchantId,
        livemode: job.livemode,
        before: null,
        after: { reason: (error as Error).message },
      });
    });
  }
  const [done] = await db.select().from(importJobs).where(eq(importJobs.id, job.id));
  return done!;
}
