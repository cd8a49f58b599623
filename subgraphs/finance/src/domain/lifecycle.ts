/**
 * The settlement lifecycle as a table: OPEN → CLOSED (totals fixed) → APPROVED → PAID. The database enforces the same
 * transitions and immutability (migration 0005); this table gives the API its clear refusals first.
 */
export const SETTLEMENT_STATUSES = ['OPEN', 'CLOSED', 'APPROVED', 'PAID'] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUSES)[number];

export type SettlementAction = 'close' | 'approve' | 'pay';

export const TRANSITIONS: Readonly<
  Record<SettlementAction, { from: SettlementStatus; to: SettlementStatus; event: 'settlement.closed' | 'settlement.approved' | 'settlement.paid' }>
> = {
  close: { from: 'OPEN', to: 'CLOSED', event: 'settlement.closed' },
  approve: { from: 'CLOSED', to: 'APPROVED', event: 'settlement.approved' },
  pay: { from: 'APPROVED', to: 'PAID', event: 'settlement.paid' },
};

/** Finance's refusals; their HTTP status, problem type and retryability are in the one error catalogue (@ipay/platform). */
export type RefusalCode = 'SETTLEMENT_INVALID_TRANSITION' | 'FOUR_EYES_REQUIRED' | 'FEE_PERIOD_CLOSED';

export interface Refusal {
  code: RefusalCode;
  message: string;
  reason?: string;
}

export function transition(status: SettlementStatus, action: SettlementAction): { to: SettlementStatus } | { refusal: Refusal } {
  const rule = TRANSITIONS[action];
  if (status === rule.from) return { to: rule.to };
  return {
    refusal: {
      code: 'SETTLEMENT_INVALID_TRANSITION',
      message: `a ${status} settlement cannot be ${action === 'pay' ? 'paid' : `${action}d`}: only a ${rule.from} one can`,
    },
  };
}

/** Lines are only added to, and corrections only made in, an OPEN settlement. */
export const acceptsLines = (status: SettlementStatus) => status === 'OPEN';

export interface Approver {
  /** usr_… for a signed-in person; key_… for an API key. */
  principalId: string;
}

/**
 * Four eyes: a settlement whose net exceeds the currency's threshold (or any settlement of a currency without a
 * configured threshold) is approved only by a signed-in person (not an API key or a job) other than the one who
 * closed it.
 */
export function fourEyesRefusal(settlement: { requiresFourEyes: boolean | null; closedBy: string | null }, approver: Approver): Refusal | null {
  if (!settlement.requiresFourEyes) return null;
  if (!approver.principalId.startsWith('usr_')) {
    return {
      code: 'FOUR_EYES_REQUIRED',
      reason: 'APPROVER_NOT_A_PERSON',
      message: 'this settlement exceeds the approval threshold: a signed-in person must approve it, not an API key',
    };
  }
  if (approver.principalId === settlement.closedBy) {
    return {
      code: 'FOUR_EYES_REQUIRED',
      reason: 'SAME_PERSON',
      message: 'this settlement exceeds the approval threshold: someone other than who closed it must approve it',
    };
  }
  return null;
}

/** Whether a net payout needs four eyes: above the threshold, or always when none is configured for its currency. */
export const needsFourEyes = (netAmount: number, threshold: number | null | undefined) =>
  threshold === null || threshold === undefined || Math.abs(netAmount) > threshold;
