import { defineConnector } from '../connector.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Allegro REST API (api.allegro.pl). Auth: OAuth bearer token (device/authorization-code flow done at connection
 * time; refresh is the caller's job), media type application/vnd.allegro.public.v1+json. Sync: GET
 * /order/checkout-forms with updatedAt.gte / updatedAt.lte, offset/limit (≤100) and totalCount. Status push: PUT
 * /order/checkout-forms/{id}/fulfillment with the seller fulfillment status (plus a shipment with the waybill).
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
}

const MEDIA = 'application/vnd.allegro.public.v1+json';
const FULFILLMENT: Partial<Record<string, string>> = {
  PAID: 'PROCESSING',
  OUT_FOR_DELIVERY: 'SENT',
  DELIVERED: 'PICKED_UP',
  RETURNED: 'RETURNED',
  CANCELLED: 'CANCELLED',
};

export const allegro = defineConnector<Api>({
  platform: 'allegro',
  kind: 'marketplace',
  displayName: 'Allegro',
  credentialFields: [
    {
      key: 'accessToken',
      label: 'Access token',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9._-]{20,}$/,
      hint: 'OAuth access token (JWT) of the seller account',
    },
  ],
  statusActions: statusActions({
    PAID: 'fulfillment PROCESSING',
    OUT_FOR_DELIVERY: 'fulfillment SENT (+ shipment)',
    DELIVERED: 'fulfillment PICKED_UP',
    RETURNED: 'fulfillment RETURNED',
    CANCELLED: 'fulfillment CANCELLED',
  }),
  conventions: {
    describe: (res) => {
      const body = res.body as { errors?: { message?: string; userMessage?: string }[]; error_description?: string } | undefined;
      return body?.errors?.map((e) => e.userMessage ?? e.message).join('; ') ?? body?.error_description;
    },
  },
  open: ({ http, baseUrl, credentials }) => ({ http, base: baseUrl, headers: { authorization: `Bearer ${credentials.accessToken}`, accept: MEDIA } }),
  async account(api) {
    const me = reader('allegro', await api.http.json({ method: 'GET', url: `${api.base}/me`, headers: api.headers }));
    return { externalAccountId: me.id('id'), name: me.str('login'), currency: me.optObj('baseMarketplace')?.str('id') === 'allegro-pl' ? 'PLN' : undefined };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, offset: number | null, pageSize) {
      const body = reader(
        'allegro',
        await api.http.json({
          method: 'GET',
          url: `${api.base}/order/checkout-forms`,
          headers: api.headers,
          query: { 'updatedAt.gte': window.from.toISOString(), 'updatedAt.lte': window.until.toISOString(), offset: offset ?? 0, limit: pageSize },
        }),
      );
      const forms = body.arr('checkoutForms');
      const total = body.int('totalCount');
      const next = (offset ?? 0) + forms.length;
      return {
        entries: forms.map((f) => ({ externalId: f.str('id'), updatedAt: f.date('updatedAt', parseIsoInstant), payload: f.value })),
        next: forms.length > 0 && next < total ? next : null,
        total,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('allegro', payload);
    const total = r.obj('summary').obj('totalToPay');
    const currency = total.str('currency');
    const delivery = r.obj('delivery');
    const address = delivery.obj('address');
    const buyer = r.obj('buyer');
    const payment = r.obj('payment');
    const lines = r.arr('lineItems');
    return finishOrder('allegro', {
      externalId: r.str('id'),
      merchantReference: r.str('id'),
      platformStatus: `${r.str('status')}/${r.optObj('fulfillment')?.optStr('status') ?? 'NEW'}`,
      currency,
      totalAmount: total.money('amount', currency),
      amounts: {
        shipping: delivery.optObj('cost')?.money('amount', currency) ?? 0,
        // `price` is what the buyer paid per unit; the gap to originalPrice is the discount.
        discount: lines.reduce(
          (sum, li) => sum + (li.obj('originalPrice').money('amount', currency) - li.obj('price').money('amount', currency)) * li.int('quantity'),
          0,
        ),
        tax: 0,
        fees: r.optArr('surcharges').reduce((sum, s) => sum + s.obj('paidAmount').money('amount', currency), 0),
        taxIncluded: true,
      },
      customer: {
        name: fullName(buyer.optStr('firstName'), buyer.optStr('lastName')) || buyer.str('login'),
        email: buyer.optStr('email') ?? null,
        phone: buyer.optStr('phoneNumber') ?? address.optStr('phoneNumber'),
      },
      shippingAddress: {
        name: fullName(address.optStr('firstName'), address.optStr('lastName')) || (address.optStr('companyName') ?? ''),
        line1: address.str('street'),
        city: address.str('city'),
        postalCode: address.optStr('zipCode') ?? '',
        country: address.str('countryCode'),
      },
      lines: lines.map((li) => {
        const offer = li.obj('offer');
        return {
          sku: offer.optObj('external')?.optStr('id') ?? `offer:${offer.str('id')}`,
          name: offer.str('name'),
          quantity: li.positiveInt('quantity'),
          unitAmount: li.obj('originalPrice').money('amount', currency),
        };
      }),
      placedAt: (lines[0] ?? r.fail('lineItems', 'empty')).date('boughtAt', parseIsoInstant).toISOString(),
      updatedAt: r.date('updatedAt', parseIsoInstant).toISOString(),
      paymentMethodHint: paymentHint(payment.str('type'), payment.has('paidAmount'), payment.str('type') === 'CASH_ON_DELIVERY'),
    });
  },
  async push(api, id, status, details) {
    const url = `${api.base}/order/checkout-forms/${encodeURIComponent(id)}`;
    const headers = { ...api.headers, 'content-type': MEDIA };
    if (status === 'OUT_FOR_DELIVERY' && details.trackingNumber) {
      await api.http.send({
        method: 'POST',
        url: `${url}/shipments`,
        headers,
        json: { carrierId: details.carrier ?? 'OTHER', waybill: details.trackingNumber },
      });
    }
    const target = FULFILLMENT[status]!;
    await api.http.send({ method: 'PUT', url: `${url}/fulfillment`, headers, json: { status: target }, idempotent: true });
    return pushed(`fulfillment:${target}`);
  },
});
