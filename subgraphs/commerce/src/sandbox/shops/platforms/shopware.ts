import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const CLIENT_ID = 'SWIASIMSHOPWARE0123456789AB';
const CLIENT_SECRET = 'SimShopwareSecret0123456789abcdefXYZ';
const iso = (d: Date) => d.toISOString().replace('Z', '+00:00');
const TRANSITIONS: Record<string, Record<string, string>> = {
  order: { complete: 'completed', cancel: 'cancelled' },
  order_delivery: { ship: 'shipped', retour: 'returned' },
  order_transaction: { paid: 'paid', refund: 'refunded' },
};

interface Criteria {
  type?: string;
  operator?: string;
  field?: string;
  value?: unknown;
  parameters?: { gte?: string; lte?: string };
  queries?: Criteria[];
}

/** Evaluates the subset of the Shopware DAL filter language the connector sends (multi / range / equals). */
function matches(order: SimOrder, filter: Criteria): boolean {
  const fieldValue = (field: string) =>
    (field === 'updatedAt' ? order.payload.updatedAt : field === 'createdAt' ? order.payload.createdAt : undefined) as string | null;
  switch (filter.type) {
    case 'multi':
      return filter.operator === 'or' ? (filter.queries ?? []).some((q) => matches(order, q)) : (filter.queries ?? []).every((q) => matches(order, q));
    case 'equals':
      return fieldValue(filter.field!) === filter.value;
    case 'range': {
      const value = fieldValue(filter.field!);
      if (!value) return false;
      const t = Date.parse(value);
      return (!filter.parameters?.gte || t >= Date.parse(filter.parameters.gte)) && (!filter.parameters?.lte || t <= Date.parse(filter.parameters.lte));
    }
    default:
      return true;
  }
}

/** Shopware 6 Admin API: client-credentials token, POST /api/search/order with DAL criteria and totals, state transitions. */
export const shopwareSim: PlatformSim = {
  platform: 'shopware',
  defaultCurrency: 'EUR',
  defaultCountry: 'DE',
  credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  build: (s) => {
    const gross = (minor: number) => Number(s.fmt(minor));
    return {
      id: s.id,
      orderNumber: `1${s.id.padStart(4, '0')}`,
      orderDateTime: iso(s.placedAt),
      amountTotal: gross(s.totalMinor),
      amountNet: gross(s.totalMinor),
      shippingTotal: gross(s.shippingMinor),
      price: {
        netPrice: gross(s.totalMinor),
        totalPrice: gross(s.totalMinor),
        positionPrice: gross(s.itemsMinor),
        rawTotal: gross(s.totalMinor),
        taxStatus: 'gross',
        calculatedTaxes: [],
      },
      stateMachineState: { technicalName: 'open' },
      orderCustomer: { email: s.customer.email, firstName: s.customer.firstName, lastName: s.customer.lastName },
      currency: { isoCode: s.currency },
      lineItems: s.lines.map((l, i) => ({
        id: `li${s.id}${i}`,
        identifier: `product-${l.sku}`,
        label: l.name,
        quantity: l.quantity,
        unitPrice: gross(toMinorUnits(l.unitPrice, s.currency)),
        totalPrice: gross(toMinorUnits(l.unitPrice, s.currency) * l.quantity),
        type: 'product',
        payload: { productNumber: l.sku },
      })),
      deliveries: [
        {
          id: `d${s.id}`,
          stateMachineState: { technicalName: 'open' },
          shippingOrderAddress: {
            firstName: s.customer.firstName,
            lastName: s.customer.lastName,
            street: s.address.line1,
            additionalAddressLine1: s.address.line2 ?? null,
            zipcode: s.address.postalCode,
            city: s.address.city,
            phoneNumber: s.customer.phone ?? null,
            country: { iso: s.address.country },
          },
        },
      ],
      transactions: [
        {
          id: `t${s.id}`,
          paymentMethod: { technicalName: s.cashOnDelivery ? 'payment_cashpayment' : 'payment_prepayment' },
          stateMachineState: { technicalName: 'open' },
        },
      ],
      createdAt: iso(s.placedAt),
      updatedAt: iso(s.updatedAt),
    };
  },
  touch: (order: SimOrder, at) => {
    order.payload.updatedAt = iso(at);
  },
  handle(req, ctx) {
    const body = sim.parseJson(req.body);
    if (req.method === 'POST' && req.path === '/api/oauth/token') {
      if (body?.grant_type !== 'client_credentials' || body.client_id !== CLIENT_ID || body.client_secret !== CLIENT_SECRET) {
        return sim.json(401, { errors: [{ code: '0', status: '401', title: 'Unauthorized', detail: 'The user credentials were incorrect.' }] });
      }
      return sim.json(200, { token_type: 'Bearer', expires_in: 600, access_token: ctx.issueToken() });
    }
    if (!ctx.isIssuedToken(sim.bearer(req.headers.authorization)))
      return sim.json(401, { errors: [{ status: '401', title: 'Unauthorized', detail: 'Access token could not be verified.' }] });
    if (req.method === 'GET' && req.path === '/api/_info/version') return sim.json(200, { version: '6.5.8.14' });
    if (req.method === 'POST' && req.path === '/api/search/sales-channel')
      return sim.json(200, { total: 1, data: [{ id: '98432def39fc4624b33213a56b8c944d', name: 'Storefront', currency: { isoCode: 'EUR' } }] });
    if (req.method === 'POST' && req.path === '/api/search/order') {
      let all = ctx.orders();
      if (Array.isArray(body?.ids)) all = all.filter((o) => body.ids.includes(o.id));
      for (const filter of (body?.filter ?? []) as Criteria[]) all = all.filter((o) => matches(o, filter));
      all.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const limit = Number(body?.limit ?? 25);
      const page = Number(body?.page ?? 1);
      return sim.json(200, { total: all.length, data: all.slice((page - 1) * limit, page * limit).map((o) => o.payload) });
    }
    const m = /^\/api\/_action\/(order|order_delivery|order_transaction)\/([^/]+)\/state\/([a-z_]+)$/.exec(req.path);
    if (req.method === 'POST' && m) {
      const [, entity, entityId, transition] = m as unknown as [string, string, string, string];
      const state = TRANSITIONS[entity]?.[transition];
      const order = ctx
        .orders()
        .find((o) => (entity === 'order' ? o.id === entityId : entity === 'order_delivery' ? `d${o.id}` === entityId : `t${o.id}` === entityId));
      if (!order) return sim.json(404, { errors: [{ status: '404', title: 'Not Found', detail: `${entity} ${entityId} not found` }] });
      if (!state) return sim.json(400, { errors: [{ status: '400', title: 'Bad Request', detail: `Illegal transition "${transition}"` }] });
      ctx.recordPush(order.id, `${entity}:${transition}`, body ?? {}, state);
      return sim.json(200, { technicalName: state });
    }
    return sim.json(404, { errors: [{ status: '404', title: 'Not Found', detail: `No route found for "${req.method} ${req.path}"` }] });
  },
};
