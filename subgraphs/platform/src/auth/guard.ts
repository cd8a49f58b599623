import { and, eq, inArray, sql, type Column, type SQL } from 'drizzle-orm';
import { forbidden, notFound, unauthenticated } from '../errors.ts';
import type { Permission } from './permissions.ts';
import type { DataScope, Principal } from './principal.ts';

/**
 * The per-request authorization handle every subgraph resolver gets. A field or mutation declares what it
 * needs in one line (`const scope = auth.require('orders:read')`) and passes the scope to its query.
 */
export class Authorization {
  constructor(readonly principal: Principal | null) {}

  get authenticated(): boolean {
    return this.principal !== null;
  }

  /** The caller, or UNAUTHENTICATED. */
  requirePrincipal(): Principal {
    if (!this.principal) throw unauthenticated('authentication required: send Authorization: Bearer <token or API key>');
    return this.principal;
  }

  /** The scope the caller holds `permission` with, or UNAUTHENTICATED / FORBIDDEN. */
  require(permission: Permission): DataScope {
    const principal = this.requirePrincipal();
    const scope = principal.grants[permission];
    if (!scope) throw forbidden(`missing permission ${permission}`);
    return scope;
  }

  /** Whether the caller holds the permission, without throwing. */
  scopeOf(permission: Permission): DataScope | undefined {
    return this.principal?.grants[permission];
  }

  /** Whether one merchant's data is within the caller's scope for a permission. */
  coversMerchant(permission: Permission, merchantId: string): boolean {
    const scope = this.scopeOf(permission);
    return !!scope && (scope.kind === 'ALL' || (scope.kind === 'MERCHANTS' && scope.merchantIds.includes(merchantId)));
  }

  /** Whether one order (of a merchant) is within the caller's scope for a permission: consumers reach only theirs. */
  coversOrder(permission: Permission, order: { id: string; merchantId: string }): boolean {
    const scope = this.scopeOf(permission);
    if (!scope) return false;
    if (scope.kind === 'ORDER') return scope.orderId === order.id && scope.merchantId === order.merchantId;
    return this.coversMerchant(permission, order.merchantId);
  }

  /** Requires the permission over one order; outside the scope the order "does not exist". */
  requireOrder(permission: Permission, order: { id: string; merchantId: string }, entity = 'Order', id = order.id): void {
    this.require(permission);
    if (!this.coversOrder(permission, order)) throw notFound(entity, id);
  }

  /** Requires the permission over one merchant; outside the scope the merchant's object "does not exist". */
  requireMerchant(permission: Permission, merchantId: string, entity = 'Merchant', id = merchantId): void {
    this.require(permission);
    if (!this.coversMerchant(permission, merchantId)) throw notFound(entity, id);
  }

  get livemode(): boolean {
    return this.requirePrincipal().livemode;
  }
}

export interface ScopedColumns {
  merchantId: Column;
  livemode: Column;
  /** Only data that carriers reach (shipments) has one. */
  carrierCode?: Column;
  /**
   * The order a row belongs to (`orders.id` for an order table, `order_id` elsewhere). Consumers (ORDER scope)
   * reach only rows whose order column is theirs; a table without one is out of their reach.
   */
  orderId?: Column;
}

/**
 * The SQL condition that keeps a query inside a scope and inside the caller's mode (sandbox or live).
 * It is part of the query itself, so out-of-scope rows are never loaded.
 */
export function scopeCondition(scope: DataScope, livemode: boolean, columns: ScopedColumns): SQL {
  const mode = eq(columns.livemode, livemode);
  switch (scope.kind) {
    case 'ALL':
      return mode;
    case 'MERCHANTS':
      return and(mode, scope.merchantIds.length ? inArray(columns.merchantId, scope.merchantIds) : sql`false`)!;
    case 'CARRIERS':
      if (!columns.carrierCode) return sql`false`;
      return and(mode, scope.carrierCodes.length ? inArray(columns.carrierCode, scope.carrierCodes) : sql`false`)!;
    case 'ORDER':
      if (!columns.orderId) return sql`false`;
      return and(mode, eq(columns.merchantId, scope.merchantId), eq(columns.orderId, scope.orderId))!;
  }
}
