import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader } from '../payload.ts';
import { shopeeSign } from '../signing.ts';
import { fromUnixSeconds, unixSeconds } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Shopee Open Platform v2. Shop-level calls carry partner_id, timestamp (s), access_token, shop_id and
 * sign = HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id), hex. Errors: a non-empty
 * `error` field (often with HTTP 403 for auth). Sync: get_order_list with time_range_field=update_time, time_from /
 * time_to (at most 15 days apart), page_size ≤ 100 and the next_cursor token; the list holds only order_sn, so each
 * page is completed with get_order_detail (≤ 50 per call). Status push: logistics/ship_order, order/cancel_order.
 */
interface Api {
  http: HttpClient;
  base: string;
  partnerId: string;
  partnerKey: string;
  shopId: string;
  token: string;
}

const DETAIL_FIELDS =
  'buyer_user_id,buyer_username,recipient_address,item_list,total_amount,payment_method,estimated_shipping_fee,actual_shipping_fee,pay_time';

async function call(
  api: Api,
  method: 'GET' | 'POST',
  path: string,
  params: Record<string, string | number> = {},
  body?: unknown,
): Promise<ReturnType<typeof reader>> {
  const timestamp = Math.floor(Date.now() / 1000);
  const sign = shopeeSign(api.partnerKey, api.partnerId, path, timestamp, api.token, api.shopId);
  const query = { partner_id: api.partnerId, timestamp, access_token: api.token, shop_id: api.shopId, sign, ...(method === 'GET' ? params : {}) };
  const res = await api.http.json({ method, url: `${api.base}${path}`, query, json: body, idempotent: method === 'GET' });
  return reader('shopee', res);
}

export const shopee = defineConnector<Api>({
  platform: 'shopee',
  kind: 'marketplace',
  displayName: 'Shopee',
  credentialFields: [
    { key: 'partnerId', label: 'Partner ID', secret: false, required: true, pattern: /^\d{4,}$/, hint: 'numeric partner id of your Shopee Open Platform app' },
    { key: 'partnerKey', label: 'Partner key', secret: true, required: true, pattern: /^[A-Za-z0-9]{32,}$/, hint: 'the live partner key' },
    { key: 'shopId', label: 'Shop ID', secret: false, required: true, pattern: /^\d{3,}$/, hint: 'numeric shop id returned by the shop authorization' },
    {
      key: 'accessToken',
      label: 'Access token',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9]{16,}$/,
      hint: 'shop access token (valid 4 hours; refresh with the refresh token)',
    },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'POST /api/v2/logistics/ship_order', CANCELLED: 'POST /api/v2/order/cancel_order' }),
  conventions: {
    interpret(res) {
      const body = res.body as { error?: string; message?: string } | undefined;
      // Throttling and server errors keep their HTTP meaning (retry later) whatever the body says.
      if (!body?.error || res.status === 429 || res.status >= 500) return undefined;
      const message = `${body.error}: ${body.message ?? ''}`;
      if (/auth|sign|token|permission|partner|shop_id/i.test(body.error)) return new ConnectorAuthError('shopee', message, res.status);
      if (/too_many|rate|server|busy/i.test(body.error))
        return new ConnectorUnavailableError('shopee', message, /too_many|rate/i.test(body.error) ? 'rate_limited' : 'server_error', res.status);
      return new ConnectorRequestError('shopee', message, res.status);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: baseUrl,
    partnerId: credentials.partnerId!,
    partnerKey: credentials.partnerKey!,
    shopId: credentials.shopId!,
    token: credentials.accessToken!,
  }),
  async account(api) {
    const info = await call(api, 'GET', '/api/v2/shop/get_shop_info');
    return { externalAccountId: api.shopId, name: info.str('shop_name') };
  },
  sync: {
    maxPageSize: 100,
    maxWindowMs: 15 * 86_400_000 - 2000,
    async list(api, window, cursor: string | null, pageSize) {
      const list = (
        await call(api, 'GET', '/api/v2/order/get_order_list', {
          time_range_field: 'update_time',
          time_from: unixSeconds(window.from),
          time_to: unixSeconds(window.until),
          page_size: pageSize,
          cursor: cursor ?? '',
        })
      ).obj('response');
      const sns = list.arr('order_list').map((o) => o.str('order_sn'));
      const details = [];
      for (let i = 0; i < sns.length; i += 50) {
        const batch = await call(api, 'GET', '/api/v2/order/get_order_detail', {
          order_sn_list: sns.slice(i, i + 50).join(','),
          response_optional_fields: DETAIL_FIELDS,
        });
        details.push(...batch.obj('response').arr('order_list'));
      }
      return {
        entries: details.map((o) => ({ externalId: o.str('order_sn'), updatedAt: o.unixDate('update_time', fromUnixSeconds), payload: o.value })),
        next: list.bool('more') ? list.str('next_cursor') : null,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('shopee', payload);
    const currency = r.str('currency');
    const address = r.obj('recipient_address');
    const cod = r.optBool('cod') ?? false;
    return finishOrder('shopee', {
      externalId: r.str('order_sn'),
      merchantReference: r.str('order_sn'),
      platformStatus: r.str('order_status'),
      currency,
      totalAmount: r.money('total_amount', currency),
      amounts: {
        shipping: r.has('actual_shipping_fee') ? r.money('actual_shipping_fee', currency) : r.optMoney('estimated_shipping_fee', currency),
        discount: 0,
        tax: 0,
        taxIncluded: true,
      },
      // Shopee never discloses the buyer's e-mail.
      customer: { name: address.optStr('name') ?? r.str('buyer_username'), email: null, phone: address.optStr('phone') },
      shippingAddress: {
        name: address.str('name'),
        line1: address.str('full_address'),
        line2: [address.optStr('town'), address.optStr('district')].filter(Boolean).join(', ') || undefined,
        city: address.str('city'),
        postalCode: address.optStr('zipcode') ?? '',
        region: address.optStr('state'),
        country: address.str('region'),
      },
      lines: r.arr('item_list').map((i) => ({
        sku: i.optStr('model_sku') ?? i.optStr('item_sku') ?? `${i.id('item_id')}:${i.id('model_id')}`,
        name: [i.str('item_name'), i.optStr('model_name')].filter(Boolean).join(' – '),
        quantity: i.positiveInt('model_quantity_purchased'),
        unitAmount: i.money('model_discounted_price', currency),
      })),
      placedAt: r.unixDate('create_time', fromUnixSeconds).toISOString(),
      updatedAt: r.unixDate('update_time', fromUnixSeconds).toISOString(),
      paymentMethodHint: paymentHint(r.optStr('payment_method'), !cod && r.has('pay_time'), cod),
    });
  },
  async push(api, id, status, details) {
    if (status === 'OUT_FOR_DELIVERY') {
      await call(api, 'POST', '/api/v2/logistics/ship_order', {}, { order_sn: id, non_integrated: { tracking_number: details.trackingNumber ?? '' } });
      return pushed('ship_order');
    }
    const detail = (await call(api, 'GET', '/api/v2/order/get_order_detail', { order_sn_list: id, response_optional_fields: 'item_list' }))
      .obj('response')
      .arr('order_list')[0];
    const items = (detail ?? reader('shopee', {}).fail('order_list', `order ${id} not found`))
      .arr('item_list')
      .map((i) => ({ item_id: Number(i.id('item_id')), model_id: Number(i.id('model_id')) }));
    await call(api, 'POST', '/api/v2/order/cancel_order', {}, { order_sn: id, cancel_reason: 'CUSTOMER_REQUEST', item_list: items });
    return pushed('cancel_order');
  },
});
