import { GraphQLError } from 'graphql';

/**
 * The domain refusals logistics throws, with the HTTP status the REST facade maps them to and whether a retry can
 * succeed (the single error catalogue in subgraphs/platform/src/errors.ts is to take these over).
 */
export const LOGISTICS_ERRORS = {
  /** createShipment / reissueReleaseCode for an order commerce cancelled. */
  ORDER_CANCELLED: { status: 409, retryable: false },
  /** reissueReleaseCode while the order is not fully paid. */
  PAYMENT_NOT_FULLY_PAID: { status: 409, retryable: false },
  /** reissueReleaseCode after the code was verified or the parcel handed over. */
  RELEASE_ALREADY_AUTHORIZED: { status: 409, retryable: false },
  /** confirmParcelRelease of a revoked authorization. */
  RELEASE_REVOKED: { status: 409, retryable: false },
  /** reissueReleaseCode beyond 3 per shipment per hour (extensions.retryAfterSeconds). */
  REISSUE_RATE_LIMITED: { status: 429, retryable: true },
  /** Live createShipment with a carrier that has no booking credentials configured. */
  CARRIER_NOT_CONFIGURED: { status: 422, retryable: false },
  /** The carrier's booking API refused or could not be reached (extensions.retryable says which). */
  CARRIER_BOOKING_FAILED: { status: 502, retryable: true },
} as const;

export type LogisticsErrorCode = keyof typeof LOGISTICS_ERRORS;

export function domainError(code: LogisticsErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  // No extensions.http: the GraphQL response stays 200; the REST facade maps the code to its status.
  return new GraphQLError(message, { extensions: { code, retryable: LOGISTICS_ERRORS[code].retryable, ...extensions } });
}
