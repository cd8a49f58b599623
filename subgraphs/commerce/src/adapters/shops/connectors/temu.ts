import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader, type Reader } from '../payload.ts';
import { temuSign } from '../signing.ts';
import { countryCodeFromName, fromUnixSeconds, unixSeconds } from '../values.ts';
import { paymentHint, pushed, skipped, statusActions } from './common.ts';

/**
 * Temu Open API (partner router, POST JSON to https://openapi-b-<region>.temu.com/openapi/router). Every body carries
 * type, app_key, access_token, timestamp (s), data_type=JSON and sign = MD5(secret + sorted key/values + secret),
 * upper-case. Answers are {success, errorCode, errorMsg, result}. Sync: bg.order.list.v2.get with
 * updateAtStart/updateAtEnd, pageNumber/pageSize and totalItemNum; per order temu.order.amount.v2.query (amounts in
 * minor units) and bg.order.shippinginfo.v2.get. Payload: { order (page item), amount, shipping }.
 * Status push: bg.logistics.shipment.confirm (needs Temu's carrierId as `carrier`).
 */
interface Api {
  http: HttpClient;
  url: string;
  appKey: string;
  secret: string;
  token: string;
}

const AUTH = new Set([3000001, 3000020, 3000026, 3000031, 3000032, 3000033, 3000034, 5000000, 5000003]);
const STATUS = new Map([
  [1, 'PENDING'],
  [2, 'UN_SHIPPING'],
  [3, 'CANCELED'],
  [4, 'SHIPPED'],
  [5, 'RECEIPTED'],
  [41, 'PARTIALLY_SHIPPED'],
  [51, 'PARTIALLY_RECEIPTED'],
]);

async function call(api: Api, type: string, params: Record<string, unknown>, idempotent = true): Promise<Reader> {
  const body: Record<string, unknown> = {
    type,
    app_key: api.appKey,
    access_token: api.token,
    timestamp: Math.floor(Date.now() / 1000),
    data_type: 'JSON',
    ...params,
  };
  body.sign = temuSign(api.secret, body);
  return reader('temu', await api.http.json({ method: 'POST', url: api.url, json: body, idempotent })).obj('result');
}

/** MoneyAmount {currency, amount} where amount is already in minor units. */
function minor(r: Reader | undefined, key: string, currency: string): number {
  const m = r?.optObj(key);
  if (!m) return 0;
  if (m.str('currency') !== currency) m.fail('currency', `expected ${currency}`);
  return m.int('amount');
}

export const temu = defineConnector<Api>({
  platform: 'temu',
  kind: 'marketplace',
  displayName: 'Temu',
  credentialFields: [
    { key: 'appKey', label: 'App key', secret: false, required: true, pattern: /^[a-f0-9]{32}$/, hint: '32 hex characters from the Temu partner platform' },
    { key: 'appSecret', label: 'App secret', secret: true, required: true, pattern: /^[a-f0-9]{40}$/, hint: '40 hex characters' },
    {
      key: 'accessToken',
      label: 'Access token',
      secret: true,
      required: true,
      pattern: /^[a-z0-9]{30,}$/,
      hint: 'shop access token shown after authorizing the app in Seller Center',
    },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'bg.logistics.shipment.confirm' }),
  conventions: {
    interpret(res) {
      const body = res.body as { success?: boolean; errorCode?: number; errorMsg?: string } | undefined;
      if (!body || body.success !== false) return undefined;
      const message = `${body.errorCode}: ${body.errorMsg ?? ''}`;
      if (AUTH.has(body.errorCode ?? 0)) return new ConnectorAuthError('temu', message, res.status);
      if (body.errorCode === 4000004) return new ConnectorUnavailableError('temu', message, 'rate_limited', res.status);
      if (body.errorCode === 4000000 || body.errorCode === 2000000 || body.errorCode === 140020008)
        return new ConnectorUnavailableError('temu', message, 'server_error', res.status);
      return new ConnectorRequestError('temu', message, res.status);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    url: `${baseUrl}/openapi/router`,
    appKey: credentials.appKey!,
    secret: credentials.appSecret!,
    token: credentials.accessToken!,
  }),
  async account(api) {
    const info = await call(api, 'bg.open.accesstoken.info.get', {});
    return { externalAccountId: info.id('mallId'), name: `Temu mall ${info.id('mallId')}` };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const result = await call(api, 'bg.order.list.v2.get', {
        pageNumber: current,
        pageSize,
        updateAtStart: unixSeconds(window.from),
        updateAtEnd: unixSeconds(window.until),
        sortby: 'updateTime',
      });
      const total = result.int('totalItemNum');
      return {
        entries: result.arr('pageItems').map((item) => {
          const parent = item.obj('parentOrderMap');
          return { externalId: parent.str('parentOrderSn'), updatedAt: parent.unixDate('updateTime', fromUnixSeconds), summary: item.value };
        }),
        next: current * pageSize < total ? current + 1 : null,
        total,
      };
    },
    async load(api, entries) {
      const out: unknown[] = [];
      for (const e of entries) {
        const amount = await call(api, 'temu.order.amount.v2.query', { parentOrderSn: e.externalId });
        const shipping = await call(api, 'bg.order.shippinginfo.v2.get', { parentOrderSn: e.externalId });
        out.push({ order: e.summary, amount: amount.value, shipping: shipping.value });
      }
      return out;
    },
  },
  mapOrder(payload) {
    const r = reader('temu', payload);
    const order = r.obj('order');
    const parent = order.obj('parentOrderMap');
    const amount = r.obj('amount');
    const paid = amount.obj('parentOrderMap').obj('customerPaid');
    const currency = paid.obj('customerPaidTotal').str('currency');
    const shipping = r.obj('shipping');
    const amountLines = new Map(amount.arr('orderList').map((l) => [l.str('orderSn'), l]));
    const country = shipping.str('regionName1');
    const status = parent.int('parentOrderStatus');
    return finishOrder('temu', {
      externalId: parent.str('parentOrderSn'),
      merchantReference: parent.str('parentOrderSn'),
      platformStatus: STATUS.get(status) ?? String(status),
      currency,
      totalAmount: minor(paid, 'customerPaidTotal', currency),
      amounts: {
        shipping: minor(paid, 'shippingTotalTaxIncl', currency),
        // Temu reports its discounts tax-exclusive; VAT on them shows up in amounts.difference.
        discount: minor(paid, 'retailPriceSellerDiscountTaxExcl', currency) + minor(paid, 'retailPriceTemuDiscountTaxExcl', currency),
        tax: minor(paid, 'productTaxDiscounted', currency) + minor(paid, 'shippingTaxDiscounted', currency),
        taxIncluded: true,
      },
      customer: { name: shipping.str('receiptName'), email: shipping.optStr('mail') ?? null, phone: shipping.optStr('mobile') },
      shippingAddress: {
        name: shipping.str('receiptName'),
        line1: shipping.str('addressLine1'),
        line2: [shipping.optStr('addressLine2'), shipping.optStr('addressLine3')].filter(Boolean).join(', ') || undefined,
        city: shipping.optStr('regionName3') ?? shipping.str('regionName4'),
        postalCode: shipping.optStr('postCode') ?? '',
        region: shipping.optStr('regionName2'),
        country: /^[A-Z]{2}$/.test(country) ? country : (countryCodeFromName(country) ?? shipping.fail('regionName1', `unknown country "${country}"`)),
      },
      lines: order.arr('orderList').map((l) => {
        const sn = l.str('orderSn');
        const priced = amountLines.get(sn) ?? l.fail('orderSn', `no amount line for ${sn}`);
        return {
          sku: l.id('skuId'),
          name: l.str('goodsName'),
          quantity: l.positiveInt('quantity'),
          unitAmount: minor(priced, 'unitRetailPriceTaxIncl', currency),
        };
      }),
      placedAt: parent.unixDate('parentOrderTime', fromUnixSeconds).toISOString(),
      updatedAt: parent.unixDate('updateTime', fromUnixSeconds).toISOString(),
      paymentMethodHint: paymentHint('temu', status !== 1),
    });
  },
  async push(api, id, _status, details) {
    if (!details.carrier || !details.trackingNumber) return skipped('Temu shipment confirmation needs carrier (Temu carrierId) and trackingNumber');
    const detail = await call(api, 'bg.order.detail.v2.get', { parentOrderSn: id });
    const lines = detail.arr('orderList').map((l) => ({
      orderSn: l.str('orderSn'),
      parentOrderSn: id,
      goodsId: Number(l.id('goodsId')),
      skuId: Number(l.id('skuId')),
      quantity: l.int('quantity'),
    }));
    await call(
      api,
      'bg.logistics.shipment.confirm',
      { sendType: 0, sendRequestList: [{ carrierId: details.carrier, trackingNumber: details.trackingNumber, orderSendInfoList: lines }] },
      false,
    );
    return pushed('shipment.confirm');
  },
});
