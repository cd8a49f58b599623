import { isPermission, type DataScope, type Permission, type Principal } from '@ipay/platform';

/**
 * Consumer access rules (pure). A consumer is not a merchant: its token reaches exactly one order, in the mode
 * of that order, with the few permissions the consumer app needs; every subgraph's SQL scope (ORDER) enforces it.
 */

/**
 * What a consumer token may do with its order: read it, its payment session(s), shipment and release code,
 * start or resume the payment, and start a return once commerce's returns (`returns:create`) exist.
 */
export const CONSUMER_PERMISSIONS: readonly string[] = ['orders:read', 'payments:read', 'payments:create', 'shipments:read', 'releases:read', 'returns:create'];

export function consumerGrants(order: { orderId: string; merchantId: string }): Principal['grants'] {
  const scope: DataScope = { kind: 'ORDER', orderId: order.orderId, merchantId: order.merchantId };
  const grants: Principal['grants'] = {};
  // Only permissions the catalogue has: returns:create joins when the returns capability declares it.
  for (const permission of CONSUMER_PERMISSIONS) if (isPermission(permission)) grants[permission as Permission] = scope;
  return grants;
}

/** References compare trimmed and upper-case; postal codes also without spaces or dashes ("1234 ab" = "1234AB"). */
export const normalizeReference = (reference: string) => reference.trim().toUpperCase();
export const normalizePostalCode = (postalCode: string) => postalCode.replace(/[\s-]+/g, '').toUpperCase();

/** Consumer tokens live at most this long (the merchant hands them on, e.g. in the delivery email). */
export const DEFAULT_CONSUMER_TOKEN_TTL_SECONDS = 7 * 86_400;
export const MAX_CONSUMER_TOKEN_TTL_SECONDS = 30 * 86_400;
/** A token from reference + postal code lives shorter: the consumer can always prove it again. */
export const VERIFIED_CONSUMER_TOKEN_TTL_SECONDS = 86_400;

/** Guessing is bounded: per reference and per source address within a window. */
export const LOCKOUT = { windowMs: 15 * 60_000, perReference: 5, perSourceIp: 20 } as const;

/** Whether a new attempt may run, given the failures within the window (oldest first); if not, for how long. */
export function lockoutState(
  failures: { reference: Date[]; sourceIp: Date[] },
  now: Date,
): { locked: false } | { locked: true; retryAfterSeconds: number; by: 'reference' | 'sourceIp' } {
  const check = (times: Date[], limit: number, by: 'reference' | 'sourceIp') => {
    if (times.length < limit) return null;
    // Unlocks when enough of the failures have left the window for the count to drop below the limit.
    const unlockAt = times[times.length - limit]!.getTime() + LOCKOUT.windowMs;
    return { locked: true as const, retryAfterSeconds: Math.max(1, Math.ceil((unlockAt - now.getTime()) / 1000)), by };
  };
  return check(failures.reference, LOCKOUT.perReference, 'reference') ?? check(failures.sourceIp, LOCKOUT.perSourceIp, 'sourceIp') ?? { locked: false };
}

/** Orders a consumer has paid for (identity's projection of commerce's status). */
const PAID_STATUSES = new Set(['PAID', 'OUT_FOR_DELIVERY', 'RELEASED', 'DELIVERED', 'RETURNED', 'PARTIALLY_RETURNED', 'REFUNDED']);
export const isPaidStatus = (status: string) => PAID_STATUSES.has(status);
