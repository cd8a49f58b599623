import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader, type Reader } from '../payload.ts';
import { iopSign } from '../signing.ts';
import { assertTimeZone, formatNaiveInZone, parseNaiveInZone } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * AliExpress Open Platform (IOP gateway, POST https://api-sg.aliexpress.com/sync?method=…). System parameters
 * app_key, timestamp (ms), sign_method=sha256, access_token and method are signed together with the business
 * parameters as HMAC-SHA256(app secret, sorted key/values), upper-case hex. Answers nest under
 * "<method with underscores>_response"; errors come as error_response. Times are wall-clock in the seller's account
 * zone (default America/Los_Angeles). Sync: aliexpress.solution.order.get with modified_date_start/end and pages;
 * details from aliexpress.solution.order.info.get. Payload: { order, detail, timeZone }.
 * Status push: aliexpress.solution.order.fulfill.
 */
interface Api {
  http: HttpClient;
  url: string;
  appKey: string;
  secret: string;
  token: string;
  timeZone: string;
}

async function call(api: Api, method: string, params: Record<string, string>, idempotent = true): Promise<Reader> {
  const all: Record<string, string> = { app_key: api.appKey, timestamp: String(Date.now()), sign_method: 'sha256', access_token: api.token, method, ...params };
  all.sign = iopSign(api.secret, '', all);
  const body = await api.http.json({ method: 'POST', url: api.url, form: all, idempotent });
  return reader('aliexpress', body).obj(`${method.replaceAll('.', '_')}_response`);
}

export const aliexpress = defineConnector<Api>({
  platform: 'aliexpress',
  kind: 'marketplace',
  displayName: 'AliExpress',
  credentialFields: [
    { key: 'appKey', label: 'App key', secret: false, required: true, pattern: /^\d{6,}$/, hint: 'numeric app key from the AliExpress Open Platform console' },
    { key: 'appSecret', label: 'App secret', secret: true, required: true, pattern: /^[A-Za-z0-9]{20,}$/, hint: 'the app secret' },
    {
      key: 'accessToken',
      label: 'Access token',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9_-]{20,}$/,
      hint: 'seller access token from the authorization',
    },
    { key: 'timeZone', label: 'Account time zone', secret: false, required: false, hint: 'IANA zone of the seller account times, default America/Los_Angeles' },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'aliexpress.solution.order.fulfill' }),
  conventions: {
    interpret(res) {
      const error = (res.body as { error_response?: { code?: string; msg?: string; sub_code?: string; sub_msg?: string } } | undefined)?.error_response;
      if (!error) return undefined;
      const message = `${error.code}: ${error.msg ?? ''}${error.sub_msg ? ` (${error.sub_msg})` : ''}`;
      if (/IllegalAccessToken|IncompleteSignature|InvalidAppKey|AccessDenied|InsufficientPermission/i.test(`${error.code} ${error.sub_code}`))
        return new ConnectorAuthError('aliexpress', message, res.status);
      if (/ApiCallLimit|ServiceUnavailable|isp\./i.test(`${error.code} ${error.sub_code}`))
        return new ConnectorUnavailableError('aliexpress', message, 'rate_limited', res.status);
      return new ConnectorRequestError('aliexpress', message, res.status);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    url: `${baseUrl}/sync`,
    appKey: credentials.appKey!,
    secret: credentials.appSecret!,
    token: credentials.accessToken!,
    timeZone: reader('aliexpress', credentials).convert('timeZone', () => assertTimeZone(credentials.timeZone ?? 'America/Los_Angeles')),
  }),
  async account(api) {
    const info = (await call(api, 'aliexpress.solution.merchant.profile.get', {})).obj('result');
    return {
      externalAccountId: info.id('merchant_login_id'),
      name: info.optStr('shop_name') ?? info.str('merchant_login_id'),
      currency: info.optStr('currency'),
    };
  },
  sync: {
    maxPageSize: 50,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const param0 = {
        modified_date_start: formatNaiveInZone(window.from, api.timeZone),
        modified_date_end: formatNaiveInZone(window.until, api.timeZone),
        order_status_list: [
          'PLACE_ORDER_SUCCESS',
          'WAIT_SELLER_SEND_GOODS',
          'SELLER_PART_SEND_GOODS',
          'WAIT_BUYER_ACCEPT_GOODS',
          'FINISH',
          'IN_CANCEL',
          'IN_ISSUE',
          'IN_FROZEN',
        ],
        page_size: pageSize,
        current_page: current,
      };
      const result = (await call(api, 'aliexpress.solution.order.get', { param0: JSON.stringify(param0) })).obj('result');
      const total = result.int('total_count');
      const orders = result.optObj('target_list')?.optArr('order_dto') ?? [];
      return {
        entries: orders.map((o) => ({
          externalId: o.id('order_id'),
          updatedAt: o.date('gmt_update', (v) => parseNaiveInZone(v, api.timeZone)),
          summary: o.value,
        })),
        next: current < result.int('total_page') ? current + 1 : null,
        total,
      };
    },
    async load(api, entries) {
      const out: unknown[] = [];
      for (const e of entries) {
        const detail = (await call(api, 'aliexpress.solution.order.info.get', { param1: JSON.stringify({ order_id: Number(e.externalId) }) }))
          .obj('result')
          .obj('data');
        out.push({ order: e.summary, detail: detail.value, timeZone: api.timeZone });
      }
      return out;
    },
  },
  mapOrder(payload) {
    const r = reader('aliexpress', payload);
    const tz = r.convert('timeZone', () => assertTimeZone(r.str('timeZone')));
    const o = r.obj('order');
    const d = r.obj('detail');
    const total = d.obj('order_amount');
    const currency = total.str('currency_code');
    const address = d.obj('receipt_address');
    const children = d.obj('child_order_list').arr('global_aeop_tp_child_order_dto');
    const payType = d.optStr('payment_type') ?? o.optStr('payment_type');
    return finishOrder('aliexpress', {
      externalId: o.id('order_id'),
      merchantReference: o.id('order_id'),
      platformStatus: o.str('order_status'),
      currency,
      totalAmount: total.money('amount', currency),
      amounts: {
        shipping: d.optObj('logistics_amount')?.money('amount', currency) ?? 0,
        discount: d.optObj('discount_amount')?.money('amount', currency) ?? 0,
        tax: 0,
        taxIncluded: true,
      },
      // AliExpress shares no buyer e-mail with sellers.
      customer: { name: o.optStr('buyer_signer_fullname') ?? address.str('contact_person'), email: null, phone: address.optStr('mobile_no') },
      shippingAddress: {
        name: address.str('contact_person'),
        line1: address.str('detail_address'),
        line2: address.optStr('address2'),
        city: address.str('city'),
        postalCode: address.optStr('zip') ?? '',
        region: address.optStr('province'),
        country: address.str('country'),
      },
      lines: children.map((c) => ({
        sku: c.optStr('sku_code') ?? `product:${c.id('product_id')}`,
        name: c.str('product_name'),
        quantity: c.positiveInt('product_count'),
        unitAmount: c.obj('product_price').money('amount', currency),
      })),
      placedAt: o.date('gmt_create', (v) => parseNaiveInZone(v, tz)).toISOString(),
      updatedAt: o.date('gmt_update', (v) => parseNaiveInZone(v, tz)).toISOString(),
      paymentMethodHint: paymentHint(payType, o.str('order_status') !== 'PLACE_ORDER_SUCCESS'),
    });
  },
  async push(api, id, _status, details) {
    await call(
      api,
      'aliexpress.solution.order.fulfill',
      {
        service_name: details.carrier ?? 'OTHER_NL',
        out_ref: id,
        send_type: 'all',
        logistics_no: details.trackingNumber ?? '',
        description: details.note ?? '',
      },
      false,
    );
    return pushed('order.fulfill');
  },
});
