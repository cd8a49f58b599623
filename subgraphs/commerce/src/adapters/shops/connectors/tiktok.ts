import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader } from '../payload.ts';
import { tiktokSign } from '../signing.ts';
import { fromUnixSeconds, unixSeconds } from '../values.ts';
import { groupUnits, paymentHint, pushed, statusActions } from './common.ts';

/**
 * TikTok Shop Open API (version 202309). Query carries app_key, timestamp (s), shop_cipher and
 * sign = HMAC-SHA256(app secret, secret + path + sorted query key/values (without sign and access_token) + body +
 * secret), hex; the token travels in x-tts-access-token. Errors come back with a non-zero `code`. Sync: POST
 * /order/202309/orders/search with update_time_ge/update_time_lt, sort_field=update_time ASC and next_page_token.
 * Line items are one per unit. Status push: mark package as shipped; seller cancellation.
 */
interface Api {
  http: HttpClient;
  base: string;
  appKey: string;
  secret: string;
  token: string;
  cipher: string;
}

async function call(api: Api, method: 'GET' | 'POST', path: string, query: Record<string, string | number> = {}, body?: unknown, withCipher = true) {
  const q: Record<string, string | number> = {
    app_key: api.appKey,
    timestamp: Math.floor(Date.now() / 1000),
    ...(withCipher ? { shop_cipher: api.cipher } : {}),
    ...query,
  };
  const text = body === undefined ? '' : JSON.stringify(body);
  const sign = tiktokSign(api.secret, path, q, text);
  const res = await api.http.json({
    method,
    url: `${api.base}${path}`,
    query: { ...q, sign },
    headers: { 'x-tts-access-token': api.token, ...(text ? { 'content-type': 'application/json' } : {}) },
    body: text || undefined,
    idempotent: method === 'GET' || path.endsWith('/search'),
  });
  return reader('tiktok', res).obj('data');
}

export const tiktok = defineConnector<Api>({
  platform: 'tiktok',
  kind: 'marketplace',
  displayName: 'TikTok Shop',
  credentialFields: [
    { key: 'appKey', label: 'App key', secret: false, required: true, pattern: /^[a-z0-9]{10,}$/, hint: 'app key from the TikTok Shop Partner Center' },
    { key: 'appSecret', label: 'App secret', secret: true, required: true, pattern: /^[a-f0-9]{32,}$/, hint: 'app secret (hex)' },
    { key: 'accessToken', label: 'Access token', secret: true, required: true, hint: 'seller access token from the authorization' },
    { key: 'shopCipher', label: 'Shop cipher', secret: false, required: true, hint: 'the cipher of the shop from Get Authorized Shops' },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'mark package as shipped', CANCELLED: 'POST /return_refund/202309/cancellations' }),
  conventions: {
    interpret(res) {
      const body = res.body as { code?: number; message?: string } | undefined;
      if (!body || body.code === undefined || body.code === 0) return undefined;
      const message = `${body.code}: ${body.message ?? ''}`;
      if (res.status === 429 || /too many|rate limit/i.test(body.message ?? ''))
        return new ConnectorUnavailableError('tiktok', message, 'rate_limited', res.status);
      if (res.status === 401 || /token|sign|auth|permission|cipher/i.test(body.message ?? '')) return new ConnectorAuthError('tiktok', message, res.status);
      if (res.status >= 500) return new ConnectorUnavailableError('tiktok', message, 'server_error', res.status);
      return new ConnectorRequestError('tiktok', message, res.status);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: baseUrl,
    appKey: credentials.appKey!,
    secret: credentials.appSecret!,
    token: credentials.accessToken!,
    cipher: credentials.shopCipher!,
  }),
  async account(api) {
    const shops = (await call(api, 'GET', '/authorization/202309/shops', {}, undefined, false)).arr('shops');
    const shop = shops.find((s) => s.str('cipher') === api.cipher);
    if (!shop) throw new ConnectorAuthError('tiktok', 'the token is not authorized for this shop cipher');
    return { externalAccountId: shop.id('id'), name: shop.str('name') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, pageToken: string | null, pageSize) {
      const data = await call(
        api,
        'POST',
        '/order/202309/orders/search',
        { page_size: pageSize, sort_field: 'update_time', sort_order: 'ASC', ...(pageToken ? { page_token: pageToken } : {}) },
        // update_time_lt is exclusive: one second past the window keeps its last second.
        { update_time_ge: unixSeconds(window.from), update_time_lt: unixSeconds(window.until) + 1 },
      );
      return {
        entries: data.optArr('orders').map((o) => ({ externalId: o.id('id'), updatedAt: o.unixDate('update_time', fromUnixSeconds), payload: o.value })),
        next: data.optStr('next_page_token') ?? null,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('tiktok', payload);
    const p = r.obj('payment');
    const currency = p.str('currency');
    const address = r.obj('recipient_address');
    const districts = address.optArr('district_info');
    const city = districts.find((d) => /city|town/i.test(d.optStr('address_level_name') ?? '')) ?? districts[districts.length - 1];
    const cod = r.optBool('is_cod') ?? false;
    return finishOrder('tiktok', {
      externalId: r.id('id'),
      merchantReference: r.id('id'),
      platformStatus: r.str('status'),
      currency,
      totalAmount: p.money('total_amount', currency),
      amounts: {
        shipping: p.optMoney('shipping_fee', currency),
        discount: p.optMoney('seller_discount', currency) + p.optMoney('platform_discount', currency),
        tax: p.optMoney('tax', currency),
        taxIncluded: true,
      },
      customer: { name: address.str('name'), email: r.optStr('buyer_email') ?? null, phone: address.optStr('phone_number') },
      shippingAddress: {
        name: address.str('name'),
        line1: address.str('address_line1'),
        line2: [address.optStr('address_line2'), address.optStr('address_line3')].filter(Boolean).join(', ') || undefined,
        city: city?.str('address_name') ?? address.fail('district_info', 'no city level'),
        postalCode: address.optStr('postal_code') ?? '',
        country: address.str('region_code'),
      },
      lines: groupUnits(
        r
          .arr('line_items')
          .filter((li) => li.optStr('display_status') !== 'CANCELLED')
          .map((li) => ({ sku: li.optStr('seller_sku') ?? li.id('sku_id'), name: li.str('product_name'), unitAmount: li.money('original_price', currency) })),
      ),
      placedAt: r.unixDate('create_time', fromUnixSeconds).toISOString(),
      updatedAt: r.unixDate('update_time', fromUnixSeconds).toISOString(),
      paymentMethodHint: paymentHint(r.optStr('payment_method_name'), !cod && r.str('status') !== 'UNPAID', cod),
    });
  },
  async push(api, id, status, details) {
    if (status === 'CANCELLED') {
      await call(api, 'POST', '/return_refund/202309/cancellations', {}, { order_id: id, cancel_reason: 'seller_cancel_reason_out_of_stock' });
      return pushed('cancellation');
    }
    await call(
      api,
      'POST',
      `/fulfillment/202309/orders/${encodeURIComponent(id)}/packages`,
      {},
      { tracking_number: details.trackingNumber ?? '', shipping_provider_id: details.carrier ?? '' },
    );
    return pushed('mark_package_shipped');
  },
});
