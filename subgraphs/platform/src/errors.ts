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
const spec = (
  status: number,
  kind: string,
  title: string,
  retryable: boolean,
  layer: ErrorSpec['layer'],
  description: string,
  raisedBy?: readonly string[],
): ErrorSpec => ({
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
  UNAUTHENTICATED: spec(
    401,
    'unauthenticated',
    'Authentication required',
    false,
    'domain',
    'No valid credential was sent, or it was revoked, expired or rotated out.',
  ),
  FORBIDDEN: spec(403, 'forbidden', 'Forbidden', false, 'domain', 'The credential is valid but may not do this.'),
  MERCHANT_NOT_ACTIVE: spec(
    403,
    'merchant-not-active',
    'Merchant not active',
    false,
    'domain',
    'The merchant behind a live credential is not ACTIVE (suspended, closed or not yet approved): live access is refused until it is reactivated.',
  ),
  PERSISTED_QUERY_NOT_ALLOWED: spec(
    403,
    'persisted-query-not-allowed',
    'Only persisted operations',
    false,
    'gateway',
    'This gateway runs only operations of the persisted-operation manifest.',
  ),
  NOT_FOUND: spec(404, 'not-found', 'Not found', false, 'domain', 'Nothing exists with that identifier, or it is outside what the credential may see.'),

  // The request itself.
  BAD_USER_INPUT: spec(422, 'invalid-input', 'Invalid input', false, 'domain', 'A value was refused; `errors[].field` names it.'),
  BAD_REQUEST: spec(400, 'bad-request', 'Bad request', false, 'gateway', 'The request cannot be served as sent.'),
  GRAPHQL_PARSE_FAILED: spec(400, 'graphql-parse-failed', 'Malformed GraphQL', false, 'graphql', 'The GraphQL document does not parse.'),
  GRAPHQL_VALIDATION_FAILED: spec(
    422,
    'invalid-input',
    'Invalid input',
    false,
    'graphql',
    'The operation or its variables do not validate against the schema.',
  ),
  OPERATION_RESOLUTION_FAILURE: spec(
    400,
    'operation-resolution-failure',
    'Unknown operation',
    false,
    'graphql',
    'The operation named in the request is not in the document.',
  ),
  PERSISTED_QUERY_NOT_FOUND: spec(400, 'persisted-query-not-found', 'Unknown persisted operation', false, 'graphql', 'No persisted operation has that id.'),
  LIMIT_EXCEEDED: spec(400, 'limit-exceeded', 'Limit exceeded', false, 'gateway', 'The request goes beyond a fixed limit (e.g. subscriptions per connection).'),
  OPERATION_LIMIT_EXCEEDED: spec(
    400,
    'operation-limit-exceeded',
    'Operation limit exceeded',
    false,
    'graphql',
    'The operation goes beyond a documented limit (depth, aliases, directives, tokens, root fields or cost); `extensions.limit`, `max` and `found` say which.',
  ),
  BATCHING_NOT_SUPPORTED: spec(400, 'batching-not-supported', 'Batching not supported', false, 'graphql', 'Send one GraphQL operation per request.'),
  METHOD_NOT_ALLOWED: spec(
    405,
    'method-not-allowed',
    'Method not allowed',
    false,
    'graphql',
    'This endpoint does not take that HTTP method (e.g. a mutation over GET).',
  ),
  PAYLOAD_TOO_LARGE: spec(
    413,
    'payload-too-large',
    'Payload too large',
    false,
    'graphql',
    "The request body is over the endpoint's limit (checked from Content-Length before reading).",
  ),
  UNSUPPORTED_MEDIA_TYPE: spec(
    415,
    'unsupported-media-type',
    'Unsupported media type',
    false,
    'graphql',
    'Send application/json (or application/graphql-response+json).',
  ),
  SERVER_BUSY: spec(
    503,
    'server-busy',
    'Server busy',
    true,
    'graphql',
    'The gateway is reading as many request bodies as its memory budget allows; retry after `Retry-After` seconds.',
  ),
  RATE_LIMITED: spec(429, 'rate-limited', 'Too many requests', true, 'gateway', 'Rate limited; retry after `Retry-After` seconds.'),
  SUBSCRIBER_TOO_SLOW: spec(
    429,
    'subscriber-too-slow',
    'Subscriber too slow',
    true,
    'gateway',
    'Events were dropped for a slow subscriber; resubscribe with lastEventId.',
  ),

  // Idempotency.
  IDEMPOTENCY_KEY_REUSED: spec(
    422,
    'idempotency-key-reused',
    'Idempotency key reused',
    false,
    'domain',
    'The idempotency key was already used with a different request; use a new key for a new request.',
    ['Mutation.createOrder', 'Mutation.startPaymentSession', 'Mutation.createRefund'],
  ),
  IDEMPOTENCY_KEY_IN_USE: spec(
    409,
    'idempotency-key-in-use',
    'Idempotency key in use',
    true,
    'rest',
    'A request with this Idempotency-Key is still being processed; retry later.',
  ),

  // Domain refusals: the request is well-formed but the current state does not allow it.
  CONFLICT: spec(409, 'conflict', 'Conflict', true, 'domain', 'The resource is being changed concurrently; retry.', [
    'Mutation.verifyRelease',
    'Mutation.confirmParcelRelease',
  ]),
  ILLEGAL_TRANSITION: spec(
    409,
    'illegal-transition',
    'Illegal state transition',
    false,
    'domain',
    'The resource is in a state from which this change is not allowed.',
    ['Mutation.cancelOrder', ...PAYMENT_COMMANDS],
  ),
  ORDER_NOT_PAYABLE: spec(
    409,
    'order-not-payable',
    'Order not payable',
    false,
    'domain',
    'The order cannot be paid in its current status (already paid, cancelled, ...).',
    ['Mutation.startPaymentSession'],
  ),
  ORDER_CANCELLED: spec(409, 'order-cancelled', 'Order cancelled', false, 'domain', 'The order was cancelled: it is no longer paid, shipped or released.', [
    'Mutation.startPaymentSession',
    'Mutation.createShipment',
    'Mutation.verifyRelease',
    'Mutation.confirmParcelRelease',
    'Mutation.reissueReleaseCode',
  ]),
  PAYMENT_NOT_CONFIRMED: spec(
    409,
    'payment-not-confirmed',
    'Payment not confirmed',
    false,
    'domain',
    'The order is not fully paid (no payment, a partial capture, or a refund); the parcel cannot be released.',
    ['Mutation.verifyRelease', 'Mutation.confirmParcelRelease'],
  ),
  PAYMENT_IN_PROGRESS: spec(
    409,
    'payment-in-progress',
    'Payment in progress',
    false,
    'domain',
    'Another payment session of the order is still open or holds funds.',
    ['Mutation.startPaymentSession'],
  ),

  // Money.
  CURRENCY_MISMATCH: spec(422, 'currency-mismatch', 'Currency mismatch', false, 'domain', 'The amount is in another currency than the payment.', [
    ...PAYMENT_COMMANDS,
  ]),
  AMOUNT_MISMATCH: spec(422, 'amount-mismatch', 'Amount mismatch', false, 'domain', 'The amount differs from the payment session amount.', [
    ...PAYMENT_COMMANDS,
  ]),
  AMOUNT_EXCEEDS_SESSION: spec(
    422,
    'amount-exceeds-session',
    'Amount exceeds session',
    false,
    'domain',
    'The amount is more than the payment session is for.',
    [...PAYMENT_COMMANDS],
  ),
  CAPTURE_EXCEEDS_AUTHORIZED: spec(
    422,
    'capture-exceeds-authorized',
    'Capture exceeds authorization',
    false,
    'domain',
    'More would be captured than was authorized.',
    [...PAYMENT_COMMANDS],
  ),
  REFUND_EXCEEDS_CAPTURED: spec(
    422,
    'refund-exceeds-captured',
    'Refund exceeds capture',
    false,
    'domain',
    'The refunds would exceed what was captured (refunds still pending at the PSP count).',
    ['Mutation.createRefund'],
  ),
  INVALID_EVENT: spec(422, 'invalid-event', 'Invalid payment event', false, 'domain', 'A payment event is malformed.', [...PAYMENT_COMMANDS]),
  PSP_REFERENCE_MISMATCH: spec(
    422,
    'psp-reference-mismatch',
    'PSP reference mismatch',
    false,
    'domain',
    'A PSP fact names another PSP payment than the session holds.',
    [...PAYMENT_COMMANDS],
  ),
  PSP_REFUSED: spec(422, 'psp-refused', 'Refused by the PSP', false, 'domain', 'The payment service provider refused the request.', [
    'Mutation.startPaymentSession',
    'Mutation.createRefund',
  ]),
  PSP_UNAVAILABLE: spec(
    503,
    'psp-unavailable',
    'PSP unavailable',
    true,
    'domain',
    'The payment service provider could not process the request now; retry later.',
    ['Mutation.startPaymentSession', 'Mutation.createRefund'],
  ),

  // Logistics: shipments, carriers and releases.
  CARRIER_NOT_CONFIGURED: spec(
    422,
    'carrier-not-configured',
    'Carrier not configured',
    false,
    'domain',
    'No carrier integration (booking credentials) is configured for live shipments of this carrier; nothing was booked.',
    ['Mutation.createShipment'],
  ),
  CARRIER_BOOKING_FAILED: spec(
    502,
    'carrier-booking-failed',
    'Carrier booking failed',
    true,
    'domain',
    'The carrier refused the booking or could not be reached; nothing was booked. `extensions.retryable` says whether this attempt can succeed later.',
    ['Mutation.createShipment'],
  ),
  PAYMENT_NOT_FULLY_PAID: spec(
    409,
    'payment-not-fully-paid',
    'Order not fully paid',
    false,
    'domain',
    'The order is not fully paid, so no release code is issued for it.',
    ['Mutation.reissueReleaseCode'],
  ),
  RELEASE_ALREADY_AUTHORIZED: spec(
    409,
    'release-already-authorized',
    'Release already authorized',
    false,
    'domain',
    'The release code was verified or the parcel handed over already; there is no code to reissue.',
    ['Mutation.reissueReleaseCode'],
  ),
  RELEASE_REVOKED: spec(
    409,
    'release-revoked',
    'Release revoked',
    false,
    'domain',
    'The release authorization was revoked (cancellation, refund or reissue); the parcel may not be handed over.',
    ['Mutation.confirmParcelRelease'],
  ),
  REISSUE_RATE_LIMITED: spec(
    429,
    'reissue-rate-limited',
    'Release code reissue limited',
    true,
    'domain',
    'The release code of this shipment was reissued too often; retry after `extensions.retryAfterSeconds`.',
    ['Mutation.reissueReleaseCode'],
  ),

  // Commerce: returns.
  ORDER_NOT_RETURNABLE: spec(
    409,
    'order-not-returnable',
    'Order not returnable',
    false,
    'domain',
    'The order is in a status from which it cannot be returned.',
    ['Mutation.requestReturn'],
  ),
  RETURN_ALREADY_CONFIRMED: spec(
    409,
    'return-already-confirmed',
    'Return already confirmed',
    false,
    'domain',
    'The return was confirmed already (or is past REQUESTED).',
    ['Mutation.confirmReturn', 'Mutation.acceptRetentionOffer'],
  ),
  ILLEGAL_RETURN_TRANSITION: spec(
    409,
    'illegal-return-transition',
    'Illegal return transition',
    false,
    'domain',
    'The return is in a status from which this change is not allowed.',
    ['Mutation.confirmReturn', 'Mutation.acceptRetentionOffer', 'Mutation.inspectReturn'],
  ),
  RETENTION_OFFER_NOT_AVAILABLE: spec(
    422,
    'retention-offer-not-available',
    'Retention offer not available',
    false,
    'domain',
    'The offer is not one of the offers made for this return.',
    ['Mutation.acceptRetentionOffer'],
  ),

  // Finance: settlements and fees.
  FOUR_EYES_REQUIRED: spec(
    403,
    'four-eyes-required',
    'Four eyes required',
    false,
    'domain',
    'The settlement exceeds the approval threshold: a signed-in person other than who closed it must approve it (`extensions.reason`).',
    ['Mutation.approveSettlement'],
  ),
  SETTLEMENT_INVALID_TRANSITION: spec(
    409,
    'settlement-invalid-transition',
    'Invalid settlement transition',
    false,
    'domain',
    'The settlement is in a status from which this change is not allowed (OPEN → CLOSED → APPROVED → PAID).',
    ['Mutation.closeSettlement', 'Mutation.approveSettlement', 'Mutation.markSettlementPaid', 'Mutation.addSettlementAdjustment'],
  ),
  FEE_PERIOD_CLOSED: spec(
    409,
    'fee-period-closed',
    'Fee period closed',
    false,
    'domain',
    'A fee change cannot reach back into a settlement that is no longer OPEN; correct it with an adjustment.',
    ['Mutation.setFeeSchedule'],
  ),

  // Finance: carrier invoice reconciliation, statements, sandbox mail.
  CARRIER_INVOICE_ALREADY_IMPORTED: spec(
    409,
    'carrier-invoice-already-imported',
    'Carrier invoice already imported',
    false,
    'domain',
    'An invoice with this number was imported for this carrier already (`extensions.invoiceId`).',
    ['Mutation.importCarrierInvoice'],
  ),
  INVOICE_LINE_MATCHED: spec(
    409,
    'invoice-line-matched',
    'Invoice line matched',
    false,
    'domain',
    'The invoice line matched the expected cost; there is nothing to resolve.',
    ['Mutation.resolveCarrierInvoiceLine'],
  ),
  INVOICE_LINE_ALREADY_RESOLVED: spec(
    409,
    'invoice-line-already-resolved',
    'Invoice line already resolved',
    false,
    'domain',
    'The invoice line was resolved already.',
    ['Mutation.resolveCarrierInvoiceLine'],
  ),
  INVOICE_LINE_HAS_NO_EXPECTED_COST: spec(
    422,
    'invoice-line-has-no-expected-cost',
    'No expected cost',
    false,
    'domain',
    'The invoice line has no expected cost to accept.',
    ['Mutation.resolveCarrierInvoiceLine'],
  ),
  PAYMENT_EXCEEDS_OPEN_AMOUNT: spec(
    422,
    'payment-exceeds-open-amount',
    'Payment exceeds open amount',
    false,
    'domain',
    'The payment is more than the invoice has open (`extensions.open`).',
    ['Mutation.recordCarrierInvoicePayment'],
  ),
  NO_STATEMENT_RECIPIENTS: spec(
    422,
    'no-statement-recipients',
    'No statement recipients',
    false,
    'domain',
    'No recipients were given and no contacts are set for the carrier.',
    ['Mutation.sendCarrierStatement'],
  ),
  MAIL_UNAVAILABLE: spec(503, 'mail-unavailable', 'Mail unavailable', true, 'domain', 'No mail server is configured or reachable; retry later.', [
    'Mutation.sendCarrierStatement',
  ]),
  MAIL_DELIVERY_FAILED: spec(502, 'mail-delivery-failed', 'Mail delivery failed', true, 'domain', 'The mail server refused the statement mail.', [
    'Mutation.sendCarrierStatement',
  ]),
  SANDBOX_ONLY: spec(403, 'sandbox-only', 'Sandbox only', false, 'domain', 'This exists only in the sandbox (test-mode credentials, outside production).', [
    'Query.sandboxMail',
  ]),

  // The platform itself.
  INTERNAL_SERVER_ERROR: spec(500, 'internal', 'Internal error', true, 'graphql', 'An unexpected error; quote `requestId` when reporting it.'),
  BAD_GATEWAY: spec(502, 'upstream-error', 'Upstream error', true, 'gateway', 'A service behind the gateway failed.'),
  DOWNSTREAM_SERVICE_ERROR: spec(502, 'upstream-error', 'Upstream error', true, 'gateway', 'A service behind the gateway failed.'),
  // Quotes (commerce).
  QUOTE_NOT_CONFIGURED: spec(
    422,
    'quote-not-configured',
    'Quotes not configured',
    false,
    'domain',
    'The merchant has no quote settings (margin rule, validity, branding) yet.',
    ['Mutation.requestQuote'],
  ),
  QUOTE_NOT_ISSUED: spec(
    409,
    'quote-not-issued',
    'Quote not issued',
    false,
    'domain',
    'The quote is still being priced or was refused; only an issued quote can be accepted.',
    ['Mutation.acceptQuote'],
  ),
  QUOTE_ALREADY_ACCEPTED: spec(409, 'quote-already-accepted', 'Quote already accepted', false, 'domain', 'The quote already became an order.', [
    'Mutation.acceptQuote',
  ]),
  QUOTE_EXPIRED: spec(410, 'quote-expired', 'Quote expired', false, 'domain', 'The quote is past its validity; request a new one.', ['Mutation.acceptQuote']),
  // Localization (identity).
  MESSAGE_TEMPLATE_MISSING: spec(
    422,
    'message-template-missing',
    'Message template missing',
    false,
    'domain',
    'No template on the locale fallback chain has this key; texts are never shown raw.',
    ['Query.renderMessage', 'Query.consumerOrder'],
  ),
  SERVICE_UNAVAILABLE: spec(
    503,
    'upstream-unavailable',
    'Service unavailable',
    true,
    'gateway',
    'A service behind the gateway is unavailable; retry after `Retry-After` seconds.',
  ),
  SUBGRAPH_UNAVAILABLE: spec(
    503,
    'upstream-unavailable',
    'Service unavailable',
    true,
    'gateway',
    'A service behind the gateway is unavailable; retry after `Retry-After` seconds.',
  ),
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
 * `extensions.retryable` is the catalogue's (an `extras.retryable` of the one failure overrides it).
 * UNAUTHENTICATED and FORBIDDEN also carry `http.status` (as they always have: the subgraph answers the gateway
 * with that status); other codes are field errors of an HTTP 200 answer, mapped to their status by the REST facade.
 */
export function domainError(code: ErrorCode, message: string, extras: Record<string, unknown> = {}): GraphQLError {
  const http = code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' ? { http: { status: ERROR_CATALOGUE[code].status } } : {};
  return new GraphQLError(message, { extensions: { code, retryable: ERROR_CATALOGUE[code].retryable, ...extras, ...http } });
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
