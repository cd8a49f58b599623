import { defineConnector } from '../connector.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader } from '../payload.ts';
import { hmacSha256Hex } from '../signing.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Vinted Pro Integrations API. Vinted publishes no public API reference: the integrations API is invite-only and its
 * documentation sits behind the Pro portal. What is modelled here follows its published access model (an access key
 * plus a signing key, requests signed with HMAC-SHA256) and a conventional paged order resource; the field names must
 * be checked against the partner documentation before this connector is enabled for merchants.
 * Signature: hex HMAC-SHA256(signing key, `${timestamp}.${METHOD}.${path+query}.${body}`) in X-Vinted-Signature,
 * with X-Vinted-Access-Key and X-Vinted-Timestamp (s).
 */
interface Api {
  http: HttpClient;
  base: string;
  accessKey: string;
  signingKey: string;
}

async function call(api: Api, method: 'GET' | 'POST', path: string, query: Record<string, string | number> = {}, body?: unknown) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const target = qs ? `${path}?${qs}` : path;
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = hmacSha256Hex(api.signingKey, `${timestamp}.${method}.${target}.${text}`);
  const res = await api.http.json({
    method,
    url: `${api.base}${target}`,
    headers: {
      'x-vinted-access-key': api.accessKey,
      'x-vinted-timestamp': timestamp,
      'x-vinted-signature': signature,
      ...(text ? { 'content-type': 'application/json' } : {}),
    },
    body: text || undefined,
  });
  return reader('vinted', res);
}

export const vinted = defineConnector<Api>({
  platform: 'vinted',
  kind: 'marketplace',
  displayName: 'Vinted Pro',
  credentialFields: [
    {
      key: 'accessKey',
      label: 'Access key',
      secret: false,
      required: true,
      pattern: /^[A-Za-z0-9_-]{16,}$/,
      hint: 'access key from the Vinted Pro integrations portal',
    },
    {
      key: 'signingKey',
      label: 'Signing key',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9_-]{32,}$/,
      hint: 'signing key shown once next to the access key',
    },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'POST /api/v1/orders/{id}/shipment' }),
  conventions: { describe: (res) => (res.body as { message?: string } | undefined)?.message },
  open: ({ http, baseUrl, credentials }) => ({ http, base: baseUrl, accessKey: credentials.accessKey!, signingKey: credentials.signingKey! }),
  async account(api) {
    const account = (await call(api, 'GET', '/api/v1/account')).obj('account');
    return { externalAccountId: account.id('id'), name: account.str('name'), currency: account.optStr('currency') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const body = await call(api, 'GET', '/api/v1/orders', {
        updated_from: window.from.toISOString(),
        updated_to: window.until.toISOString(),
        sort: 'updated_at',
        page: current,
        per_page: pageSize,
      });
      const pagination = body.obj('pagination');
      return {
        entries: body.arr('orders').map((o) => ({ externalId: o.id('id'), updatedAt: o.date('updated_at', parseIsoInstant), payload: o.value })),
        next: current < pagination.int('total_pages') ? current + 1 : null,
        total: pagination.int('total_entries'),
      };
    },
  },
  mapOrder(payload) {
    const r = reader('vinted', payload);
    const currency = r.str('currency');
    const address = r.obj('shipping_address');
    const buyer = r.obj('buyer');
    return finishOrder('vinted', {
      externalId: r.id('id'),
      merchantReference: r.id('id'),
      platformStatus: r.str('status'),
      currency,
      totalAmount: r.money('total_price', currency),
      amounts: {
        shipping: r.optMoney('shipping_price', currency),
        discount: r.optMoney('discount', currency),
        tax: 0,
        fees: r.optMoney('buyer_protection_fee', currency),
        taxIncluded: true,
      },
      customer: { name: address.optStr('name') ?? buyer.str('username'), email: null },
      shippingAddress: {
        name: address.str('name'),
        line1: address.str('line1'),
        line2: address.optStr('line2'),
        city: address.str('city'),
        postalCode: address.optStr('postal_code') ?? '',
        country: address.str('country_code'),
      },
      lines: r.arr('items').map((i) => ({
        sku: i.optStr('sku') ?? `item:${i.id('id')}`,
        name: i.str('title'),
        quantity: i.positiveInt('quantity'),
        unitAmount: i.money('price', currency),
      })),
      placedAt: r.date('created_at', parseIsoInstant).toISOString(),
      updatedAt: r.date('updated_at', parseIsoInstant).toISOString(),
      // Vinted buyers always pay through Vinted.
      paymentMethodHint: paymentHint('vinted_wallet', true, false),
    });
  },
  async push(api, id, _status, details) {
    await call(api, 'POST', `/api/v1/orders/${encodeURIComponent(id)}/shipment`, {}, { tracking_number: details.trackingNumber, carrier: details.carrier });
    return pushed('shipment');
  },
});
