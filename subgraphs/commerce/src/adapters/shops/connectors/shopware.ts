import { defineConnector } from '../connector.ts';
import { ConnectorPayloadError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, fullName, reader } from '../payload.ts';
import { parseIsoInstant } from '../values.ts';
import { paymentHint, pushed, statusActions } from './common.ts';

/**
 * Shopware 6 Admin API. Auth: integration client credentials → POST /api/oauth/token (Bearer, ~10 min). Sync: POST
 * /api/search/order with a multi filter (updatedAt in range, or never updated and createdAt in range — Shopware leaves
 * updatedAt null until the first change), associations for lines/deliveries/customer/currency/transactions,
 * total-count-mode=1 for totals, page/limit. Status push: state-machine transitions on the order, its delivery or its
 * transaction.
 */
interface Api {
  http: HttpClient;
  base: string;
  headers: Record<string, string>;
}

const ASSOCIATIONS = {
  lineItems: {},
  currency: {},
  orderCustomer: {},
  stateMachineState: {},
  deliveries: { associations: { shippingOrderAddress: { associations: { country: {} } }, stateMachineState: {} } },
  transactions: { associations: { paymentMethod: {}, stateMachineState: {} } },
};

const TRANSITIONS: Partial<Record<string, [entity: 'order' | 'order_delivery' | 'order_transaction', transition: string]>> = {
  PAID: ['order_transaction', 'paid'],
  OUT_FOR_DELIVERY: ['order_delivery', 'ship'],
  DELIVERED: ['order', 'complete'],
  RETURNED: ['order_delivery', 'retour'],
  REFUNDED: ['order_transaction', 'refund'],
  CANCELLED: ['order', 'cancel'],
};

const range = (field: string, from: Date, until: Date) => ({ type: 'range', field, parameters: { gte: from.toISOString(), lte: until.toISOString() } });

export const shopware = defineConnector<Api>({
  platform: 'shopware',
  kind: 'shop',
  displayName: 'Shopware 6',
  credentialFields: [
    { key: 'clientId', label: 'Access key ID', secret: false, required: true, pattern: /^SW[A-Z0-9]{20,}$/, hint: 'integration access key id (SWIA…)' },
    {
      key: 'clientSecret',
      label: 'Secret access key',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9]{30,}$/,
      hint: 'the integration secret shown once when it was created',
    },
  ],
  statusActions: statusActions({
    PAID: 'order_transaction → paid',
    OUT_FOR_DELIVERY: 'order_delivery → ship',
    DELIVERED: 'order → complete',
    RETURNED: 'order_delivery → retour',
    REFUNDED: 'order_transaction → refund',
    CANCELLED: 'order → cancel',
  }),
  conventions: {
    describe: (res) => {
      const errors = (res.body as { errors?: { title?: string; detail?: string }[] } | undefined)?.errors;
      return errors?.map((e) => e.detail ?? e.title).join('; ');
    },
  },
  async open({ http, baseUrl, credentials }) {
    const token = reader(
      'shopware',
      await http.json({
        method: 'POST',
        url: `${baseUrl}/api/oauth/token`,
        json: { grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret },
        idempotent: true,
      }),
    );
    return { http, base: `${baseUrl}/api`, headers: { authorization: `Bearer ${token.str('access_token')}` } };
  },
  async account(api) {
    const version = reader('shopware', await api.http.json({ method: 'GET', url: `${api.base}/_info/version`, headers: api.headers })).str('version');
    const channel = reader(
      'shopware',
      await api.http.json({
        method: 'POST',
        url: `${api.base}/search/sales-channel`,
        headers: api.headers,
        json: { limit: 1, associations: { currency: {} } },
        idempotent: true,
      }),
    ).arr('data')[0];
    if (!channel) throw new ConnectorPayloadError('shopware', '$.data', 'no sales channel');
    return {
      externalAccountId: channel.str('id'),
      name: `${channel.str('name')} (Shopware ${version})`,
      currency: channel.optObj('currency')?.optStr('isoCode'),
    };
  },
  sync: {
    maxPageSize: 100,
    async list(api, window, page: number | null, pageSize) {
      const current = page ?? 1;
      const body = reader(
        'shopware',
        await api.http.json({
          method: 'POST',
          url: `${api.base}/search/order`,
          headers: api.headers,
          idempotent: true,
          json: {
            page: current,
            limit: pageSize,
            'total-count-mode': 1,
            filter: [
              {
                type: 'multi',
                operator: 'or',
                queries: [
                  range('updatedAt', window.from, window.until),
                  {
                    type: 'multi',
                    operator: 'and',
                    queries: [{ type: 'equals', field: 'updatedAt', value: null }, range('createdAt', window.from, window.until)],
                  },
                ],
              },
            ],
            sort: [
              { field: 'createdAt', order: 'ASC' },
              { field: 'id', order: 'ASC' },
            ],
            associations: ASSOCIATIONS,
          },
        }),
      );
      const total = body.int('total');
      return {
        entries: body
          .arr('data')
          .map((o) => ({ externalId: o.str('id'), updatedAt: o.date(o.has('updatedAt') ? 'updatedAt' : 'createdAt', parseIsoInstant), payload: o.value })),
        next: current * pageSize < total ? current + 1 : null,
        total,
      };
    },
  },
  mapOrder(payload) {
    const r = reader('shopware', payload);
    const currency = r.obj('currency').str('isoCode');
    const price = r.obj('price');
    const delivery = r.arr('deliveries')[0] ?? r.fail('deliveries', 'order has no delivery');
    const address = delivery.obj('shippingOrderAddress');
    const customer = r.obj('orderCustomer');
    const items = r.arr('lineItems');
    const products = items.filter((li) => li.str('type') !== 'promotion');
    const promotions = items.filter((li) => li.str('type') === 'promotion');
    const transaction = r.optArr('transactions')[0];
    const method = transaction?.optObj('paymentMethod');
    const gross = price.str('taxStatus') !== 'net';
    return finishOrder('shopware', {
      externalId: r.str('id'),
      merchantReference: r.str('orderNumber'),
      platformStatus: r.optObj('stateMachineState')?.optStr('technicalName') ?? 'open',
      currency,
      totalAmount: r.money('amountTotal', currency, { rounding: 'halfUp' }),
      amounts: {
        shipping: r.money('shippingTotal', currency, { rounding: 'halfUp' }),
        discount: -promotions.reduce((sum, p) => sum + p.money('totalPrice', currency, { allowNegative: true, rounding: 'halfUp' }), 0),
        tax: r.money('amountTotal', currency, { rounding: 'halfUp' }) - r.money('amountNet', currency, { rounding: 'halfUp' }),
        taxIncluded: gross,
      },
      customer: {
        name: fullName(customer.optStr('firstName'), customer.optStr('lastName')),
        email: customer.optStr('email') ?? null,
        phone: address.optStr('phoneNumber'),
      },
      shippingAddress: {
        name: fullName(address.optStr('firstName'), address.optStr('lastName')),
        line1: address.str('street'),
        line2: address.optStr('additionalAddressLine1'),
        city: address.str('city'),
        postalCode: address.optStr('zipcode') ?? '',
        country: address.obj('country').str('iso'),
      },
      lines: products.map((li) => ({
        sku: li.optObj('payload')?.optStr('productNumber') ?? li.str('identifier'),
        name: li.str('label'),
        quantity: li.positiveInt('quantity'),
        unitAmount: li.money('unitPrice', currency, { rounding: 'halfUp' }),
      })),
      placedAt: r.date('orderDateTime', parseIsoInstant).toISOString(),
      updatedAt: r.date(r.has('updatedAt') ? 'updatedAt' : 'createdAt', parseIsoInstant).toISOString(),
      paymentMethodHint: paymentHint(
        method?.optStr('technicalName') ?? method?.optStr('handlerIdentifier') ?? method?.optStr('name'),
        transaction?.optObj('stateMachineState')?.optStr('technicalName') === 'paid',
      ),
    });
  },
  async push(api, id, status) {
    const [entity, transition] = TRANSITIONS[status]!;
    let entityId = id;
    if (entity !== 'order') {
      const order = reader(
        'shopware',
        await api.http.json({
          method: 'POST',
          url: `${api.base}/search/order`,
          headers: api.headers,
          idempotent: true,
          json: { ids: [id], associations: { deliveries: {}, transactions: {} } },
        }),
      ).arr('data')[0];
      if (!order) throw new ConnectorPayloadError('shopware', '$.data', `order ${id} not found`);
      const list = order.arr(entity === 'order_delivery' ? 'deliveries' : 'transactions');
      entityId = (list[list.length - 1] ?? order.fail(entity, 'missing')).str('id');
    }
    await api.http.send({
      method: 'POST',
      url: `${api.base}/_action/${entity}/${encodeURIComponent(entityId)}/state/${transition}`,
      headers: api.headers,
      json: {},
    });
    return pushed(`${entity}:${transition}`);
  },
});
