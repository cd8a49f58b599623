import { defineConnector } from '../connector.ts';
import { basicAuth, type HttpClient } from '../http.ts';
import { finishOrder, fullName, reader, type Reader } from '../payload.ts';
import { assertTimeZone, formatNaiveInZone, parseNaiveInZone } from '../values.ts';
import { nextTieKeyset, paymentHint, pushed, statusActions, type TieKeyset } from './common.ts';

/**
 * PrestaShop Webservice (1.7/8), JSON output. Auth: webservice key as the HTTP Basic user, empty password.
 * Dates are wall-clock times of the shop's PS_TIMEZONE. Sync: GET /api/orders with filter[date_upd]=[from,until]
 * (date=1), sort=[date_upd_ASC,id_ASC] and limit=offset,count; PrestaShop reports no totals, so paging is keyset on
 * date_upd (see nextTieKeyset). An order payload is the bundle the webservice needs several calls for:
 * { order, customer, address (delivery), currency, country, timeZone }.
 * Status push: POST /api/order_histories with PrestaShop's default order-state ids.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  host: string;
  timeZone?: string;
}

/** PrestaShop's stock order states (a shop can rename them but the ids stay). */
const STATE_IDS: Partial<Record<string, number>> = { AWAITING_PAYMENT: 13, PAID: 2, OUT_FOR_DELIVERY: 4, DELIVERED: 5, CANCELLED: 6, REFUNDED: 7 };

const json = { output_format: 'JSON' };

async function configuration(api: Api, names: string[]): Promise<Map<string, string | undefined>> {
  const body = await api.http.json({
    method: 'GET',
    url: `${api.base}/configurations`,
    headers: api.headers,
    query: { ...json, display: '[name,value]', 'filter[name]': `[${names.join('|')}]` },
  });
  return new Map(
    reader('prestashop', body)
      .arr('configurations')
      .map((c) => [c.str('name'), c.optStr('value')]),
  );
}

async function timeZoneOf(api: Api): Promise<string> {
  if (!api.timeZone) {
    const tz = (await configuration(api, ['PS_TIMEZONE'])).get('PS_TIMEZONE');
    api.timeZone = reader('prestashop', { PS_TIMEZONE: tz }).convert('PS_TIMEZONE', () => assertTimeZone(tz ?? ''));
  }
  return api.timeZone;
}

export const prestashop = defineConnector<Api>({
  platform: 'prestashop',
  kind: 'shop',
  displayName: 'PrestaShop',
  credentialFields: [
    {
      key: 'webserviceKey',
      label: 'Webservice key',
      secret: true,
      required: true,
      pattern: /^[A-Z0-9]{32}$/,
      hint: '32 upper-case letters/digits (Advanced Parameters → Webservice)',
    },
  ],
  statusActions: statusActions({
    AWAITING_PAYMENT: 'order_history state 13 (awaiting cash on delivery validation)',
    PAID: 'order_history state 2 (payment accepted)',
    OUT_FOR_DELIVERY: 'order_history state 4 (shipped)',
    DELIVERED: 'order_history state 5 (delivered)',
    CANCELLED: 'order_history state 6 (canceled)',
    REFUNDED: 'order_history state 7 (refunded)',
  }),
  conventions: {
    describe: (res) => {
      const errors = (res.body as { errors?: { message?: string }[] } | undefined)?.errors;
      return Array.isArray(errors) ? errors.map((e) => e.message).join('; ') : undefined;
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: `${baseUrl}/api`,
    headers: { authorization: basicAuth(credentials.webserviceKey!, '') },
    host: new URL(baseUrl).host,
  }),
  async account(api) {
    const config = await configuration(api, ['PS_SHOP_NAME', 'PS_TIMEZONE']);
    return { externalAccountId: api.host, name: config.get('PS_SHOP_NAME') ?? api.host };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, state: TieKeyset | null, pageSize) {
      const tz = await timeZoneOf(api);
      const from = state?.from ?? window.from;
      const body = await api.http.json({
        method: 'GET',
        url: `${api.base}/orders`,
        headers: api.headers,
        query: {
          ...json,
          display: 'full',
          date: 1,
          'filter[date_upd]': `[${formatNaiveInZone(from, tz)},${formatNaiveInZone(window.until, tz)}]`,
          sort: '[date_upd_ASC,id_ASC]',
          limit: `${state?.skip ?? 0},${pageSize}`,
        },
      });
      // An empty result is serialised as [] instead of {"orders": []}.
      const orders = Array.isArray(body) ? [] : reader('prestashop', body).arr('orders');
      const entries = orders.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('date_upd', (v) => parseNaiveInZone(v, tz)), summary: o.value }));
      return {
        entries,
        next: nextTieKeyset(
          state,
          window.from,
          entries.map((e) => e.updatedAt),
          pageSize,
        ),
      };
    },
    async load(api, entries) {
      const tz = await timeZoneOf(api);
      const cache = new Map<string, unknown>();
      const get = async (resource: string, singular: string, id: string) => {
        const key = `${resource}/${id}`;
        if (!cache.has(key)) {
          const body = await api.http.json({ method: 'GET', url: `${api.base}/${resource}/${encodeURIComponent(id)}`, headers: api.headers, query: json });
          cache.set(key, reader('prestashop', body).obj(singular).value);
        }
        return cache.get(key);
      };
      const out: unknown[] = [];
      for (const entry of entries) {
        const order = reader('prestashop', entry.summary);
        const address = await get('addresses', 'address', order.id('id_address_delivery'));
        out.push({
          order: order.value,
          customer: await get('customers', 'customer', order.id('id_customer')),
          address,
          currency: await get('currencies', 'currency', order.id('id_currency')),
          country: await get('countries', 'country', reader('prestashop', address).id('id_country')),
          timeZone: tz,
        });
      }
      return out;
    },
  },
  mapOrder(payload) {
    const r = reader('prestashop', payload);
    const tz = r.convert('timeZone', () => assertTimeZone(r.str('timeZone')));
    const o = r.obj('order');
    const currency = r.obj('currency').str('iso_code');
    const customer = r.obj('customer');
    const address = r.obj('address');
    const totalIncl = o.money('total_paid_tax_incl', currency);
    const totalExcl = o.money('total_paid_tax_excl', currency);
    const rows = o.obj('associations').arr('order_rows');
    return finishOrder('prestashop', {
      externalId: o.id('id'),
      merchantReference: o.str('reference'),
      platformStatus: `state:${o.id('current_state')}`,
      currency,
      totalAmount: o.money('total_paid', currency),
      amounts: {
        shipping: o.optMoney('total_shipping_tax_incl', currency),
        discount: o.optMoney('total_discounts_tax_incl', currency),
        tax: Math.max(0, totalIncl - totalExcl),
        fees: o.optMoney('total_wrapping_tax_incl', currency),
        taxIncluded: true,
      },
      customer: {
        name: fullName(customer.optStr('firstname'), customer.optStr('lastname')),
        email: customer.optStr('email') ?? null,
        phone: address.optStr('phone_mobile') ?? address.optStr('phone'),
      },
      shippingAddress: {
        name: fullName(address.optStr('firstname'), address.optStr('lastname')),
        line1: address.str('address1'),
        line2: address.optStr('address2'),
        city: address.str('city'),
        postalCode: address.optStr('postcode') ?? '',
        country: r.obj('country').str('iso_code'),
      },
      lines: rows.map((row: Reader) => ({
        sku: row.optStr('product_reference') ?? `product:${row.id('product_id')}:${row.id('product_attribute_id')}`,
        name: row.str('product_name'),
        quantity: row.positiveInt('product_quantity'),
        // Stored with 6 decimals and computed from the tax-excluded price, so it may be 24.999999.
        unitAmount: row.money('unit_price_tax_incl', currency, { rounding: 'halfUp' }),
      })),
      placedAt: o.date('date_add', (v) => parseNaiveInZone(v, tz)).toISOString(),
      updatedAt: o.date('date_upd', (v) => parseNaiveInZone(v, tz)).toISOString(),
      paymentMethodHint: paymentHint(o.optStr('module') ?? o.optStr('payment'), o.optStr('valid') === '1' && o.optStr('module') !== 'ps_cashondelivery'),
    });
  },
  async push(api, id, status) {
    const state = STATE_IDS[status]!;
    const xml = `<?xml version="1.0" encoding="UTF-8"?><prestashop><order_history><id_order>${Number(id)}</id_order><id_order_state>${state}</id_order_state></order_history></prestashop>`;
    await api.http.send({
      method: 'POST',
      url: `${api.base}/order_histories`,
      headers: { ...api.headers, 'content-type': 'application/xml' },
      query: json,
      body: xml,
    });
    return pushed(`order_state:${state}`);
  },
});
