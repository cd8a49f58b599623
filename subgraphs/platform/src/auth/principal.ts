import type { Permission } from './permissions.ts';

/**
 * What a permission reaches. Merchant data carries a merchant id and (for shipments) a carrier code;
 * a scope is the set of those the caller may touch, never a filter applied after loading.
 */
export type DataScope =
  | { kind: 'ALL' }
  | { kind: 'MERCHANTS'; merchantIds: string[] }
  | { kind: 'CARRIERS'; carrierCodes: string[] }
  /** A consumer's reach: exactly one order (of one merchant); rows are matched by their order id column. */
  | { kind: 'ORDER'; orderId: string; merchantId: string };

/** `consumer`: the holder of an order-scoped consumer token (not a merchant, never beyond its one order and mode). */
export type PrincipalKind = 'user' | 'api_key' | 'partner' | 'operator' | 'consumer';

/**
 * A verified caller, as the gateway passes it to subgraphs inside the signed internal token. Identity resolves
 * it from a credential; subgraphs never build one from client input.
 */
export interface Principal {
  kind: PrincipalKind;
  /** usr_…, key_…, ptn_… */
  id: string;
  /** The credential used: an API key id or a login session id; audit records carry it. */
  credentialId: string;
  /** Sandbox (false) and live (true) data never mix. */
  livemode: boolean;
  /** Effective permissions, each with the union of the scopes its grants give. */
  grants: Partial<Record<Permission, DataScope>>;
  displayName?: string;
  /** Consumers: the locale their texts are rendered in (BCP 47, e.g. nl-BE), as their token carries it. */
  locale?: string;
}

/** The union of two scopes of one permission (several roles grant it). */
export function unionScopes(a: DataScope | undefined, b: DataScope): DataScope {
  if (!a) return b;
  if (a.kind === 'ALL' || b.kind === 'ALL') return { kind: 'ALL' };
  if (a.kind === 'MERCHANTS' && b.kind === 'MERCHANTS') return { kind: 'MERCHANTS', merchantIds: [...new Set([...a.merchantIds, ...b.merchantIds])].sort() };
  if (a.kind === 'CARRIERS' && b.kind === 'CARRIERS') return { kind: 'CARRIERS', carrierCodes: [...new Set([...a.carrierCodes, ...b.carrierCodes])].sort() };
  if (a.kind === 'ORDER' && b.kind === 'ORDER' && a.orderId === b.orderId && a.merchantId === b.merchantId) return a;
  // Merchant and carrier scopes reach different data; a permission held both ways keeps both is not expressible
  // in one scope, so the wider merchant reach wins only if it covers everything. Refuse to guess.
  throw new Error('a permission cannot be granted with both merchant and carrier scopes');
}

/** The intersection of a scope with a bound (e.g. a merchant's API key can never reach beyond its merchant). */
export function intersectScopes(scope: DataScope, bound: DataScope): DataScope | undefined {
  if (bound.kind === 'ALL') return scope;
  if (scope.kind === 'ALL') return bound;
  // One order lies inside its merchant's scope, and inside the same order; nothing else holds one.
  const within = (order: { orderId: string; merchantId: string }, other: DataScope) =>
    (other.kind === 'MERCHANTS' && other.merchantIds.includes(order.merchantId)) ||
    (other.kind === 'ORDER' && other.orderId === order.orderId && other.merchantId === order.merchantId);
  if (bound.kind === 'ORDER') return within(bound, scope) ? bound : undefined;
  if (scope.kind === 'ORDER') return within(scope, bound) ? scope : undefined;
  if (scope.kind === 'MERCHANTS' && bound.kind === 'MERCHANTS') {
    const allowed = new Set(bound.merchantIds);
    const merchantIds = scope.merchantIds.filter((id) => allowed.has(id));
    return merchantIds.length ? { kind: 'MERCHANTS', merchantIds } : undefined;
  }
  if (scope.kind === 'CARRIERS' && bound.kind === 'CARRIERS') {
    const allowed = new Set(bound.carrierCodes);
    const carrierCodes = scope.carrierCodes.filter((code) => allowed.has(code));
    return carrierCodes.length ? { kind: 'CARRIERS', carrierCodes } : undefined;
  }
  return undefined;
}

/** Access tokens: issued by identity, verified by the gateway (one definition for both sides). */
export const ACCESS_TOKEN_ISSUER = 'ipay-identity';
export const ACCESS_TOKEN_AUDIENCE = 'ipay-api';
