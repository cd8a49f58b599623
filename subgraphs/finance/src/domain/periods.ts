/**
 * Settlement periods in UTC: a merchant is settled DAILY, WEEKLY (ISO weeks, Monday to Monday) or MONTHLY. A period
 * is the half-open interval [start, end).
 */
export const PERIOD_KINDS = ['DAILY', 'WEEKLY', 'MONTHLY'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

export interface Period {
  kind: PeriodKind;
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

/** The period of a kind that contains an instant. */
export function periodContaining(kind: PeriodKind, instant: Date): Period {
  const y = instant.getUTCFullYear();
  const m = instant.getUTCMonth();
  const d = instant.getUTCDate();
  switch (kind) {
    case 'DAILY': {
      const start = new Date(Date.UTC(y, m, d));
      return { kind, start, end: new Date(start.getTime() + DAY_MS) };
    }
    case 'WEEKLY': {
      const midnight = Date.UTC(y, m, d);
      const sinceMonday = (instant.getUTCDay() + 6) % 7;
      const start = new Date(midnight - sinceMonday * DAY_MS);
      return { kind, start, end: new Date(start.getTime() + 7 * DAY_MS) };
    }
    case 'MONTHLY':
      return { kind, start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
  }
}

/** The period right after one, of the same kind (or of another kind, starting where this one ends). */
export function periodAfter(period: Pick<Period, 'end'>, kind: PeriodKind): Period {
  return periodContaining(kind, period.end);
}

/** "2026-11-01 – 2026-11-30": the first and the last day of a period (its end is exclusive). */
export const periodLabel = (start: Date, end: Date) => `${start.toISOString().slice(0, 10)} – ${new Date(end.getTime() - 1).toISOString().slice(0, 10)}`;
