import { defineConnector } from '../connector.ts';
import { ConnectorPayloadError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader, Reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, sameOrigin, skipped, statusActions } from './common.ts';

/**
 * Shopify Admin REST API (2024-07). Auth: custom-app token in X-Shopify-Access-Token. Sync: GET orders.json with
 * status=any, updated_at_min/max and order=updated_at asc; pagination is cursor-based through the `Link` header
 * (rel="next" carries page_info, and a page_info request may only repeat `limit`).
 */
const API_PATH = '/admin/api/2024-07';

interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
}

export const shopify = defineConnector<Api>({
  platform: 'shopify',
  kind: 'shop',
  displayName: 'Shopify',
  credentialFields: [
    {
      key: 'accessToken',
      label: 'Admin API access token',
      secret: true,
      required: true,
      pattern: /^shpat_[A-Za-z0-9]{16,}$/,
      hint: 'the shpat_… token of a custom app with read_orders, write_orders and write_fulfillments scopes',
    },
  ],
  statusActions: statusActions({
    PAID: 'POST transactions.json (capture of the outstanding amount)',
    OUT_FOR_DELIVERY: 'create fulfillment (with tracking) + fulfillment event out_for_delivery',
    DELIVERED: 'fulfillment event delivered',
    CANCELLED: 'POST orders/{id}/cancel.json',
  }),
  conventions: {
    describe: (res) => {
      const errors = (res.body as { errors?: unknown } | undefined)?.errors;
      return errors === undefined ? undefined : typeof errors === 'string' ? errors : JSON.stringify(errors);
    },
  },
  open: ({ http, baseUrl, credentials }) => ({ http, base: baseUrl + API_PATH, headers: { 'X-Shopify-Access-Token': credentials.accessToken! } }),
  async account(api) {
    const shop = reader('shopify', await api.http.json({ method: 'GET', url: `${api.base}/shop.json`, headers: api.headers })).obj('shop');
    return { externalAccountId: shop.id('id'), name: shop.str('name'), currency: shop.optStr('currency') };
  },
  sync: {
    maxPageSize: 250,
    async list(api, window, next: string | null, pageSize) {
      const response = next
        ? await api.http.send({ method: 'GET', url: next, headers: api.headers })
        : await api.http.send({
            method: 'GET',
            url: `${api.base}/orders.json`,
            headers: api.headers,
            query: {
              status: 'any',
              updated_at_min: window.from.toISOString(),
              updated_at_max: window.until.toISOString(),
              order: 'updated_at asc',
              limit: pageSize,
            },
          });
      const orders = reader('shopify', response.body).arr('orders');
      const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? null;
      if (link && !sameOrigin(link, api.base)) throw new ConnectorPayloadError('shopify', 'Link', 'next page points to another host');
      return {
        entries: orders.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('updated_at', parseIsoInstant), payload: o.value })),
        next: link,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('shopify', payload);
    const currency = r.str('currency');
    const address = r.obj('shipping_address');
    const customer = r.optObj('customer');
    const gateways = r
      .optArr('payment_gateway_names')
      .map((g) => String(g.value))
      .join(', ');
    const financial = r.optStr('financial_status') ?? 'pending';
    return finishOrder('shopify', {
      externalId: r.id('id'),
      merchantReference: r.str('name'),
      platformStatus: r.has('cancelled_at') ? 'cancelled' : `${financial}/${r.optStr('fulfillment_status') ?? 'unfulfilled'}`,
      currency,
      totalAmount: r.money('total_price', currency),
      amounts: {
        shipping: r.optArr('shipping_lines').reduce((sum, s) => sum + s.money('price', currency), 0),
        discount: r.optMoney('total_discounts', currency),
        tax: r.optMoney('total_tax', currency),
        taxIncluded: r.optBool('taxes_included') ?? false,
      },
      customer: {
        name: fullName(customer?.optStr('first_name'), customer?.optStr('last_name')) || address.str('name'),
        email: r.optStr('email') ?? r.optStr('contact_email') ?? customer?.optStr('email') ?? null,
        phone: r.optStr('phone') ?? address.optStr('phone'),
      },
      shippingAddress: {
        name: address.optStr('name') ?? fullName(address.optStr('first_name'), address.optStr('last_name')),
        line1: address.str('address1'),
        line2: address.optStr('address2'),
        city: address.str('city'),
        postalCode: address.optStr('zip') ?? '',
        region: address.optStr('province'),
        country: address.str('country_code'),
      },
      lines: r.arr('line_items').map((li) => ({
        sku: li.optStr('sku') ?? skuFallback(li),
        name: li.str('name'),
        quantity: li.positiveInt('quantity'),
        unitAmount: li.money('price', currency),
      })),
      placedAt: r.date('created_at', parseIsoInstant).toISOString(),
      updatedAt: r.date('updated_at', parseIsoInstant).toISOString(),
      paymentMethodHint: paymentHint(gateways || undefined, financial === 'paid'),
    });
  },
  async push(api, id, status, details) {
    const order = `${api.base}/orders/${encodeURIComponent(id)}`;
    switch (status) {
      case 'PAID': {
        const o = reader(
          'shopify',
          await api.http.json({ method: 'GET', url: `${order}.json`, headers: api.headers, query: { fields: 'id,total_outstanding,currency' } }),
        ).obj('order');
        const currency = o.str('currency');
        if (o.money('total_outstanding', currency) === 0) return skipped('nothing outstanding on the Shopify order');
        await api.http.send({
          method: 'POST',
          url: `${order}/transactions.json`,
          headers: api.headers,
          json: { transaction: { kind: 'capture', status: 'success', amount: o.str('total_outstanding'), currency } },
        });
        return pushed('transaction:capture');
      }
      case 'OUT_FOR_DELIVERY':
      case 'DELIVERED': {
        const fulfillmentId = await ensureFulfillment(api, id, details);
        const event = status === 'DELIVERED' ? 'delivered' : 'out_for_delivery';
        await api.http.send({
          method: 'POST',
          url: `${order}/fulfillments/${fulfillmentId}/events.json`,
          headers: api.headers,
          json: { event: { status: event } },
        });
        return pushed(`fulfillment_event:${event}`);
      }
      case 'CANCELLED':
        await api.http.send({ method: 'POST', url: `${order}/cancel.json`, headers: api.headers, json: {} });
        return pushed('cancel');
      default:
        return skipped(`no Shopify action for ${status}`);
    }
  },
});

function skuFallback(line: Reader): string {
  return line.has('variant_id') ? `variant:${line.id('variant_id')}` : `line:${line.id('id')}`;
}

/** The order's latest fulfillment, creating one (from its open fulfillment orders) when there is none yet. */
async function ensureFulfillment(api: Api, id: string, details: { trackingNumber?: string; carrier?: string }): Promise<string> {
  const order = `${api.base}/orders/${encodeURIComponent(id)}`;
  const existing = reader('shopify', await api.http.json({ method: 'GET', url: `${order}/fulfillments.json`, headers: api.headers })).arr('fulfillments');
  const active = existing.filter((f) => f.optStr('status') !== 'cancelled');
  if (active.length > 0) return active[active.length - 1]!.id('id');
  const open = reader('shopify', await api.http.json({ method: 'GET', url: `${order}/fulfillment_orders.json`, headers: api.headers }))
    .arr('fulfillment_orders')
    .filter((fo) => ['open', 'in_progress'].includes(fo.str('status')));
  if (open.length === 0) throw new ConnectorPayloadError('shopify', `orders/${id}/fulfillment_orders`, 'no open fulfillment order to fulfil');
  const created = reader(
    'shopify',
    await api.http.json({
      method: 'POST',
      url: `${api.base}/fulfillments.json`,
      headers: api.headers,
      json: {
        fulfillment: {
          line_items_by_fulfillment_order: open.map((fo) => ({ fulfillment_order_id: Number(fo.id('id')) })),
          tracking_info: details.trackingNumber ? { number: details.trackingNumber, company: details.carrier } : undefined,
          notify_customer: false,
        },
      },
    }),
  ).obj('fulfillment');
  return created.id('id');
}
