import type { DataScope } from '../auth/principal.ts';

/** What of an event decides who may see it. */
export interface EventReach {
  livemode: boolean;
  merchantId?: string | null;
  carrierCode?: string | null;
  subjectType?: string;
  subjectId?: string;
  payload?: Record<string, unknown>;
}

/**
 * Whether a holder of `events:read` over `scope`, in mode `livemode`, may see the event: the one rule the gateway
 * (matching bus events to subscribers) and the subgraphs (resolving a delivered event) both apply.
 * An ORDER scope (a consumer) sees the events of its one order.
 */
export function eventVisible(scope: DataScope | undefined, livemode: boolean, event: EventReach): boolean {
  if (!scope || event.livemode !== livemode) return false;
  switch (scope.kind) {
    case 'ALL':
      return true;
    case 'MERCHANTS':
      return !!event.merchantId && scope.merchantIds.includes(event.merchantId);
    case 'CARRIERS':
      return !!event.carrierCode && scope.carrierCodes.includes(event.carrierCode);
    case 'ORDER':
      return (
        event.merchantId === scope.merchantId &&
        (event.payload?.order_id === scope.orderId || (event.subjectType === 'Order' && event.subjectId === scope.orderId))
      );
  }
}
