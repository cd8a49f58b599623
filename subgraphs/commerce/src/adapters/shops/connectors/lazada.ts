import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { iopSign } from '../signing.ts';
import { countryCodeFromName, parseOffsetNaive } from '../values.ts';
import { chunk, groupUnits, paymentHint, pushed, statusActions } from './common.ts';

/**
 * Lazada Open Platform (REST, https://api.lazada.<venture>/rest). Every call carries app_key, timestamp (ms),
 * sign_method=sha256 and access_token, signed as HMAC-SHA256(app secret, api path + sorted key/values), upper-case
 * hex. Errors come back in HTTP 200 with a non-"0" code. Sync: GET /orders/get with update_after/update_before,
 * sort_by=updated_at ASC, offset/limit (≤100) and countTotal; items via /orders/items/get (one row per unit).
 * Status push for seller-own-fleet delivery: ready-to-ship, delivered, failed delivery of the order's packages.
 */
interface Api {
  http: HttpClient;
  base: string;
  appKey: string;
  secret: string;
  token: string;
}

const AUTH_CODES = /IllegalAccessToken|IncompleteSignature|InvalidAppKey|AppWhiteIpLimit|InsufficientPermission|IllegalRefreshToken|AppCallLimit_NoPermission/;
const BUSY_CODES = /ApiCallLimit|ServiceTimeout|ServiceUnavailable|SellerCallLimit|AppCallLimit/;

async function call(api: Api, method: 'GET' | 'POST', path: string, params: Record<string, string | number>): Promise<unknown> {
  const all: Record<string, string | number> = { app_key: api.appKey, timestamp: Date.now(), sign_method: 'sha256', access_token: api.token, ...params };
  const signed = { ...all, sign: iopSign(api.secret, path, all) };
  const strings = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k, String(v)]));
  const url = `${api.base}${path}`;
  const body = method === 'GET' ? await api.http.json({ method, url, query: strings }) : await api.http.json({ method, url, form: strings });
  return reader('lazada', body).raw('data');
}

export const lazada = defineConnector<Api>({
  platform: 'lazada',
  kind: 'marketplace',
  displayName: 'Lazada',
  credentialFields: [
    { key: 'appKey', label: 'App key', secret: false, required: true, pattern: /^\d{6,}$/, hint: 'numeric app key of your Lazada Open Platform app' },
    { key: 'appSecret', label: 'App secret', secret: true, required: true, pattern: /^[A-Za-z0-9]{20,}$/, hint: 'the app secret' },
    {
      key: 'accessToken',
      label: 'Seller access token',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9]{20,}$/,
      hint: 'access token from the seller authorization (valid 30 days; refresh before it expires)',
    },
  ],
  statusActions: statusActions({
    OUT_FOR_DELIVERY: 'POST /order/package/rts',
    DELIVERED: 'POST /order/package/sof/delivered',
    RETURNED: 'POST /order/package/sof/failed_delivery',
  }),
  conventions: {
    interpret(res) {
      const body = res.body as { code?: string; message?: string } | undefined;
      if (!body || body.code === undefined || body.code === '0') return undefined;
      const message = `${body.code}: ${body.message ?? ''}`;
      if (AUTH_CODES.test(body.code)) return new ConnectorAuthError('lazada', message, res.status);
      if (BUSY_CODES.test(body.code)) return new ConnectorUnavailableError('lazada', message, 'rate_limited', res.status);
      return new ConnectorRequestError('lazada', message, res.status);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: `${baseUrl}/rest`,
    appKey: credentials.appKey!,
    secret: credentials.appSecret!,
    token: credentials.accessToken!,
  }),
  async account(api) {
    const seller = reader('lazada', await call(api, 'GET', '/seller/get', {}));
    return { externalAccountId: seller.id('seller_id'), name: seller.str('name') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, offset: number | null, pageSize) {
      const data = reader(
        'lazada',
        await call(api, 'GET', '/orders/get', {
          update_after: window.from.toISOString().replace(/\.\d{3}Z$/, '+00:00'),
          update_before: window.until.toISOString().replace(/\.\d{3}Z$/, '+00:00'),
          sort_by: 'updated_at',
          sort_direction: 'ASC',
          offset: offset ?? 0,
          limit: pageSize,
        }),
      );
      const orders = data.arr('orders');
      const total = data.int('countTotal');
      const nextOffset = (offset ?? 0) + orders.length;
      return {
        entries: orders.map((o) => ({ externalId: o.id('order_id'), updatedAt: o.date('updated_at', parseOffsetNaive), summary: o.value })),
        next: orders.length > 0 && nextOffset < total ? nextOffset : null,
        total,
      };
    },
    async load(api, entries) {
      const items = new Map<string, unknown>();
      for (const group of chunk(entries, 50)) {
        const data = reader('lazada', await call(api, 'GET', '/orders/items/get', { order_ids: `[${group.map((e) => e.externalId).join(',')}]` })).items();
        for (const order of data) items.set(order.id('order_id'), order.raw('order_items'));
      }
      return entries.map((e) => ({ order: e.summary, items: items.get(e.externalId) ?? [] }));
    },
  },
  mapOrder(payload) {
    const r = reader('lazada', payload);
    const o = r.obj('order');
    const items = r.arr('items').filter((i) => !['canceled', 'returned'].includes(i.optStr('status') ?? ''));
    const currency = (items[0] ?? r.fail('items', 'order has no active items')).str('currency');
    const address = o.obj('address_shipping');
    const countryName = address.str('country');
    const payment = o.optStr('payment_method');
    return finishOrder('lazada', {
      externalId: o.id('order_id'),
      merchantReference: o.id('order_number'),
      platformStatus: o
        .arr('statuses')
        .map((s) => String(s.value))
        .join(','),
      currency,
      // The customer pays item prices plus shipping, less vouchers.
      totalAmount: o.money('price', currency) + o.optMoney('shipping_fee', currency) - o.optMoney('voucher', currency),
      amounts: { shipping: o.optMoney('shipping_fee', currency), discount: o.optMoney('voucher', currency), tax: 0, taxIncluded: true },
      customer: { name: fullName(o.optStr('customer_first_name'), o.optStr('customer_last_name')), email: null, phone: address.optStr('phone') },
      shippingAddress: {
        name: fullName(address.optStr('first_name'), address.optStr('last_name')),
        line1: address.str('address1'),
        line2:
          [address.optStr('address2'), address.optStr('address3'), address.optStr('address4'), address.optStr('address5')].filter(Boolean).join(', ') ||
          undefined,
        city: address.str('city'),
        postalCode: address.optStr('post_code') ?? '',
        country: countryCodeFromName(countryName) ?? address.fail('country', `unknown country "${countryName}"`),
      },
      lines: groupUnits(
        items.map((i) => ({ sku: i.optStr('sku') ?? i.id('order_item_id'), name: i.str('name'), unitAmount: i.money('item_price', currency) })),
      ),
      placedAt: o.date('created_at', parseOffsetNaive).toISOString(),
      updatedAt: o.date('updated_at', parseOffsetNaive).toISOString(),
      paymentMethodHint: paymentHint(payment, payment !== 'COD'),
    });
  },
  async push(api, id, status) {
    const data = reader('lazada', await call(api, 'GET', '/order/items/get', { order_id: id })).items();
    const packages = [...new Set(data.map((i) => i.str('package_id')))].map((package_id) => ({ package_id }));
    if (status === 'OUT_FOR_DELIVERY') {
      await call(api, 'POST', '/order/package/rts', { readyToShipReq: JSON.stringify({ packages }) });
      return pushed('package_rts');
    }
    const path = status === 'DELIVERED' ? '/order/package/sof/delivered' : '/order/package/sof/failed_delivery';
    await call(api, 'POST', path, { payload: JSON.stringify({ packages }) });
    return pushed(status === 'DELIVERED' ? 'sof_delivered' : 'sof_failed_delivery');
  },
});
