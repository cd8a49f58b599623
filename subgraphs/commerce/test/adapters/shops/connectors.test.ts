import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connector, PlatformCode } from '../../../src/adapters/shops/connector.ts';
import { ConnectorAuthError, ConnectorCredentialsError, ConnectorUnavailableError } from '../../../src/adapters/shops/errors.ts';
import { getConnector } from '../../../src/adapters/shops/registry.ts';
import { startSimulatedShop, type SimulatedShop } from '../../../src/sandbox/shops/simulated-shop.ts';

let shop: SimulatedShop;
beforeAll(async () => {
  shop = await startSimulatedShop();
});
afterAll(async () => {
  await shop.close();
});

const T0 = Date.UTC(2025, 4, 1, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000);
const fast = { timeoutMs: 400, retries: 0 };

interface Case {
  platform: PlatformCode;
  badCredentials: Record<string, string>;
  /** A status whose push the simulator records, and the action it records. */
  push: { status: 'OUT_FOR_DELIVERY' | 'CANCELLED' | 'PAID' | 'DELIVERED'; recorded: string[] };
  /** How the platform reports a pay-on-delivery order (Vinted buyers always prepay through Vinted). */
  codKind?: 'cash_on_delivery' | 'prepaid' | 'unpaid';
  /** The platform's order total leaves out shipping (bol.com: the customer pays the item prices). */
  totalIsItems?: boolean;
  /** The token endpoint lives on another host (bol.com login). */
  separateAuthHost?: boolean;
}

const cases: Case[] = [
  {
    platform: 'shopify',
    badCredentials: { accessToken: 'shpat_wrongwrongwrongwrong' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['fulfillment.create', 'fulfillment_event.out_for_delivery'] },
  },
  {
    platform: 'woocommerce',
    badCredentials: { consumerKey: `ck_${'0'.repeat(40)}`, consumerSecret: `cs_${'0'.repeat(40)}` },
    push: { status: 'DELIVERED', recorded: ['status:completed'] },
  },
  {
    platform: 'lazada',
    badCredentials: { appKey: '100123', appSecret: 'WrongSecretWrongSecret00', accessToken: 'SimLazadaAccessToken000001' },
    push: { status: 'DELIVERED', recorded: ['sof_delivered'] },
  },
  {
    platform: 'bigcommerce',
    badCredentials: { storeHash: 'sim4bc7', accessToken: 'wrongtoken0123456789wrong' },
    push: { status: 'DELIVERED', recorded: ['status_id:10'] },
  },
  {
    platform: 'lightspeed',
    badCredentials: { apiKey: '0'.repeat(32), apiSecret: '1'.repeat(32), currency: 'EUR' },
    push: { status: 'DELIVERED', recorded: ['status:completed_shipped'] },
  },
  {
    platform: 'shopware',
    badCredentials: { clientId: 'SWIASIMSHOPWARE0123456789AB', clientSecret: 'WrongSecret0123456789abcdefWRONG' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['order_delivery:ship'] },
  },
  {
    platform: 'bolcom',
    badCredentials: { clientId: '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b', clientSecret: 'WrongBolSecret_0123456789' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['shipment'] },
    codKind: 'prepaid',
    totalIsItems: true,
    separateAuthHost: true,
  },
  {
    platform: 'shopee',
    badCredentials: { partnerId: '2001234', partnerKey: 'WrongShopeePartnerKey0123456789abcdef', shopId: '512345', accessToken: 'SimShopeeAccessToken0001' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['ship_order'] },
  },
  {
    platform: 'odoo',
    badCredentials: { database: 'sim-odoo', login: 'admin@sim.example', apiKey: 'WrongOdooApiKey0123456789' },
    push: { status: 'DELIVERED', recorded: ['message_post'] },
    codKind: 'unpaid',
  },
  {
    platform: 'aliexpress',
    badCredentials: { appKey: '503123', appSecret: 'WrongAliExpressSecret0', accessToken: 'SimAliExpressAccessToken_0001' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['order.fulfill'] },
  },
  {
    platform: 'prestashop',
    badCredentials: { webserviceKey: 'WRONGPRESTASHOPKEY0123456789ABCD' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['order_state:4'] },
  },
  {
    platform: 'vinted',
    badCredentials: { accessKey: 'simVintedAccess0001', signingKey: 'wrongSigningKey0123456789abcdefgh' },
    push: { status: 'OUT_FOR_DELIVERY', recorded: ['shipment'] },
    codKind: 'prepaid',
  },
];

describe.each(cases)(
  '$platform against the simulated platform',
  ({ platform, badCredentials, push, codKind = 'cash_on_delivery', totalIsItems = false, separateAuthHost = false }) => {
    let connector: Connector;
    const auth = () => (separateAuthHost ? shop.authBaseUrl(platform) : undefined);
    const target = () => ({ baseUrl: shop.baseUrl(platform), authBaseUrl: auth(), credentials: shop.credentials(platform), http: fast });
    beforeAll(() => {
      connector = getConnector(platform);
    });

    it('connects with good credentials and is refused with bad ones', async () => {
      const account = await connector.connect(shop.credentials(platform), shop.baseUrl(platform), { authBaseUrl: auth(), http: fast });
      expect(account.platform).toBe(platform);
      expect(account.externalAccountId).not.toBe('');
      await expect(connector.connect(badCredentials, shop.baseUrl(platform), { authBaseUrl: auth(), http: fast })).rejects.toBeInstanceOf(ConnectorAuthError);
      await expect(connector.connect({}, shop.baseUrl(platform))).rejects.toBeInstanceOf(ConnectorCredentialsError);
    });

    it('fetches across pages with ties, then only what changed, and maps every order', async () => {
      const ids: string[] = [];
      // Seven orders, five of them in the same second, across three pages of three.
      for (let i = 0; i < 7; i++) ids.push(shop.addOrder(platform, { updatedAt: at(i < 5 ? 10 : 11 + i) }));
      const first = await connector.fetchOrders(target(), { initialSince: at(0), now: at(100), settleMs: 0, pageSize: 3 });
      expect(first.orders.map((o) => o.externalId).sort()).toEqual([...ids].sort());
      expect(new Set(first.orders.map((o) => o.externalId)).size).toBe(ids.length);
      for (const order of first.orders) {
        const mapped = connector.mapOrder(order.payload);
        expect(mapped.externalId).toBe(order.externalId);
        const seed = shop.order(platform, order.externalId)!.seed;
        expect(mapped.totalAmount).toBe(totalIsItems ? seed.itemsMinor : seed.totalMinor);
        expect(mapped.amounts.difference).toBe(0);
        // Odoo's sale.order carries no payment method at all.
        expect(mapped.paymentMethodHint?.kind ?? 'unpaid').toBe(codKind);
      }
      const listCalls = shop.requests(platform).length;

      const unchanged = await connector.fetchOrders(target(), { cursor: first.nextCursor, now: at(200), settleMs: 0, pageSize: 3 });
      expect(unchanged.orders).toEqual([]);

      shop.updateOrder(platform, ids[2]!, at(300));
      shop.updateOrder(platform, ids[4]!, at(300));
      const extra = shop.addOrder(platform, { updatedAt: at(300) });
      const changed = await connector.fetchOrders(target(), { cursor: unchanged.nextCursor, now: at(400), settleMs: 0, pageSize: 3 });
      expect(changed.orders.map((o) => o.externalId).sort()).toEqual([ids[2]!, ids[4]!, extra].sort());
      expect(shop.requests(platform).length).toBeGreaterThan(listCalls);
    });

    it('pushes a status the way the platform records it', async () => {
      const id = shop.addOrder(platform, { updatedAt: at(500) });
      const result = await connector.pushStatus(target(), id, push.status, { trackingNumber: 'IPAY123', carrier: 'IPAY' });
      expect(result.outcome).toBe('pushed');
      expect(
        shop
          .pushes(platform)
          .filter((p) => p.externalId === id)
          .map((p) => p.action),
      ).toEqual(push.recorded);
      const none = Object.entries(connector.statusActions).find(([, action]) => action === null);
      if (none) expect((await connector.pushStatus(target(), id, none[0] as 'CREATED')).outcome).toBe('skipped');
    });

    it('maps 500, 429 with Retry-After and a hung request to UNAVAILABLE, and retries reads', async () => {
      shop.failNext(1, { status: 500 }, platform);
      await expect(connector.connect(shop.credentials(platform), shop.baseUrl(platform), { authBaseUrl: auth(), http: fast })).rejects.toMatchObject({
        reason: 'server_error',
        status: 500,
      });

      shop.failNext(1, { status: 429, retryAfterSeconds: 7 }, platform);
      const limited = await connector.connect(shop.credentials(platform), shop.baseUrl(platform), { authBaseUrl: auth(), http: fast }).catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(ConnectorUnavailableError);
      expect(limited).toMatchObject({ reason: 'rate_limited', retryAfterMs: 7000 });

      shop.failNext(1, { hang: true }, platform);
      await expect(
        connector.connect(shop.credentials(platform), shop.baseUrl(platform), { authBaseUrl: auth(), http: { timeoutMs: 150, retries: 0 } }),
      ).rejects.toMatchObject({ reason: 'timeout' });

      shop.failNext(2, { status: 503 }, platform);
      const account = await connector.connect(shop.credentials(platform), shop.baseUrl(platform), {
        authBaseUrl: auth(),
        http: { timeoutMs: 400, retries: 2, backoffMs: 5 },
      });
      expect(account.platform).toBe(platform);
    });
  },
);
