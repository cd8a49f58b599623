/**
 * Aging of open carrier invoice amounts. An item's age is the number of whole calendar days (UTC) from its invoice
 * date to the statement date; buckets are 0–30, 31–60, 61–90 and 90+ (91 days and more).
 */
export const AGING_BUCKETS = ['DAYS_0_30', 'DAYS_31_60', 'DAYS_61_90', 'DAYS_OVER_90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

export const BUCKET_LABELS: Record<AgingBucket, string> = {
  DAYS_0_30: '0–30 days',
  DAYS_31_60: '31–60 days',
  DAYS_61_90: '61–90 days',
  DAYS_OVER_90: '90+ days',
};

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isCalendarDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}

/** Whole days from `from` to `to` (both YYYY-MM-DD); negative when `from` is later. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function agingBucket(ageDays: number): AgingBucket {
  if (ageDays <= 30) return 'DAYS_0_30';
  if (ageDays <= 60) return 'DAYS_31_60';
  if (ageDays <= 90) return 'DAYS_61_90';
  return 'DAYS_OVER_90';
}

export interface OpenItemInput {
  invoiceId: string;
  invoiceNumber: string;
  invoiceDate: string;
  currency: string;
  totalMinor: number;
  paidMinor: number;
}

export interface OpenItem extends OpenItemInput {
  openMinor: number;
  ageDays: number;
  bucket: AgingBucket;
}

export interface AgingTotals {
  currency: string;
  buckets: Record<AgingBucket, number>;
  totalMinor: number;
}

export interface AgingReport {
  asOf: string;
  items: OpenItem[];
  /** One row per currency (a carrier may bill in several), ordered by currency. */
  totals: AgingTotals[];
}

/** Open items (unpaid amounts) of invoices dated on or before `asOf`, bucketed by age. */
export function agingReport(invoices: readonly OpenItemInput[], asOf: string): AgingReport {
  const items: OpenItem[] = [];
  const byCurrency = new Map<string, AgingTotals>();
  for (const inv of invoices) {
    const openMinor = inv.totalMinor - inv.paidMinor;
    const ageDays = daysBetween(inv.invoiceDate, asOf);
    if (openMinor <= 0 || ageDays < 0) continue;
    const bucket = agingBucket(ageDays);
    items.push({ ...inv, openMinor, ageDays, bucket });
    let totals = byCurrency.get(inv.currency);
    if (!totals) {
      totals = { currency: inv.currency, buckets: { DAYS_0_30: 0, DAYS_31_60: 0, DAYS_61_90: 0, DAYS_OVER_90: 0 }, totalMinor: 0 };
      byCurrency.set(inv.currency, totals);
    }
    totals.buckets[bucket] += openMinor;
    totals.totalMinor += openMinor;
  }
  items.sort((a, b) => a.invoiceDate.localeCompare(b.invoiceDate) || a.invoiceNumber.localeCompare(b.invoiceNumber));
  return { asOf, items, totals: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}
