import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const PREFIX = '/admin/api/2024-07';
const TOKEN = 'shpat_sim0123456789abcdef0123';
const fulfillments = new WeakMap<SimOrder, { id: number; status: string; events: string[] }[]>();
let fulfillmentIds = 5000;

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

export const shopifySim: PlatformSim = {
  platform: 'shopify',
  defaultCurrency: 'EUR',
  defaultCountry: 'NL',
  credentials: { accessToken: TOKEN },
  build: (s) => ({
    id: Number(s.id),
    name: `#${s.id}`,
    email: s.customer.email,
    phone: s.customer.phone ?? null,
    currency: s.currency,
    created_at: iso(s.placedAt),
    updated_at: iso(s.updatedAt),
    cancelled_at: null,
    financial_status: 'pending',
    fulfillment_status: null,
    taxes_included: true,
    total_price: s.fmt(s.totalMinor),
    subtotal_price: s.fmt(s.itemsMinor),
    total_tax: '0.00',
    total_discounts: s.fmt(0),
    total_outstanding: s.fmt(s.totalMinor),
    payment_gateway_names: [s.cashOnDelivery ? 'Cash on Delivery (COD)' : 'shopify_payments'],
    customer: { id: 9000 + Number(s.id), first_name: s.customer.firstName, last_name: s.customer.lastName, email: s.customer.email },
    shipping_address: {
      first_name: s.customer.firstName,
      last_name: s.customer.lastName,
      name: `${s.customer.firstName} ${s.customer.lastName}`,
      address1: s.address.line1,
      address2: s.address.line2 ?? null,
      city: s.address.city,
      zip: s.address.postalCode,
      province: null,
      country_code: s.address.country,
      phone: s.customer.phone ?? null,
    },
    line_items: s.lines.map((l, i) => ({
      id: Number(s.id) * 10 + i,
      variant_id: 700 + i,
      sku: l.sku,
      name: l.name,
      title: l.name,
      quantity: l.quantity,
      price: l.unitPrice,
      total_discount: '0.00',
    })),
    shipping_lines: [{ id: 1, title: 'Standard', price: s.shipping }],
  }),
  touch: (order, at) => {
    order.payload.updated_at = iso(at);
  },
  handle(req, ctx) {
    if (req.headers['x-shopify-access-token'] !== TOKEN) {
      return sim.json(401, { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
    }
    if (!req.path.startsWith(PREFIX)) return sim.notFound(req.path);
    const path = req.path.slice(PREFIX.length);
    const body = sim.parseJson(req.body);
    if (req.method === 'GET' && path === '/shop.json') {
      return sim.json(200, {
        shop: { id: 548380009, name: 'Sim Shop', email: 'owner@sim.example', currency: 'EUR', myshopify_domain: 'sim-shop.myshopify.com' },
      });
    }
    if (req.method === 'GET' && path === '/orders.json') return listOrders(req.query, req.root, ctx.orders());
    if (req.method === 'POST' && path === '/fulfillments.json') {
      const foId = body?.fulfillment?.line_items_by_fulfillment_order?.[0]?.fulfillment_order_id;
      const order = ctx.orders().find((o) => Number(o.id) * 3 === foId);
      if (!order) return sim.json(422, { errors: ['Fulfillment order does not exist'] });
      const f = { id: fulfillmentIds++, status: 'success', events: [] as string[] };
      fulfillments.set(order, [...(fulfillments.get(order) ?? []), f]);
      order.payload.fulfillment_status = 'fulfilled';
      ctx.recordPush(order.id, 'fulfillment.create', body, 'fulfilled');
      return sim.json(201, {
        fulfillment: { id: f.id, order_id: Number(order.id), status: f.status, tracking_number: body.fulfillment.tracking_info?.number ?? null },
      });
    }
    const m = /^\/orders\/(\d+)(?:\/([a-z_]+)(?:\/(\d+)\/(events))?)?\.json$/.exec(path);
    const order = m ? ctx.get(m[1]!) : undefined;
    if (!m || !order) return sim.json(404, { errors: 'Not Found' });
    const sub = m[2];
    if (req.method === 'GET' && !sub) {
      const fields = req.query.get('fields')?.split(',');
      const full = order.payload;
      return sim.json(200, { order: fields ? Object.fromEntries(fields.map((f) => [f, full[f]])) : full });
    }
    if (req.method === 'GET' && sub === 'fulfillments') {
      return sim.json(200, { fulfillments: (fulfillments.get(order) ?? []).map((f) => ({ id: f.id, order_id: Number(order.id), status: f.status })) });
    }
    if (req.method === 'GET' && sub === 'fulfillment_orders') {
      const open = (fulfillments.get(order) ?? []).length === 0 && !order.payload.cancelled_at;
      return sim.json(200, { fulfillment_orders: [{ id: Number(order.id) * 3, order_id: Number(order.id), status: open ? 'open' : 'closed' }] });
    }
    if (req.method === 'POST' && sub === 'transactions') {
      if (body?.transaction?.kind !== 'capture') return sim.json(422, { errors: { kind: ['is not supported'] } });
      order.payload.financial_status = 'paid';
      order.payload.total_outstanding = '0.00';
      ctx.recordPush(order.id, 'transaction.capture', body, 'paid');
      return sim.json(201, { transaction: { id: 1, kind: 'capture', status: 'success', amount: body.transaction.amount } });
    }
    if (req.method === 'POST' && sub === 'cancel') {
      order.payload.cancelled_at = new Date().toISOString();
      ctx.recordPush(order.id, 'cancel', body, 'cancelled');
      return sim.json(200, { order: order.payload });
    }
    if (req.method === 'POST' && sub === 'fulfillments' && m[4] === 'events') {
      const f = (fulfillments.get(order) ?? []).find((x) => x.id === Number(m[3]));
      if (!f) return sim.json(404, { errors: 'Not Found' });
      f.events.push(body?.event?.status);
      ctx.recordPush(order.id, `fulfillment_event.${body?.event?.status}`, body, body?.event?.status);
      return sim.json(201, { fulfillment_event: { id: 1, fulfillment_id: f.id, status: body?.event?.status } });
    }
    return sim.notFound(path);
  },
};

/** Keyset pagination like Shopify's page_info: the token encodes the filters and the last (updated_at, id) served. */
function listOrders(query: URLSearchParams, root: string, orders: SimOrder[]) {
  const limit = Math.min(Number(query.get('limit') ?? 50), 250);
  let state: { min?: string; max?: string; after?: [number, string] };
  const pageInfo = query.get('page_info');
  if (pageInfo) {
    if ([...query.keys()].some((k) => k !== 'page_info' && k !== 'limit')) {
      return sim.json(400, { errors: { page_info: 'Invalid value: only limit may be combined with page_info' } });
    }
    state = JSON.parse(Buffer.from(pageInfo, 'base64url').toString('utf8'));
  } else {
    if (query.get('order') !== 'updated_at asc') return sim.json(400, { errors: { order: 'simulator expects updated_at asc' } });
    state = { min: query.get('updated_at_min') ?? undefined, max: query.get('updated_at_max') ?? undefined };
  }
  const matching = sim
    .inWindow(orders, sim.date(state.min ?? null), sim.date(state.max ?? null))
    .filter(
      (o) => !state.after || o.updatedAt.getTime() > state.after[0] || (o.updatedAt.getTime() === state.after[0] && Number(o.id) > Number(state.after[1])),
    );
  const page = matching.slice(0, limit);
  const headers: Record<string, string> = {};
  if (matching.length > limit) {
    const last = page[page.length - 1]!;
    const token = Buffer.from(JSON.stringify({ min: state.min, max: state.max, after: [last.updatedAt.getTime(), last.id] })).toString('base64url');
    headers.link = `<${root}${PREFIX}/orders.json?limit=${limit}&page_info=${token}>; rel="next"`;
  }
  return sim.json(200, { orders: page.map((o) => o.payload) }, headers);
}
