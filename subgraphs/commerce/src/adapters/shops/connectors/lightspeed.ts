import { defineConnector } from '../connector.ts';
import { basicAuth, type HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Lightspeed eCom (C-Series) REST API, e.g. https://api.webshopapp.com/en. Auth: API key and secret as HTTP Basic.
 * Sync: GET /orders.json with updated_at_min/updated_at_max, page/limit (≤250) and GET /orders/count.json for the
 * total; order lines are the sub-resource /orders/{id}/products.json, so a payload is { order, products, currency }.
 * C-Series orders do not carry a currency code: it is the shop currency given with the credentials.
 * Status push: PUT /orders/{id}.json with status / paymentStatus / shipmentStatus.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  currency: string;
}

const UPDATES: Partial<Record<string, Record<string, string>>> = {
  PAID: { paymentStatus: 'paid' },
  OUT_FOR_DELIVERY: { shipmentStatus: 'shipped' },
  DELIVERED: { status: 'completed_shipped' },
  REFUNDED: { paymentStatus: 'refunded' },
  CANCELLED: { status: 'cancelled' },
};

export const lightspeed = defineConnector<Api>({
  platform: 'lightspeed',
  kind: 'shop',
  displayName: 'Lightspeed eCom',
  credentialFields: [
    { key: 'apiKey', label: 'API key', secret: false, required: true, pattern: /^[a-f0-9]{32}$/, hint: '32 hex characters (Settings → Developers → API keys)' },
    { key: 'apiSecret', label: 'API secret', secret: true, required: true, pattern: /^[a-f0-9]{32}$/, hint: '32 hex characters' },
    { key: 'currency', label: 'Shop currency', secret: false, required: true, pattern: /^[A-Z]{3}$/, hint: 'ISO 4217 code of the shop currency, e.g. EUR' },
  ],
  statusActions: statusActions({
    PAID: 'paymentStatus paid',
    OUT_FOR_DELIVERY: 'shipmentStatus shipped',
    DELIVERED: 'status completed_shipped',
    REFUNDED: 'paymentStatus refunded',
    CANCELLED: 'status cancelled',
  }),
  conventions: { describe: (res) => (res.body as { error?: { message?: string } } | undefined)?.error?.message },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: baseUrl,
    headers: { authorization: basicAuth(credentials.apiKey!, credentials.apiSecret!) },
    currency: credentials.currency!,
  }),
  async account(api) {
    const shop = reader('lightspeed', await api.http.json({ method: 'GET', url: `${api.base}/shop.json`, headers: api.headers })).obj('shop');
    return { externalAccountId: shop.id('id'), name: shop.str('title'), currency: api.currency };
  },
  sync: {
    maxPageSize: 250,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const filters = { updated_at_min: window.from.toISOString(), updated_at_max: window.until.toISOString() };
      const orders = reader(
        'lightspeed',
        await api.http.json({ method: 'GET', url: `${api.base}/orders.json`, headers: api.headers, query: { ...filters, page: current, limit: pageSize } }),
      ).arr('orders');
      const last = orders.length < pageSize;
      const total =
        current === 1 || last
          ? reader('lightspeed', await api.http.json({ method: 'GET', url: `${api.base}/orders/count.json`, headers: api.headers, query: filters })).int(
              'count',
            )
          : undefined;
      return {
        entries: orders.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('updatedAt', parseIsoInstant), summary: o.value })),
        next: last ? null : current + 1,
        total,
      };
    },
    async load(api, entries) {
      return Promise.all(
        entries.map(async (e) => ({
          order: e.summary,
          products: reader(
            'lightspeed',
            await api.http.json({ method: 'GET', url: `${api.base}/orders/${e.externalId}/products.json`, headers: api.headers }),
          ).raw('orderProducts'),
          currency: api.currency,
        })),
      );
    },
  },
  mapOrder(payload) {
    const r = reader('lightspeed', payload);
    const o = r.obj('order');
    const currency = r.str('currency');
    const street = [o.optStr('addressShippingStreet'), o.optStr('addressShippingNumber'), o.optStr('addressShippingExtension')].filter(Boolean).join(' ');
    return finishOrder('lightspeed', {
      externalId: o.id('id'),
      merchantReference: o.str('number'),
      platformStatus: o.str('status'),
      currency,
      totalAmount: o.money('priceIncl', currency),
      amounts: {
        shipping: o.optMoney('shipmentPriceIncl', currency),
        discount: o.optMoney('discountAmount', currency),
        tax: o.money('priceIncl', currency) - o.money('priceExcl', currency),
        fees: o.optMoney('paymentPriceIncl', currency),
        taxIncluded: true,
      },
      customer: {
        name: fullName(o.optStr('firstname'), o.optStr('lastname')),
        email: o.optStr('email') ?? null,
        phone: o.optStr('phone') ?? o.optStr('mobile'),
      },
      shippingAddress: {
        name: o.optStr('addressShippingName') ?? fullName(o.optStr('firstname'), o.optStr('lastname')),
        line1: street || o.fail('addressShippingStreet', 'is empty'),
        line2: o.optStr('addressShippingStreet2'),
        city: o.str('addressShippingCity'),
        postalCode: o.optStr('addressShippingZipcode') ?? '',
        region: o.optStr('addressShippingRegion'),
        country: o.obj('addressShippingCountry').str('code').toUpperCase(),
      },
      lines: r.arr('products').map((p) => ({
        sku: p.optStr('sku') ?? p.optStr('articleCode') ?? `variant:${p.id('variant')}`,
        name: [p.str('productTitle'), p.optStr('variantTitle')].filter(Boolean).join(' – '),
        quantity: p.positiveInt('quantityOrdered'),
        unitAmount: p.money('priceIncl', currency, { rounding: 'halfUp' }),
      })),
      placedAt: o.date('createdAt', parseIsoInstant).toISOString(),
      updatedAt: o.date('updatedAt', parseIsoInstant).toISOString(),
      paymentMethodHint: paymentHint(o.optStr('paymentId') ?? o.optStr('paymentTitle'), o.optStr('paymentStatus') === 'paid'),
    });
  },
  async push(api, id, status) {
    const update = UPDATES[status]!;
    await api.http.send({
      method: 'PUT',
      url: `${api.base}/orders/${encodeURIComponent(id)}.json`,
      headers: api.headers,
      json: { order: update },
      idempotent: true,
    });
    return pushed(
      Object.entries(update)
        .map(([k, v]) => `${k}:${v}`)
        .join(','),
    );
  },
});
