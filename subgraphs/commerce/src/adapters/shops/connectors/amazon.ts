import { defineConnector } from '../connector.ts';
import { ConnectorPayloadError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader, type Reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, statusActions, unitFromLineTotal } from './common.ts';

/**
 * Amazon Selling Partner API, Orders v0. Auth: Login with Amazon refresh-token grant (api.amazon.com/auth/o2/token)
 * → x-amz-access-token; buyer PII (address, e-mail) needs a Restricted Data Token from the Tokens API, used for
 * getOrders. Sync: GET /orders/v0/orders with MarketplaceIds, LastUpdatedAfter/LastUpdatedBefore (which must lie at
 * least two minutes in the past) and MaxResultsPerPage; NextToken pages (a NextToken request carries only it and the
 * marketplace ids). Items: GET /orders/v0/orders/{id}/orderItems. Payload: { order, items }.
 * Status push: shipment confirmation for seller-fulfilled orders; Amazon itself drives payment and delivery states.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
  marketplaceId: string;
  sellerId: string;
}

export const amazon = defineConnector<Api>({
  platform: 'amazon',
  kind: 'marketplace',
  displayName: 'Amazon (SP-API)',
  defaultAuthBaseUrl: 'https://api.amazon.com',
  credentialFields: [
    {
      key: 'sellerId',
      label: 'Seller ID (merchant token)',
      secret: false,
      required: true,
      pattern: /^A[A-Z0-9]{9,20}$/,
      hint: 'your merchant token, e.g. A2EUQ1WTGCTBG2',
    },
    { key: 'marketplaceId', label: 'Marketplace ID', secret: false, required: true, pattern: /^[A-Z0-9]{10,14}$/, hint: 'e.g. A1PA6795UKMFR9 for amazon.de' },
    {
      key: 'lwaClientId',
      label: 'LWA client id',
      secret: false,
      required: true,
      pattern: /^amzn1\.application-oa2-client\.[a-f0-9]{32}$/,
      hint: 'amzn1.application-oa2-client.… of your SP-API app',
    },
    { key: 'lwaClientSecret', label: 'LWA client secret', secret: true, required: true, hint: 'the client secret of that LWA app' },
    {
      key: 'refreshToken',
      label: 'Refresh token',
      secret: true,
      required: true,
      pattern: /^Atzr\|.+/,
      hint: 'Atzr|… refresh token from the seller authorization',
    },
  ],
  statusActions: statusActions({ OUT_FOR_DELIVERY: 'POST /orders/v0/orders/{id}/shipmentConfirmation' }),
  conventions: {
    describe: (res) => {
      const body = res.body as { errors?: { code?: string; message?: string }[]; error_description?: string; error?: string } | undefined;
      return body?.errors?.map((e) => `${e.code}: ${e.message}`).join('; ') ?? body?.error_description ?? body?.error;
    },
  },
  async open({ http, baseUrl, authBaseUrl, credentials }) {
    const lwa = reader(
      'amazon',
      await http.json({
        method: 'POST',
        url: `${authBaseUrl}/auth/o2/token`,
        form: {
          grant_type: 'refresh_token',
          refresh_token: credentials.refreshToken!,
          client_id: credentials.lwaClientId!,
          client_secret: credentials.lwaClientSecret!,
        },
        idempotent: true,
      }),
    );
    return {
      http,
      base: baseUrl,
      headers: { 'x-amz-access-token': lwa.str('access_token') },
      marketplaceId: credentials.marketplaceId!,
      sellerId: credentials.sellerId!,
    };
  },
  async account(api) {
    const participations = reader(
      'amazon',
      await api.http.json({ method: 'GET', url: `${api.base}/sellers/v1/marketplaceParticipations`, headers: api.headers }),
    ).arr('payload');
    const match = participations.find((p) => p.obj('marketplace').str('id') === api.marketplaceId);
    if (!match) throw new ConnectorPayloadError('amazon', '$.payload', `seller does not participate in marketplace ${api.marketplaceId}`);
    const marketplace = match.obj('marketplace');
    return {
      externalAccountId: `${api.sellerId}/${api.marketplaceId}`,
      name: `${api.sellerId} on ${marketplace.str('name')}`,
      currency: marketplace.optStr('defaultCurrencyCode'),
    };
  },
  sync: {
    maxPageSize: 100,
    minSettleMs: 120_000,
    async list(api, window, nextToken: string | null, pageSize) {
      const rdt = await restrictedToken(api);
      const query = nextToken
        ? { MarketplaceIds: api.marketplaceId, NextToken: nextToken }
        : {
            MarketplaceIds: api.marketplaceId,
            LastUpdatedAfter: window.from.toISOString(),
            LastUpdatedBefore: window.until.toISOString(),
            MaxResultsPerPage: pageSize,
          };
      const payload = reader(
        'amazon',
        await api.http.json({ method: 'GET', url: `${api.base}/orders/v0/orders`, headers: { 'x-amz-access-token': rdt }, query }),
      ).obj('payload');
      return {
        entries: payload
          .arr('Orders')
          .map((o) => ({ externalId: o.str('AmazonOrderId'), updatedAt: o.date('LastUpdateDate', parseIsoInstant), summary: o.value })),
        next: payload.optStr('NextToken') ?? null,
      };
    },
    async load(api, entries) {
      const out: unknown[] = [];
      for (const entry of entries) out.push({ order: entry.summary, items: await orderItems(api, entry.externalId) });
      return out;
    },
  },
  mapOrder(payload) {
    const r = reader('amazon', payload);
    const o = r.obj('order');
    const total = o.obj('OrderTotal');
    const currency = total.str('CurrencyCode');
    const address = o.obj('ShippingAddress');
    const buyer = o.optObj('BuyerInfo');
    const items = r.arr('items');
    const sum = (key: string) => items.reduce((acc, i) => acc + (i.optObj(key)?.money('Amount', currency) ?? 0), 0);
    const methods = o.optArr('PaymentMethodDetails').map((m) => String(m.value));
    return finishOrder('amazon', {
      externalId: o.str('AmazonOrderId'),
      merchantReference: o.optStr('SellerOrderId') ?? o.str('AmazonOrderId'),
      platformStatus: o.str('OrderStatus'),
      currency,
      totalAmount: total.money('Amount', currency),
      amounts: {
        shipping: sum('ShippingPrice'),
        discount: sum('PromotionDiscount') + sum('ShippingDiscount'),
        tax: sum('ItemTax') + sum('ShippingTax'),
        // Marketplaces with VAT-inclusive prices (EU, UK, JP) report ItemPrice gross; US prices are net of sales tax.
        taxIncluded: !['ATVPDKIKX0DER', 'A2EUQ1WTGCTBG2', 'A1AM78C64UM0Y8'].includes(o.optStr('MarketplaceId') ?? ''),
      },
      customer: {
        name: buyer?.optStr('BuyerName') ?? address.str('Name'),
        email: buyer?.optStr('BuyerEmail') ?? null,
        phone: address.optStr('Phone'),
      },
      shippingAddress: {
        name: address.str('Name'),
        line1: address.str('AddressLine1'),
        line2: [address.optStr('AddressLine2'), address.optStr('AddressLine3')].filter(Boolean).join(', ') || undefined,
        city: address.str('City'),
        postalCode: address.optStr('PostalCode') ?? '',
        region: address.optStr('StateOrRegion'),
        country: address.str('CountryCode'),
      },
      lines: items.map((i: Reader) => {
        const quantity = i.positiveInt('QuantityOrdered');
        // ItemPrice is the price of the whole quantity, not of one unit.
        return {
          sku: i.optStr('SellerSKU') ?? i.str('ASIN'),
          name: i.str('Title'),
          quantity,
          unitAmount: unitFromLineTotal(i.obj('ItemPrice').money('Amount', currency), quantity),
        };
      }),
      placedAt: o.date('PurchaseDate', parseIsoInstant).toISOString(),
      updatedAt: o.date('LastUpdateDate', parseIsoInstant).toISOString(),
      paymentMethodHint: paymentHint(
        [o.optStr('PaymentMethod'), ...methods].filter(Boolean).join(', ') || undefined,
        o.str('OrderStatus') !== 'Pending',
        o.optStr('PaymentMethod') === 'COD' || methods.includes('CashOnDelivery'),
      ),
    });
  },
  async push(api, id, _status, details) {
    const items = reader('amazon', { items: await orderItems(api, id) }).arr('items');
    await api.http.send({
      method: 'POST',
      url: `${api.base}/orders/v0/orders/${encodeURIComponent(id)}/shipmentConfirmation`,
      headers: api.headers,
      json: {
        marketplaceId: api.marketplaceId,
        packageDetail: {
          packageReferenceId: '1',
          carrierCode: details.carrier ?? 'Other',
          carrierName: details.carrier ?? 'IPAY',
          trackingNumber: details.trackingNumber ?? id,
          shipDate: new Date().toISOString(),
          orderItems: items.map((i) => ({ orderItemId: i.str('OrderItemId'), quantity: i.int('QuantityOrdered') })),
        },
      },
    });
    return pushed('shipmentConfirmation');
  },
});

async function restrictedToken(api: Api): Promise<string> {
  const body = await api.http.json({
    method: 'POST',
    url: `${api.base}/tokens/2021-03-01/restrictedDataToken`,
    headers: api.headers,
    json: { restrictedResources: [{ method: 'GET', path: '/orders/v0/orders', dataElements: ['buyerInfo', 'shippingAddress'] }] },
    idempotent: true,
  });
  return reader('amazon', body).str('restrictedDataToken');
}

async function orderItems(api: Api, id: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let next: string | undefined;
  do {
    const payload = reader(
      'amazon',
      await api.http.json({
        method: 'GET',
        url: `${api.base}/orders/v0/orders/${encodeURIComponent(id)}/orderItems`,
        headers: api.headers,
        query: next ? { NextToken: next } : undefined,
      }),
    ).obj('payload');
    items.push(...payload.arr('OrderItems').map((i) => i.value));
    next = payload.optStr('NextToken');
  } while (next);
  return items;
}
