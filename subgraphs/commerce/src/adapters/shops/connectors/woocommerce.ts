import { defineConnector } from '../connector.ts';
import { basicAuth, type HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { parseNaiveUtc } from '../values.ts';
import { paymentHint, pushed, statusActions, unitFromLineTotal } from './common.ts';

/**
 * WooCommerce REST API v3. Auth: consumer key/secret as HTTP Basic (over HTTPS). Sync: GET /orders with
 * modified_after/modified_before (GMT), orderby=modified&order=asc, page/per_page; X-WP-Total and X-WP-TotalPages
 * give the totals used for the consistency check. Status push: PUT /orders/{id} {status}; statuses WooCommerce core
 * lacks are recorded as private order notes.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  host: string;
}

const STATUS: Partial<Record<string, string>> = {
  AWAITING_PAYMENT: 'on-hold',
  PAID: 'processing',
  DELIVERED: 'completed',
  REFUNDED: 'refunded',
  CANCELLED: 'cancelled',
};

export const woocommerce = defineConnector<Api>({
  platform: 'woocommerce',
  kind: 'shop',
  displayName: 'WooCommerce',
  credentialFields: [
    {
      key: 'consumerKey',
      label: 'Consumer key',
      secret: false,
      required: true,
      pattern: /^ck_[a-f0-9]{40}$/,
      hint: 'ck_ followed by 40 hex characters (WooCommerce → Settings → Advanced → REST API)',
    },
    {
      key: 'consumerSecret',
      label: 'Consumer secret',
      secret: true,
      required: true,
      pattern: /^cs_[a-f0-9]{40}$/,
      hint: 'cs_ followed by 40 hex characters, read/write permission',
    },
  ],
  statusActions: statusActions({
    AWAITING_PAYMENT: 'status on-hold',
    PAID: 'status processing',
    OUT_FOR_DELIVERY: 'order note',
    RELEASED: 'order note',
    DELIVERED: 'status completed',
    RETURNED: 'order note',
    REFUNDED: 'status refunded',
    CANCELLED: 'status cancelled',
  }),
  conventions: { describe: (res) => (res.body as { message?: string } | undefined)?.message },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: `${baseUrl}/wp-json/wc/v3`,
    headers: { authorization: basicAuth(credentials.consumerKey!, credentials.consumerSecret!) },
    host: new URL(baseUrl).host,
  }),
  async account(api) {
    const settings = reader('woocommerce', await api.http.json({ method: 'GET', url: `${api.base}/settings/general`, headers: api.headers })).items();
    const value = (id: string) => settings.find((s) => s.optStr('id') === id)?.optStr('value');
    return { externalAccountId: api.host, name: api.host, currency: value('woocommerce_currency') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const res = await api.http.send({
        method: 'GET',
        url: `${api.base}/orders`,
        headers: api.headers,
        query: {
          modified_after: window.from.toISOString().slice(0, 19),
          modified_before: window.until.toISOString().slice(0, 19),
          dates_are_gmt: true,
          orderby: 'modified',
          order: 'asc',
          per_page: pageSize,
          page: current,
        },
      });
      const orders = reader('woocommerce', res.body).items();
      const totalPages = Number(res.headers.get('x-wp-totalpages') ?? '0');
      const total = res.headers.get('x-wp-total');
      return {
        entries: orders.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('date_modified_gmt', parseNaiveUtc), payload: o.value })),
        next: current < totalPages ? current + 1 : null,
        total: total === null ? undefined : Number(total),
      };
    },
  },
  mapOrder(payload) {
    const r = reader('woocommerce', payload);
    const currency = r.str('currency');
    const billing = r.obj('billing');
    const shipping = r.obj('shipping');
    const ship = shipping.has('address_1') ? shipping : billing;
    return finishOrder('woocommerce', {
      externalId: r.id('id'),
      merchantReference: r.str('number'),
      platformStatus: r.str('status'),
      currency,
      totalAmount: r.money('total', currency),
      amounts: {
        shipping: r.optMoney('shipping_total', currency),
        discount: r.optMoney('discount_total', currency),
        tax: r.optMoney('total_tax', currency),
        fees: r.optArr('fee_lines').reduce((sum, f) => sum + f.money('total', currency, { allowNegative: true }), 0),
        // Line subtotals are always stored excluding tax, whatever prices_include_tax says about the shop's display.
        taxIncluded: false,
      },
      customer: {
        name: fullName(billing.optStr('first_name'), billing.optStr('last_name')) || fullName(shipping.optStr('first_name'), shipping.optStr('last_name')),
        email: billing.optStr('email') ?? null,
        phone: billing.optStr('phone') ?? shipping.optStr('phone'),
      },
      shippingAddress: {
        name: fullName(ship.optStr('first_name'), ship.optStr('last_name')) || (ship.optStr('company') ?? ''),
        line1: ship.str('address_1'),
        line2: ship.optStr('address_2'),
        city: ship.str('city'),
        postalCode: ship.optStr('postcode') ?? '',
        region: ship.optStr('state'),
        country: ship.str('country'),
      },
      lines: r.arr('line_items').map((li) => {
        const quantity = li.positiveInt('quantity');
        return {
          sku: li.optStr('sku') ?? `product:${li.id('product_id')}${li.has('variation_id') && li.raw('variation_id') !== 0 ? `:${li.id('variation_id')}` : ''}`,
          name: li.str('name'),
          quantity,
          // `price` is a float WooCommerce derives by division; the decimal line subtotal is the exact source.
          unitAmount: li.convert('subtotal', () => unitFromLineTotal(li.money('subtotal', currency, { rounding: 'halfUp' }), quantity)),
        };
      }),
      placedAt: r.date('date_created_gmt', parseNaiveUtc).toISOString(),
      updatedAt: r.date('date_modified_gmt', parseNaiveUtc).toISOString(),
      paymentMethodHint: paymentHint(r.optStr('payment_method') ?? r.optStr('payment_method_title'), r.has('date_paid')),
    });
  },
  async push(api, id, status, details) {
    const url = `${api.base}/orders/${encodeURIComponent(id)}`;
    const target = STATUS[status];
    if (target) {
      await api.http.send({ method: 'PUT', url, headers: api.headers, json: { status: target }, idempotent: true });
      return pushed(`status:${target}`);
    }
    const note = [
      `IPAY: ${status.toLowerCase().replaceAll('_', ' ')}`,
      details.trackingNumber && `tracking ${details.carrier ?? ''} ${details.trackingNumber}`.replace('  ', ' '),
      details.note,
    ]
      .filter(Boolean)
      .join(' — ');
    await api.http.send({ method: 'POST', url: `${url}/notes`, headers: api.headers, json: { note, customer_note: false } });
    return pushed('order_note');
  },
});
