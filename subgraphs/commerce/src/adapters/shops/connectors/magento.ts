import { defineConnector } from '../connector.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { formatNaiveUtc, parseNaiveUtc } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Magento 2 / Adobe Commerce REST. Auth: integration access token as Bearer. Sync: GET /V1/orders with searchCriteria
 * filters updated_at gteq/lteq (UTC), sortOrders updated_at ASC, pageSize/currentPage; total_count gives the total
 * (Magento repeats the last page past the end, so the page count comes from it, never from an empty page).
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
}

export const magento = defineConnector<Api>({
  platform: 'magento',
  kind: 'shop',
  displayName: 'Magento / Adobe Commerce',
  credentialFields: [
    {
      key: 'accessToken',
      label: 'Integration access token',
      secret: true,
      required: true,
      pattern: /^[a-z0-9]{32}$/,
      hint: '32 lower-case letters/digits (System → Integrations → Access Token)',
    },
  ],
  statusActions: statusActions({
    PAID: 'POST /V1/order/{id}/invoice (capture)',
    OUT_FOR_DELIVERY: 'POST /V1/order/{id}/ship (with track)',
    DELIVERED: 'order comment',
    RETURNED: 'order comment',
    REFUNDED: 'POST /V1/order/{id}/refund (offline credit memo)',
    CANCELLED: 'POST /V1/orders/{id}/cancel',
  }),
  conventions: {
    describe: (res) => {
      const body = res.body as { message?: string; parameters?: Record<string, string> | string[] } | undefined;
      if (!body?.message) return undefined;
      const params = body.parameters;
      return body.message.replace(/%(\w+)/g, (_, k: string) => (Array.isArray(params) ? params[Number(k) - 1] : params?.[k]) ?? `%${k}`);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({ http, base: `${baseUrl}/rest/V1`, headers: { authorization: `Bearer ${credentials.accessToken}` } }),
  async account(api) {
    const [store] = reader('magento', await api.http.json({ method: 'GET', url: `${api.base}/store/storeConfigs`, headers: api.headers })).items();
    if (!store) return reader('magento', []).fail(undefined, 'no store configured');
    return { externalAccountId: store.id('id'), name: store.optStr('base_url') ?? store.str('code'), currency: store.optStr('base_currency_code') };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const f = 'searchCriteria[filter_groups]';
      const body = await api.http.json({
        method: 'GET',
        url: `${api.base}/orders`,
        headers: api.headers,
        query: {
          [`${f}[0][filters][0][field]`]: 'updated_at',
          [`${f}[0][filters][0][value]`]: formatNaiveUtc(window.from),
          [`${f}[0][filters][0][condition_type]`]: 'gteq',
          [`${f}[1][filters][0][field]`]: 'updated_at',
          [`${f}[1][filters][0][value]`]: formatNaiveUtc(window.until),
          [`${f}[1][filters][0][condition_type]`]: 'lteq',
          'searchCriteria[sortOrders][0][field]': 'updated_at',
          'searchCriteria[sortOrders][0][direction]': 'ASC',
          'searchCriteria[pageSize]': pageSize,
          'searchCriteria[currentPage]': current,
        },
      });
      const r = reader('magento', body);
      const total = r.int('total_count');
      return {
        entries: r.arr('items').map((o) => ({ externalId: o.id('entity_id'), updatedAt: o.date('updated_at', parseNaiveUtc), payload: o.value })),
        next: current * pageSize < total ? current + 1 : null,
        total,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('magento', payload);
    const currency = r.str('order_currency_code');
    const assignment = r.obj('extension_attributes').arr('shipping_assignments')[0];
    const address = assignment ? assignment.obj('shipping').obj('address') : r.obj('billing_address');
    const street = address
      .arr('street')
      .map((s) => String(s.value).trim())
      .filter(Boolean);
    const payment = r.optObj('payment');
    return finishOrder('magento', {
      externalId: r.id('entity_id'),
      merchantReference: r.str('increment_id'),
      platformStatus: r.str('status'),
      currency,
      totalAmount: r.money('grand_total', currency),
      amounts: {
        shipping: r.optMoney('shipping_amount', currency),
        // Magento reports discounts as negative amounts.
        discount: Math.abs(r.optMoney('discount_amount', currency, { allowNegative: true })),
        tax: r.optMoney('tax_amount', currency),
        taxIncluded: false,
      },
      customer: {
        name: fullName(r.optStr('customer_firstname'), r.optStr('customer_lastname')) || fullName(address.optStr('firstname'), address.optStr('lastname')),
        email: r.optStr('customer_email') ?? null,
        phone: address.optStr('telephone'),
      },
      shippingAddress: {
        name: fullName(address.optStr('firstname'), address.optStr('lastname')),
        line1: street[0] ?? address.fail('street', 'is empty'),
        line2: street.slice(1).join(', ') || undefined,
        city: address.str('city'),
        postalCode: address.optStr('postcode') ?? '',
        region: address.optStr('region'),
        country: address.str('country_id'),
      },
      // Configurable products appear as a priced parent plus a zero-priced child: keep the parents only.
      lines: r
        .arr('items')
        .filter((item) => !item.has('parent_item_id'))
        .map((item) => ({
          sku: item.str('sku'),
          name: item.str('name'),
          quantity: item.positiveInt('qty_ordered'),
          unitAmount: item.money('price', currency),
        })),
      placedAt: r.date('created_at', parseNaiveUtc).toISOString(),
      updatedAt: r.date('updated_at', parseNaiveUtc).toISOString(),
      paymentMethodHint: paymentHint(payment?.optStr('method'), r.optMoney('total_paid', currency) > 0),
    });
  },
  async push(api, id, status, details) {
    const order = encodeURIComponent(id);
    switch (status) {
      case 'PAID':
        await api.http.send({ method: 'POST', url: `${api.base}/order/${order}/invoice`, headers: api.headers, json: { capture: true, notify: false } });
        return pushed('invoice');
      case 'OUT_FOR_DELIVERY':
        await api.http.send({
          method: 'POST',
          url: `${api.base}/order/${order}/ship`,
          headers: api.headers,
          json: {
            notify: false,
            tracks: details.trackingNumber ? [{ track_number: details.trackingNumber, title: details.carrier ?? 'IPAY', carrier_code: 'custom' }] : [],
          },
        });
        return pushed('shipment');
      case 'REFUNDED':
        await api.http.send({ method: 'POST', url: `${api.base}/order/${order}/refund`, headers: api.headers, json: { notify: false } });
        return pushed('creditmemo');
      case 'CANCELLED':
        await api.http.send({ method: 'POST', url: `${api.base}/orders/${order}/cancel`, headers: api.headers });
        return pushed('cancel');
      default: {
        const comment = `IPAY: ${status.toLowerCase().replaceAll('_', ' ')}${details.note ? ` — ${details.note}` : ''}`;
        await api.http.send({
          method: 'POST',
          url: `${api.base}/orders/${order}/comments`,
          headers: api.headers,
          json: { statusHistory: { comment, is_customer_notified: 0, is_visible_on_front: 0, parent_id: Number(id) } },
        });
        return pushed('comment');
      }
    }
  },
});
