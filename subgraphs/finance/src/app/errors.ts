import { GraphQLError } from 'graphql';
import type { Refusal } from '../domain/lifecycle.ts';

/**
 * Finance's refusals as GraphQL errors with their HTTP status (the REST facade maps codes to statuses; see the
 * README for the list): FOUR_EYES_REQUIRED 403, SETTLEMENT_INVALID_TRANSITION 409,
 * FEE_PERIOD_CLOSED 409.
 */
export function refusalError(refusal: Refusal, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(refusal.message, { extensions: { code: refusal.code, http: { status: refusal.status }, ...(refusal.reason ? { reason: refusal.reason } : {}), ...extra } });
}

/**
 * Finance back-office error codes (reconciliation, statements, controls, sandbox mail), each with its HTTP status for
 * the REST facade.
 */
export const RECONCILIATION_ERROR_STATUS = {
  CARRIER_INVOICE_ALREADY_IMPORTED: 409,
  INVOICE_LINE_MATCHED: 409,
  INVOICE_LINE_ALREADY_RESOLVED: 409,
  INVOICE_LINE_HAS_NO_EXPECTED_COST: 422,
  PAYMENT_EXCEEDS_OPEN_AMOUNT: 422,
  NO_STATEMENT_RECIPIENTS: 422,
  MAIL_UNAVAILABLE: 503,
  MAIL_DELIVERY_FAILED: 502,
  SANDBOX_ONLY: 403,
} as const;
export type ReconciliationErrorCode = keyof typeof RECONCILIATION_ERROR_STATUS;

export function financeError(code: ReconciliationErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, http: { status: RECONCILIATION_ERROR_STATUS[code] }, ...extensions } });
}
