import type { SettlementLineRow, SettlementRow } from '../db/schema.ts';

/** One settlement line with its settlement, as the exports and the statement read them (ordered, streamed). */
export interface ExportRecord {
  settlement: SettlementRow;
  line: SettlementLineRow;
}

/**
 * How a settlement stands in the books: ACCRUED while OPEN or CLOSED (owed to the merchant, not yet approved),
 * PAYABLE once APPROVED, PAID once paid out.
 */
export const accountingState = (status: string) => (status === 'PAID' ? 'PAID' : status === 'APPROVED' ? 'PAYABLE' : 'ACCRUED');
