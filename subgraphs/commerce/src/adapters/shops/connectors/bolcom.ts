import { defineConnector } from '../connector.ts';
import { basicAuth, type HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { chunk, pushed, statusActions } from './common.ts';

/**
 * bol.com Retailer API v10. Auth: client credentials at login.bol.com/token (HTTP Basic client id:secret) → Bearer;
 * media type application/vnd.retailer.v10+json. Sync: GET /retailer/orders?status=ALL&latest-change-date=YYYY-MM-DD
 * for each day of the window (bol offers no finer range filter), pages of 50 until an empty page; an order's update
 * time is the latest latestChangedDateTime of its items, and the full order comes from GET /retailer/orders/{id}.
 * Status push: PUT /retailer/orders/shipment and /retailer/orders/cancellation (both asynchronous, 202).
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  clientId: string;
}

const MEDIA = 'application/vnd.retailer.v10+json';
const DAY = 86_400_000;

export const bolcom = defineConnector<Api>({
  platform: 'bolcom',
  kind: 'marketplace',
  displayName: 'bol.com',
  defaultAuthBaseUrl: 'https://login.bol.com',
  credentialFields: [
    {
      key: 'clientId',
      label: 'Client ID',
      secret: false,
      required: true,
      pattern: /^[0-9a-f-]{36}$/,
      hint: 'the API credentials client id (UUID) from the bol.com seller dashboard',
    },
    { key: 'clientSecret', label: 'Client secret', secret: true, required: true, pattern: /^[A-Za-z0-9_-]{20,}$/, hint: 'the matching client secret' },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'PUT /retailer/orders/shipment', CANCELLED: 'PUT /retailer/orders/cancellation' }),
  conventions: {
    describe: (res) => (res.body as { detail?: string; title?: string } | undefined)?.detail ?? (res.body as { title?: string } | undefined)?.title,
  },
  async open({ http, baseUrl, authBaseUrl, credentials }) {
    const token = reader(
      'bolcom',
      await http.json({
        method: 'POST',
        url: `${authBaseUrl}/token`,
        query: { grant_type: 'client_credentials' },
        headers: { authorization: basicAuth(credentials.clientId!, credentials.clientSecret!) },
        idempotent: true,
      }),
    );
    return {
      http,
      base: `${baseUrl}/retailer`,
      headers: { authorization: `Bearer ${token.str('access_token')}`, accept: MEDIA },
      clientId: credentials.clientId!,
    };
  },
  async account(api) {
    // There is no "who am I" endpoint; a first order page proves the token has the orders scope.
    await api.http.json({ method: 'GET', url: `${api.base}/orders`, headers: api.headers, query: { status: 'ALL', page: 1 } });
    return { externalAccountId: api.clientId, name: `bol.com retailer ${api.clientId.slice(0, 8)}`, currency: 'EUR' };
  },
  sync: {
    maxPageSize: 50,
    async list(api, window, state: { day: number; page: number } | null) {
      const firstDay = Math.floor(window.from.getTime() / DAY) * DAY;
      const { day, page } = state ?? { day: firstDay, page: 1 };
      const body = await api.http.json({
        method: 'GET',
        url: `${api.base}/orders`,
        headers: api.headers,
        query: { status: 'ALL', 'fulfilment-method': 'ALL', 'latest-change-date': new Date(day).toISOString().slice(0, 10), page },
      });
      // An empty page is {} without the orders key.
      const orders = reader('bolcom', body).optArr('orders');
      const entries = orders.map((o) => ({
        externalId: o.str('orderId'),
        updatedAt: new Date(Math.max(...o.arr('orderItems').map((i) => i.date('latestChangedDateTime', parseIsoInstant).getTime()))),
      }));
      const lastDay = Math.floor(window.until.getTime() / DAY) * DAY;
      const next = orders.length > 0 ? { day, page: page + 1 } : day < lastDay ? { day: day + DAY, page: 1 } : null;
      return { entries, next };
    },
    async load(api, entries) {
      const out: unknown[] = [];
      for (const group of chunk(entries, 5)) {
        out.push(
          ...(await Promise.all(
            group.map((e) => api.http.json({ method: 'GET', url: `${api.base}/orders/${encodeURIComponent(e.externalId)}`, headers: api.headers })),
          )),
        );
      }
      return out;
    },
  },
  mapOrder(payload) {
    const r = reader('bolcom', payload);
    const ship = r.obj('shipmentDetails');
    const items = r.arr('orderItems').filter((i) => i.int('quantity') - (i.has('quantityCancelled') ? i.int('quantityCancelled') : 0) > 0);
    const currency = 'EUR';
    const lines = items.map((i) => ({
      sku: i.optObj('offer')?.optStr('reference') ?? i.obj('product').str('ean'),
      name: i.obj('product').str('title'),
      quantity: i.positiveInt('quantity') - (i.has('quantityCancelled') ? i.int('quantityCancelled') : 0),
      unitAmount: i.money('unitPrice', currency),
    }));
    const updated = Math.max(...r.arr('orderItems').map((i) => i.date('latestChangedDateTime', parseIsoInstant).getTime()));
    return finishOrder('bolcom', {
      externalId: r.str('orderId'),
      merchantReference: r.str('orderId'),
      platformStatus: items.every((i) => i.int('quantityShipped') >= i.int('quantity')) ? 'SHIPPED' : 'OPEN',
      currency,
      // bol.com charges the customer the item prices (shipping is free or bol's); the order total is their sum.
      totalAmount: lines.reduce((sum, l) => sum + l.unitAmount * l.quantity, 0),
      amounts: { shipping: 0, discount: 0, tax: 0, taxIncluded: true },
      customer: {
        name: fullName(ship.optStr('firstName'), ship.optStr('surname')),
        email: ship.optStr('email') ?? null,
        phone: ship.optStr('deliveryPhoneNumber'),
      },
      shippingAddress: {
        name: fullName(ship.optStr('firstName'), ship.optStr('surname')),
        line1: [ship.str('streetName'), ship.str('houseNumber'), ship.optStr('houseNumberExtension')].filter(Boolean).join(' '),
        line2: ship.optStr('extraAddressInformation'),
        city: ship.str('city'),
        postalCode: ship.str('zipCode'),
        country: ship.str('countryCode'),
      },
      lines,
      placedAt: r.date('orderPlacedDateTime', parseIsoInstant).toISOString(),
      updatedAt: new Date(updated).toISOString(),
      paymentMethodHint: { kind: 'prepaid', label: 'bol.com' },
    });
  },
  async push(api, id, status, details) {
    const order = reader('bolcom', await api.http.json({ method: 'GET', url: `${api.base}/orders/${encodeURIComponent(id)}`, headers: api.headers }));
    const items = order.arr('orderItems');
    const headers = { ...api.headers, 'content-type': MEDIA };
    if (status === 'CANCELLED') {
      await api.http.send({
        method: 'PUT',
        url: `${api.base}/orders/cancellation`,
        headers,
        json: { orderItems: items.map((i) => ({ orderItemId: i.str('orderItemId'), reasonCode: 'REQUESTED_BY_CUSTOMER' })) },
      });
      return pushed('cancellation');
    }
    await api.http.send({
      method: 'PUT',
      url: `${api.base}/orders/shipment`,
      headers,
      json: {
        orderItems: items.map((i) => ({ orderItemId: i.str('orderItemId'), quantity: i.int('quantity') })),
        shipmentReference: id,
        transport: details.trackingNumber ? { transporterCode: details.carrier ?? 'OTHER', trackAndTrace: details.trackingNumber } : undefined,
      },
    });
    return pushed('shipment');
  },
});
