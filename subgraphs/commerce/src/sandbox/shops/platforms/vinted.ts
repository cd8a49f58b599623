import { hmacSha256Hex } from '../../../adapters/shops/signing.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const ACCESS_KEY = 'simVintedAccess0001';
const SIGNING_KEY = 'simVintedSigningKey0123456789abcdef';
const MAX_SKEW_SECONDS = 300;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Vinted Pro (as the connector models it): signed requests, page/per_page with pagination totals, shipment push. */
export const vintedSim: PlatformSim = {
  platform: 'vinted',
  defaultCurrency: 'EUR',
  defaultCountry: 'DE',
  credentials: { accessKey: ACCESS_KEY, signingKey: SIGNING_KEY },
  build: (s) => ({
    id: Number(s.id),
    status: 'paid',
    currency: s.currency,
    total_price: s.fmt(s.totalMinor),
    shipping_price: s.shipping,
    discount: s.fmt(0),
    buyer_protection_fee: s.fmt(0),
    buyer: { id: 7000 + Number(s.id), username: `${s.customer.firstName.toLowerCase()}_${s.id}` },
    shipping_address: {
      name: `${s.customer.firstName} ${s.customer.lastName}`,
      line1: s.address.line1,
      line2: s.address.line2 ?? '',
      city: s.address.city,
      postal_code: s.address.postalCode,
      country_code: s.address.country,
    },
    items: s.lines.map((l, i) => ({ id: Number(s.id) * 10 + i, title: l.name, sku: l.sku, quantity: l.quantity, price: l.unitPrice })),
    created_at: iso(s.placedAt),
    updated_at: iso(s.updatedAt),
  }),
  touch: (order: SimOrder, at) => {
    order.payload.updated_at = iso(at);
  },
  handle(req, ctx) {
    const timestamp = String(req.headers['x-vinted-timestamp'] ?? '');
    const qs = req.query.toString();
    const expected = hmacSha256Hex(SIGNING_KEY, `${timestamp}.${req.method}.${qs ? `${req.path}?${qs}` : req.path}.${req.body}`);
    if (req.headers['x-vinted-access-key'] !== ACCESS_KEY || req.headers['x-vinted-signature'] !== expected)
      return sim.json(401, { code: 'unauthorized', message: 'Invalid access key or signature' });
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > MAX_SKEW_SECONDS)
      return sim.json(401, { code: 'unauthorized', message: 'Request timestamp too old' });
    if (req.method === 'GET' && req.path === '/api/v1/account') return sim.json(200, { account: { id: 987654321, name: 'Sim Vinted Pro', currency: 'EUR' } });
    if (req.method === 'GET' && req.path === '/api/v1/orders') {
      const all = sim.inWindow(ctx.orders(), sim.date(req.query.get('updated_from')), sim.date(req.query.get('updated_to')));
      const perPage = Number(req.query.get('per_page') ?? 20);
      const page = Number(req.query.get('page') ?? 1);
      return sim.json(200, {
        orders: all.slice((page - 1) * perPage, page * perPage).map((o) => o.payload),
        pagination: { current_page: page, per_page: perPage, total_pages: Math.max(1, Math.ceil(all.length / perPage)), total_entries: all.length },
      });
    }
    const m = /^\/api\/v1\/orders\/(\d+)\/shipment$/.exec(req.path);
    const order = m ? ctx.get(m[1]!) : undefined;
    if (req.method === 'POST' && order) {
      const body = sim.parseJson(req.body);
      ctx.recordPush(order.id, 'shipment', body, 'shipped');
      return sim.json(201, { shipment: { order_id: order.id, tracking_number: body?.tracking_number ?? null, carrier: body?.carrier ?? null } });
    }
    return sim.json(404, { code: 'not_found', message: `${req.path} not found` });
  },
};
