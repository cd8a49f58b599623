import { OUR_STATUSES, type MappedOrder, type OurStatus, type PushStatusResult } from '../connector.ts';
import { divideMinorUnits } from '../money.ts';

/** Labels platforms use for pay-on-delivery methods (module codes, gateway names, localized names). */
const COD =
  /(^|[^a-z])(cod|cash[\s_-]*on[\s_-]*delivery|cashondelivery|cash[\s_-]*payment|pay[\s_-]*on[\s_-]*delivery|nachnahme|rembours|contrareembolso|pobranie|cash_on_delivery)([^a-z]|$)/i;

export function isCashOnDelivery(label: string | undefined): boolean {
  return !!label && COD.test(label);
}

export function paymentHint(label: string | undefined, paid: boolean, cod = isCashOnDelivery(label)): MappedOrder['paymentMethodHint'] {
  return { kind: cod ? 'cash_on_delivery' : paid ? 'prepaid' : 'unpaid', label: label ?? 'unknown' };
}

/** Unit price from a line total when the platform gives only the total; rounding shows up in amounts.difference. */
export function unitFromLineTotal(lineTotal: number, quantity: number): number {
  return divideMinorUnits(lineTotal, quantity, 'halfUp');
}

/** Fills the full status table; statuses not listed have no platform action. */
export function statusActions(actions: Partial<Record<OurStatus, string>>): Record<OurStatus, string | null> {
  return Object.fromEntries(OUR_STATUSES.map((s) => [s, actions[s] ?? null])) as Record<OurStatus, string | null>;
}

export function pushed(platformAction: string): PushStatusResult {
  return { outcome: 'pushed', platformAction };
}

export function skipped(reason: string): PushStatusResult {
  return { outcome: 'skipped', reason };
}

/** Groups marketplace rows that carry one unit each (Lazada, TikTok Shop) into lines with quantities. */
export function groupUnits<T extends { sku: string; name: string; unitAmount: number }>(
  rows: T[],
): { sku: string; name: string; unitAmount: number; quantity: number }[] {
  const lines = new Map<string, { sku: string; name: string; unitAmount: number; quantity: number }>();
  for (const row of rows) {
    const key = `${row.sku}\u0000${row.unitAmount}`;
    const line = lines.get(key);
    if (line) line.quantity += 1;
    else lines.set(key, { sku: row.sku, name: row.name, unitAmount: row.unitAmount, quantity: 1 });
  }
  return [...lines.values()];
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Same-origin check before following a URL the platform handed back (never send credentials elsewhere). */
export function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/**
 * Keyset paging for platforms that can sort ascending by update time and filter "updated ≥ from" but have no totals
 * (PrestaShop): each request restarts at the last update time seen, skipping the orders already read at exactly that
 * time, so an order modified mid-scan cannot shift unread orders into the part already consumed.
 */
export interface TieKeyset {
  from: Date;
  skip: number;
}

export function nextTieKeyset(previous: TieKeyset | null, firstFrom: Date, times: Date[], pageSize: number): TieKeyset | null {
  if (times.length < pageSize) return null;
  const from = previous?.from ?? firstFrom;
  const last = times[times.length - 1]!;
  const atLast = times.filter((t) => t.getTime() === last.getTime()).length;
  if (last.getTime() === from.getTime()) return { from, skip: (previous?.skip ?? 0) + times.length };
  return { from: last, skip: atLast };
}
