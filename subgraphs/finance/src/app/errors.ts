import type { GraphQLError } from 'graphql';
import { domainError } from '@ipay/platform';
import type { Refusal } from '../domain/lifecycle.ts';

/**
 * A settlement/fee refusal of the domain as a GraphQL error. The code's HTTP status, problem type and retryability
 * come from the one error catalogue (subgraphs/platform/src/errors.ts); back-office refusals (reconciliation,
 * statements, controls, sandbox mail) are thrown with `domainError` directly.
 */
export function refusalError(refusal: Refusal, extra: Record<string, unknown> = {}): GraphQLError {
  return domainError(refusal.code, refusal.message, { ...(refusal.reason ? { reason: refusal.reason } : {}), ...extra });
}
