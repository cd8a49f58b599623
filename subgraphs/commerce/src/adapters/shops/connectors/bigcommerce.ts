import { defineConnector } from '../connector.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { formatRfc2822, parseRfc2822 } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * BigCommerce Orders v2. Auth: X-Auth-Token of a store API account; the store hash is part of the path. Sync: GET
 * /v2/orders with min/max_date_modified, sort=date_modified:asc, page/limit (204 when empty); GET /v2/orders/count with
 * the same filters supplies the total. Products and shipping addresses are sub-resources, so an order payload is
 * { order, products, shippingAddresses }. Status push: PUT /v2/orders/{id} {status_id}.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
}

const STATUS_IDS: Partial<Record<string, number>> = { AWAITING_PAYMENT: 7, PAID: 11, OUT_FOR_DELIVERY: 2, DELIVERED: 10, REFUNDED: 4, CANCELLED: 5 };

export const bigcommerce = defineConnector<Api>({
  platform: 'bigcommerce',
  kind: 'shop',
  displayName: 'BigCommerce',
  credentialFields: [
    {
      key: 'storeHash',
      label: 'Store hash',
      secret: false,
      required: true,
      pattern: /^[a-z0-9]{5,16}$/,
      hint: 'the code in https://api.bigcommerce.com/stores/{store_hash}/',
    },
    {
      key: 'accessToken',
      label: 'API account access token',
      secret: true,
      required: true,
      pattern: /^[a-z0-9]{20,64}$/,
      hint: 'access token of a store-level API account with Orders modify scope',
    },
  ],
  statusActions: statusActions({
    AWAITING_PAYMENT: 'status_id 7 (Awaiting Payment)',
    PAID: 'status_id 11 (Awaiting Fulfillment)',
    OUT_FOR_DELIVERY: 'status_id 2 (Shipped)',
    DELIVERED: 'status_id 10 (Completed)',
    REFUNDED: 'status_id 4 (Refunded)',
    CANCELLED: 'status_id 5 (Cancelled)',
  }),
  conventions: {
    describe: (res) => {
      const body = res.body as { title?: string } | { message?: string }[] | undefined;
      return Array.isArray(body) ? body.map((e) => e.message).join('; ') : body?.title;
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: `${baseUrl}/stores/${credentials.storeHash}/v2`,
    headers: { 'x-auth-token': credentials.accessToken! },
  }),
  async account(api) {
    const store = reader('bigcommerce', await api.http.json({ method: 'GET', url: `${api.base}/store`, headers: api.headers }));
    return { externalAccountId: store.id('id'), name: store.str('name'), currency: store.optStr('currency') };
  },
  sync: {
    maxPageSize: 250,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const filters = { min_date_modified: formatRfc2822(window.from), max_date_modified: formatRfc2822(window.until) };
      const res = await api.http.send({
        method: 'GET',
        url: `${api.base}/orders`,
        headers: api.headers,
        query: { ...filters, sort: 'date_modified:asc', limit: pageSize, page: current },
      });
      const orders = res.status === 204 || res.body === undefined ? [] : reader('bigcommerce', res.body).items();
      const last = orders.length < pageSize;
      // Count at the first and the last page: a change in between means the pages shifted.
      const total =
        current === 1 || last
          ? reader('bigcommerce', await api.http.json({ method: 'GET', url: `${api.base}/orders/count`, headers: api.headers, query: filters })).int('count')
          : undefined;
      return {
        entries: orders.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('date_modified', parseRfc2822), summary: o.value })),
        next: last ? null : current + 1,
        total,
      };
    },
    async load(api, entries) {
      return Promise.all(
        entries.map(async (e) => ({
          order: e.summary,
          products: await api.http.json({ method: 'GET', url: `${api.base}/orders/${e.externalId}/products`, headers: api.headers }),
          shippingAddresses: await api.http.json({ method: 'GET', url: `${api.base}/orders/${e.externalId}/shipping_addresses`, headers: api.headers }),
        })),
      );
    },
  },
  mapOrder(payload) {
    const r = reader('bigcommerce', payload);
    const o = r.obj('order');
    const currency = o.str('currency_code');
    const billing = o.obj('billing_address');
    const address = r.arr('shippingAddresses')[0] ?? r.fail('shippingAddresses', 'order has no shipping address');
    return finishOrder('bigcommerce', {
      externalId: o.id('id'),
      merchantReference: o.id('id'),
      platformStatus: o.str('status'),
      currency,
      totalAmount: o.money('total_inc_tax', currency),
      amounts: {
        shipping: o.optMoney('shipping_cost_inc_tax', currency),
        discount: o.optMoney('discount_amount', currency) + o.optMoney('coupon_discount', currency),
        tax: o.optMoney('total_tax', currency),
        fees: o.optMoney('handling_cost_inc_tax', currency) + o.optMoney('wrapping_cost_inc_tax', currency),
        taxIncluded: true,
      },
      customer: {
        name: fullName(billing.optStr('first_name'), billing.optStr('last_name')),
        email: billing.optStr('email') ?? null,
        phone: billing.optStr('phone'),
      },
      shippingAddress: {
        name: fullName(address.optStr('first_name'), address.optStr('last_name')),
        line1: address.str('street_1'),
        line2: address.optStr('street_2'),
        city: address.str('city'),
        postalCode: address.optStr('zip') ?? '',
        region: address.optStr('state'),
        country: address.str('country_iso2'),
      },
      lines: r.arr('products').map((p) => ({
        sku: p.optStr('sku') ?? `product:${p.id('product_id')}`,
        name: p.str('name'),
        quantity: p.positiveInt('quantity'),
        // v2 money strings carry four decimals ("25.0000").
        unitAmount: p.money('price_inc_tax', currency, { rounding: 'halfUp' }),
      })),
      placedAt: o.date('date_created', parseRfc2822).toISOString(),
      updatedAt: o.date('date_modified', parseRfc2822).toISOString(),
      paymentMethodHint: paymentHint(o.optStr('payment_method'), o.optStr('payment_status') === 'captured'),
    });
  },
  async push(api, id, status) {
    const statusId = STATUS_IDS[status]!;
    await api.http.send({
      method: 'PUT',
      url: `${api.base}/orders/${encodeURIComponent(id)}`,
      headers: api.headers,
      json: { status_id: statusId },
      idempotent: true,
    });
    return pushed(`status_id:${statusId}`);
  },
});
