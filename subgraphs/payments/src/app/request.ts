import { GraphQLError } from 'graphql';
import { badUserInput, domainError } from '@ipay/platform';
import type { PspError } from '../adapters/psp/adapter.ts';
import type { Context } from '../context.ts';

/** What a use case needs of the request it serves: the caller (auth), the database, services, its unit of work, its logger. */
export type PaymentsRequest = Pick<Context, 'auth' | 'db' | 'services' | 'mutate' | 'logger'>;

export const METHOD = /^[a-z][a-z0-9_]{1,31}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
export const MAX_REASON = 500;

export function idempotencyKeyOf(value: string): string {
  if (!IDEMPOTENCY_KEY.test(value)) throw badUserInput('idempotencyKey', 'must be 1 to 255 printable ASCII characters without spaces');
  return value;
}

export function keyReused(): GraphQLError {
  return domainError('IDEMPOTENCY_KEY_REUSED', 'idempotencyKey: already used with a different request', { field: 'idempotencyKey' });
}

export function pspFailure(error: PspError, field: string): GraphQLError {
  const refused = error.kind === 'rejected';
  const code = refused ? 'PSP_REFUSED' : 'PSP_UNAVAILABLE';
  return new GraphQLError(`${field}: the PSP ${refused ? 'refused the request' : 'could not process the request'}: ${error.message}`, {
    extensions: { code, field, psp: error.psp, pspCode: error.details.pspCode ?? null, retryable: error.retryable },
  });
}
