import { GraphQLError } from 'graphql';

/**
 * The error catalogue: every `extensions.code` the graph can answer with, once. Subgraphs throw from it
 * (`domainError`, and the `unauthenticated`/`forbidden`/`notFound`/`badUserInput` wrappers), the REST facade maps
 * a code to its HTTP status and RFC 9457 problem type from it, and `pnpm rest:build` documents each operation's
 * statuses from it. A test walks the source for thrown codes and fails on any code missing here
 * (gateway/test/rest/error-catalogue.test.ts), and another checks each code answers its status through REST.
 *
 * `raisedBy` names the root fields (schema coordinates such as `Mutation.createRefund`) whose resolvers can raise
 * a domain code; the OpenAPI document lists that code's status on every operation that selects one of them.
 * Codes without `raisedBy` are generic: their statuses follow rules that hold for every operation (see
 * scripts/rest/lib/statuses.ts).
 */
export interface ErrorSpec {
  /** The HTTP status the REST facade answers with (GraphQL answers 200 with the error, except 401/403 of a request as a whole). */
  readonly status: number;
  /** The RFC 9457 problem type: a URN clients branch on (with `code`). */
  readonly type: string;
  /** A short, stable, human summary of the kind of problem. */
  readonly title: string;
  /** Whether sending the same request again later can succeed (transient), so a client may retry it. */
  readonly retryable: boolean;
  readonly description: string;
  /** Root fields that can raise this code (domain codes); absent for codes any operation can get. */
  readonly raisedBy?: readonly string[];
  /** Who raises it: the graph's resolvers, the gateway/GraphQL server, or the REST facade itself. */
  readonly layer: 'domain' | 'graphql' | 'gateway' | 'rest';
}

const urn = (kind: string) => `urn:ipay:problem:${kind}`;
const spec = (status: number, kind: string, title: string, retryable: boolean, layer: ErrorSpec['layer'], description: string, raisedBy?: readonly string[]): ErrorSpec => ({
  status,
  type: urn(kind),
  title,
  retryable,
  layer,
  description,
  ...(raisedBy ? { raisedBy } : {}),
});

const PAYMENT_COMMANDS = ['Mutation.startPaymentSession', 'Mutation.createRefund', 'Mutation.simulateSandboxPayment'] as const;

export const ERROR_CATALOGUE = {
  // Who is calling and what they may do.
  UNAUTHENTICATED: spec(401, 'unauthenticated', 'Authentication required', false, 'domain', 'No valid credential was sent, or it was revoked, expired or rotated out.'),
  FORBIDDEN: spec(403, 'forbidden', 'Forbidden', false, 'domain', 'The credential is valid but may not do this.'),
  MERCHANT_NOT_ACTIVE: spec(403, 'merchant-not-active', 'Merchant not active', false, 'domain', 'The merchant behind a live credential is not ACTIVE (suspended, closed or not yet approved): live access is refused until it is reactivated.'),
  PERSISTED_QUERY_NOT_ALLOWED: spec(403, 'persisted-query-not-allowed', 'Only persisted operations', false, 'gateway', 'This gateway runs only operations of the persisted-operation manifest.'),
  NOT_FOUND: spec(404, 'not-found', 'Not found', false, 'domain', 'Nothing exists with that identifier, or it is outside what the credential may see.'),

  // The request itself.
  BAD_USER_INPUT: spec(422, 'invalid-input', 'Invalid input', false, 'domain', 'A value was refused; `errors[].field` names it.'),
  BAD_REQUEST: spec(400, 'bad-request', 'Bad request', false, 'gateway', 'The request cannot be served as sent.'),
  GRAPHQL_PARSE_FAILED: spec(400, 'graphql-parse-failed', 'Malformed GraphQL', false, 'graphql', 'The GraphQL document does not parse.'),
  GRAPHQL_VALIDATION_FAILED: spec(422, 'invalid-input', 'Invalid input', false, 'graphql', 'The operation or its variables do not validate against the schema.'),
  OPERATION_RESOLUTION_FAILURE: spec(400, 'operation-resolution-failure', 'Unknown operation', false, 'graphql', 'The operation named in the request is not in the document.'),
  PERSISTED_QUERY_NOT_FOUND: spec(400, 'persisted-query-not-found', 'Unknown persisted operation', false, 'graphql', 'No persisted operation has that id.'),
  LIMIT_EXCEEDED: spec(400, 'limit-exceeded', 'Limit exceeded', false, 'gateway', 'The request goes beyond a fixed limit (e.g. subscriptions per connection).'),
  RATE_LIMITED: spec(429, 'rate-limited', 'Too many requests', true, 'gateway', 'Rate limited; retry after `Retry-After` seconds.'),
  SUBSCRIBER_TOO_SLOW: spec(429, 'subscriber-too-slow', 'Subscriber too slow', true, 'gateway', 'Events were dropped for a slow subscriber; resubscribe with lastEventId.'),

  // Idempotency.
  IDEMPOTENCY_KEY_REUSED: spec(422, 'idempotency-key-reused', 'Idempotency key reused', false, 'domain', 'The idempotency key was already used with a different request; use a new key for a new request.', ['Mutation.startPaymentSession', 'Mutation.createRefund']),
  IDEMPOTENCY_CONFLICT: spec(422, 'idempotency-key-reused', 'Idempotency key reused', false, 'domain', 'The idempotency key was already used with a different request body; use a new key for a new request.', ['Mutation.createOrder']),
  IDEMPOTENCY_KEY_IN_USE: spec(409, 'idempotency-key-in-use', 'Idempotency key in use', true, 'rest', 'A request with this Idempotency-Key is still being processed; retry later.'),

  // Domain refusals: the request is well-formed but the current state does not allow it.
  CONFLICT: spec(409, 'conflict', 'Conflict', true, 'domain', 'The resource is being changed concurrently; retry.', ['Mutation.verifyRelease', 'Mutation.confirmParcelRelease']),
  ILLEGAL_TRANSITION: spec(409, 'illegal-transition', 'Illegal state transition', false, 'domain', 'The resource is in a state from which this change is not allowed.', ['Mutation.cancelOrder', ...PAYMENT_COMMANDS]),
  ORDER_NOT_PAYABLE: spec(409, 'order-not-payable', 'Order not payable', false, 'domain', 'The order cannot be paid in its current status (already paid, cancelled, ...).', ['Mutation.startPaymentSession']),
  ORDER_CANCELLED: spec(409, 'order-cancelled', 'Order cancelled', false, 'domain', 'The order was cancelled: it is no longer paid, shipped or released.', ['Mutation.startPaymentSession', 'Mutation.createShipment', 'Mutation.verifyRelease', 'Mutation.confirmParcelRelease']),
  PAYMENT_NOT_CONFIRMED: spec(409, 'payment-not-confirmed', 'Payment not confirmed', false, 'domain', 'The order is not fully paid (no payment, a partial capture, or a refund); the parcel cannot be released.', ['Mutation.verifyRelease', 'Mutation.confirmParcelRelease']),
  PAYMENT_IN_PROGRESS: spec(409, 'payment-in-progress', 'Payment in progress', false, 'domain', 'Another payment session of the order is still open or holds funds.', ['Mutation.startPaymentSession']),
  CARRIER_NOT_CONFIGURED: spec(409, 'carrier-not-configured', 'Carrier not configured', false, 'domain', 'No carrier integration is configured for live shipments of this carrier; nothing was booked.', ['Mutation.createShipment']),
  RELEASE_REISSUE_LIMITED: spec(429, 'release-reissue-limited', 'Release code reissue limited', true, 'domain', 'The release code was reissued too often; retry later.', ['Mutation.reissueReleaseCode']),

  // Money.
  CURRENCY_MISMATCH: spec(422, 'currency-mismatch', 'Currency mismatch', false, 'domain', 'The amount is in another currency than the payment.', [...PAYMENT_COMMANDS]),
  AMOUNT_MISMATCH: spec(422, 'amount-mismatch', 'Amount mismatch', false, 'domain', 'The amount differs from the payment session amount.', [...PAYMENT_COMMANDS]),
  AMOUNT_EXCEEDS_SESSION: spec(422, 'amount-exceeds-session', 'Amount exceeds session', false, 'domain', 'The amount is more than the payment session is for.', [...PAYMENT_COMMANDS]),
  CAPTURE_EXCEEDS_AUTHORISED: spec(422, 'capture-exceeds-authorised', 'Capture exceeds authorisation', false, 'domain', 'More would be captured than was authorised.', [...PAYMENT_COMMANDS]),
  REFUND_EXCEEDS_CAPTURED: spec(422, 'refund-exceeds-captured', 'Refund exceeds capture', false, 'domain', 'The refunds would exceed what was captured (refunds still pending at the PSP count).', ['Mutation.createRefund']),
  INVALID_EVENT: spec(422, 'invalid-event', 'Invalid payment event', false, 'domain', 'A payment event is malformed.', [...PAYMENT_COMMANDS]),
  PSP_REFERENCE_MISMATCH: spec(422, 'psp-reference-mismatch', 'PSP reference mismatch', false, 'domain', 'A PSP fact names another PSP payment than the session holds.', [...PAYMENT_COMMANDS]),
  PSP_REFUSED: spec(422, 'psp-refused', 'Refused by the PSP', false, 'domain', 'The payment service provider refused the request.', ['Mutation.startPaymentSession', 'Mutation.createRefund']),
  PSP_UNAVAILABLE: spec(503, 'psp-unavailable', 'PSP unavailable', true, 'domain', 'The payment service provider could not process the request now; retry later.', ['Mutation.startPaymentSession', 'Mutation.createRefund']),

  // The platform itself.
  INTERNAL_SERVER_ERROR: spec(500, 'internal', 'Internal error', true, 'graphql', 'An unexpected error; quote `requestId` when reporting it.'),
  BAD_GATEWAY: spec(502, 'upstream-error', 'Upstream error', true, 'gateway', 'A service behind the gateway failed.'),
  DOWNSTREAM_SERVICE_ERROR: spec(502, 'upstream-error', 'Upstream error', true, 'gateway', 'A service behind the gateway failed.'),
  SERVICE_UNAVAILABLE: spec(503, 'upstream-unavailable', 'Service unavailable', true, 'gateway', 'A service behind the gateway is unavailable; retry after `Retry-After` seconds.'),
  SUBGRAPH_UNAVAILABLE: spec(503, 'upstream-unavailable', 'Service unavailable', true, 'gateway', 'A service behind the gateway is unavailable; retry after `Retry-After` seconds.'),
  GATEWAY_TIMEOUT: spec(504, 'upstream-timeout', 'Upstream timeout', true, 'gateway', 'A service behind the gateway did not answer in time.'),
  SUBGRAPH_TIMEOUT: spec(504, 'upstream-timeout', 'Upstream timeout', true, 'gateway', 'A service behind the gateway did not answer in time.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);

export function errorSpec(code: ErrorCode): ErrorSpec {
  return ERROR_CATALOGUE[code];
}

/**
 * A GraphQL error of a catalogued code. `extras` become further `extensions` (e.g. `field`, `entity`, `from`).
 * UNAUTHENTICATED and FORBIDDEN also carry `http.status` (as they always have: the subgraph answers the gateway
 * with that status); other codes are field errors of an HTTP 200 answer, mapped to their status by the REST facade.
 */
export function domainError(code: ErrorCode, message: string, extras: Record<string, unknown> = {}): GraphQLError {
  const http = code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? { http: { status: ERROR_CATALOGUE[code].status } } : {};
  return new GraphQLError(message, { extensions: { code, ...extras, ...http } });
}

/** Errors carry `extensions.code` so clients branch on codes, never on messages. */
export function unauthenticated(message: string): GraphQLError {
  return domainError('UNAUTHENTICATED', message);
}

export function forbidden(message: string): GraphQLError {
  return domainError('FORBIDDEN', message);
}

export function notFound(entity: string, id: string): GraphQLError {
  return domainError('NOT_FOUND', `${entity} ${id} not found`, { entity, id });
}

export function badUserInput(field: string, message: string): GraphQLError {
  return domainError('BAD_USER_INPUT', `${field}: ${message}`, { field });
}
