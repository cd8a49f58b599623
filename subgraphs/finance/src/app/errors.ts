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
