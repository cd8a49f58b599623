import { defineConnector } from '../connector.ts';
import type { HttpClient } from '../http.ts';
import { fractionToMinorUnits } from '../money.ts';
import { finishOrder, reader, type Reader } from '../payload.ts';
import { fromUnixSeconds, unixSeconds } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Etsy Open API v3. Auth: x-api-key "<keystring>:<shared secret>" plus an OAuth 2 bearer token. Sync: GET
 * /v3/application/shops/{shop_id}/receipts with min_last_modified/max_last_modified (Unix s), sort_on=updated,
 * sort_order=asc, limit ≤ 100, offset; `count` is the total. Money is {amount, divisor, currency_code}.
 * Status push: POST .../receipts/{id}/tracking (marks the receipt shipped).
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  shopId: string;
}

function money(r: Reader, key: string, currency: string): number {
  const m = r.obj(key);
  if (m.str('currency_code') !== currency) m.fail('currency_code', `expected ${currency}`);
  return m.convert('amount', () => fractionToMinorUnits(m.int('amount'), m.int('divisor'), currency));
}

export const etsy = defineConnector<Api>({
  platform: 'etsy',
  kind: 'marketplace',
  displayName: 'Etsy',
  credentialFields: [
    { key: 'keystring', label: 'Keystring', secret: false, required: true, pattern: /^[a-z0-9]{24}$/, hint: 'the app keystring (24 characters)' },
    { key: 'sharedSecret', label: 'Shared secret', secret: true, required: true, pattern: /^[a-z0-9]{10}$/, hint: 'the app shared secret (10 characters)' },
    {
      key: 'accessToken',
      label: 'OAuth access token',
      secret: true,
      required: true,
      pattern: /^\d+\.[A-Za-z0-9_-]{20,}$/,
      hint: '<user id>.<token> from the OAuth flow (1 hour; refresh with the refresh token)',
    },
    { key: 'shopId', label: 'Shop ID', secret: false, required: true, pattern: /^\d+$/, hint: 'numeric shop id' },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'POST receipts/{id}/tracking' }),
  conventions: { describe: (res) => (res.body as { error?: string } | undefined)?.error },
  open: ({ http, baseUrl, credentials }) => ({
    http,
    base: `${baseUrl}/v3/application`,
    headers: { 'x-api-key': `${credentials.keystring}:${credentials.sharedSecret}`, authorization: `Bearer ${credentials.accessToken}` },
    shopId: credentials.shopId!,
  }),
  async account(api) {
    const shop = reader('etsy', await api.http.json({ method: 'GET', url: `${api.base}/shops/${api.shopId}`, headers: api.headers }));
    return { externalAccountId: shop.id('shop_id'), name: shop.str('shop_name'), currency: shop.optStr('currency_code') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, offset: number | null, pageSize) {
      const body = reader(
        'etsy',
        await api.http.json({
          method: 'GET',
          url: `${api.base}/shops/${api.shopId}/receipts`,
          headers: api.headers,
          query: {
            min_last_modified: unixSeconds(window.from),
            max_last_modified: unixSeconds(window.until),
            sort_on: 'updated',
            sort_order: 'asc',
            limit: pageSize,
            offset: offset ?? 0,
          },
        }),
      );
      const receipts = body.arr('results');
      const total = body.int('count');
      const next = (offset ?? 0) + receipts.length;
      return {
        entries: receipts.map((x) => ({ externalId: x.id('receipt_id'), updatedAt: x.unixDate('updated_timestamp', fromUnixSeconds), payload: x.value })),
        next: receipts.length > 0 && next < total ? next : null,
        total,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('etsy', payload);
    const currency = r.obj('grandtotal').str('currency_code');
    return finishOrder('etsy', {
      externalId: r.id('receipt_id'),
      merchantReference: r.id('receipt_id'),
      platformStatus: r.str('status'),
      currency,
      totalAmount: money(r, 'grandtotal', currency),
      amounts: {
        shipping: money(r, 'total_shipping_cost', currency),
        discount: money(r, 'discount_amt', currency),
        tax: money(r, 'total_tax_cost', currency) + money(r, 'total_vat_cost', currency),
        fees: r.has('gift_wrap_price') ? money(r, 'gift_wrap_price', currency) : 0,
        taxIncluded: false,
      },
      customer: { name: r.str('name'), email: r.optStr('buyer_email') ?? null },
      shippingAddress: {
        name: r.str('name'),
        line1: r.str('first_line'),
        line2: r.optStr('second_line'),
        city: r.str('city'),
        postalCode: r.optStr('zip') ?? '',
        region: r.optStr('state'),
        country: r.str('country_iso'),
      },
      lines: r.arr('transactions').map((t) => ({
        sku: t.optStr('sku') ?? `listing:${t.id('listing_id')}`,
        name: t.str('title'),
        quantity: t.positiveInt('quantity'),
        unitAmount: money(t, 'price', currency),
      })),
      placedAt: r.unixDate('create_timestamp', fromUnixSeconds).toISOString(),
      updatedAt: r.unixDate('updated_timestamp', fromUnixSeconds).toISOString(),
      paymentMethodHint: paymentHint(r.optStr('payment_method'), r.optBool('is_paid') ?? false),
    });
  },
  async push(api, id, _status, details) {
    await api.http.send({
      method: 'POST',
      url: `${api.base}/shops/${api.shopId}/receipts/${encodeURIComponent(id)}/tracking`,
      headers: api.headers,
      json: { tracking_code: details.trackingNumber ?? '', carrier_name: details.carrier ?? 'other', send_bcc: false },
    });
    return pushed('tracking');
  },
});
