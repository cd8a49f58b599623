import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS } from '@ipay/platform';
import { startTestSystem, type TestSystem } from '../support.ts';

describe('the gateway when a subgraph is down', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    await system.subgraphs.logistics.httpServer.close();
    system.subgraphs.logistics.httpServer.closeAllConnections();
  });
  afterAll(() => system?.stop());

  it('reports not ready, naming the subgraph', async () => {
    const response = await fetch(new URL('/readyz', system.gatewayUrl));
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; subgraphs: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.subgraphs.logistics).toMatch(/^unreachable/);
    expect(body.subgraphs.commerce).toBe('ready');
  });

  it('still answers the fields of the subgraphs that are up, with an error for the one that is not', async () => {
    const order = SANDBOX_ORDERS.find((o) => o.status === 'DELIVERED')!;
    const { body } = await system.query(`query($id: ID!) { order(id: $id) { merchantReference merchant { name } shipment { status } } }`, { id: order.id });
    expect(body.data.order.merchantReference).toBe(order.reference);
    expect(body.data.order.merchant.name).toBe(SANDBOX_MERCHANTS.find((m) => m.id === order.merchantId)!.name);
    expect(body.data.order.shipment).toBeNull();
    expect(body.errors?.length).toBeGreaterThan(0);
  });
});
