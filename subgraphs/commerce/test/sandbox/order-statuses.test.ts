import { describe, expect, it } from 'vitest';
import { SANDBOX_ORDER_STATUSES, SANDBOX_ORDERS, type SandboxOrderStatus } from '@ipay/platform';
import { ORDER_STATUSES, PAY_ON_ARRIVAL_STATUSES, type OrderStatus } from '../../src/domain/order-status.ts';

// Compile-time half of the check: a sandbox status that commerce does not know fails the typecheck here.
const asCommerceStatus = (status: SandboxOrderStatus): OrderStatus => status;

describe('sandbox order statuses (platform fixtures) against commerce-owned order statuses', () => {
  it('seeds only statuses commerce owns, one order in every pay-on-arrival status', () => {
    for (const status of SANDBOX_ORDER_STATUSES) expect(ORDER_STATUSES).toContain(asCommerceStatus(status));
    expect([...SANDBOX_ORDER_STATUSES].sort()).toEqual([...PAY_ON_ARRIVAL_STATUSES].sort());
    expect(new Set(SANDBOX_ORDERS.map((o) => o.status))).toEqual(new Set(PAY_ON_ARRIVAL_STATUSES));
  });
});
