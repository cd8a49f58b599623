import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const KEY = '0123456789abcdef0123456789abcdef';
const SECRET = 'fedcba9876543210fedcba9876543210';
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** Lightspeed eCom (C-Series): Basic auth, page/limit with /orders/count.json, products as a sub-resource, PUT updates. */
export const lightspeedSim: PlatformSim = {
  platform: 'lightspeed',
  defaultCurrency: 'EUR',
  defaultCountry: 'NL',
  credentials: { apiKey: KEY, apiSecret: SECRET, currency: 'EUR' },
  build: (s) => ({
    order: {
      id: Number(s.id),
      number: `ORD${s.id.padStart(5, '0')}`,
      status: 'processing_awaiting_shipment',
      createdAt: iso(s.placedAt),
      updatedAt: iso(s.updatedAt),
      priceExcl: Number(s.fmt(s.totalMinor)),
      priceIncl: Number(s.fmt(s.totalMinor)),
      shipmentPriceIncl: Number(s.shipping),
      paymentPriceIncl: 0,
      discountAmount: 0,
      email: s.customer.email,
      firstname: s.customer.firstName,
      lastname: s.customer.lastName,
      phone: s.customer.phone ?? '',
      addressShippingName: `${s.customer.firstName} ${s.customer.lastName}`,
      addressShippingStreet: s.address.line1,
      addressShippingStreet2: s.address.line2 ?? '',
      addressShippingNumber: '',
      addressShippingExtension: '',
      addressShippingZipcode: s.address.postalCode,
      addressShippingCity: s.address.city,
      addressShippingRegion: '',
      addressShippingCountry: { id: 1, code: s.address.country.toLowerCase(), title: s.address.country },
      paymentId: s.cashOnDelivery ? 'cod' : 'ideal',
      paymentStatus: s.cashOnDelivery ? 'not_paid' : 'paid',
      shipmentStatus: 'not_shipped',
    },
    products: s.lines.map((l, i) => ({
      id: Number(s.id) * 10 + i,
      productTitle: l.name,
      variantTitle: '',
      articleCode: l.sku,
      sku: l.sku,
      quantityOrdered: l.quantity,
      priceIncl: Number(l.unitPrice),
      variant: { resource: { id: 500 + i } },
    })),
  }),
  touch: (order: SimOrder, at) => {
    order.payload.order.updatedAt = iso(at);
  },
  handle(req, ctx) {
    const auth = sim.basic(req.headers.authorization);
    if (auth?.user !== KEY || auth.password !== SECRET)
      return sim.json(401, { error: { code: 401, method: 'GET', request: req.path, message: 'Invalid API key or secret' } });
    const matching = () => sim.inWindow(ctx.orders(), sim.date(req.query.get('updated_at_min')), sim.date(req.query.get('updated_at_max')));
    if (req.method === 'GET' && req.path === '/shop.json')
      return sim.json(200, { shop: { id: 312345, title: 'Sim Lightspeed Shop', mainDomain: 'sim.webshopapp.com' } });
    if (req.method === 'GET' && req.path === '/orders/count.json') return sim.json(200, { count: matching().length });
    if (req.method === 'GET' && req.path === '/orders.json') {
      const limit = Number(req.query.get('limit') ?? 50);
      const page = Number(req.query.get('page') ?? 1);
      return sim.json(200, {
        orders: matching()
          .slice((page - 1) * limit, page * limit)
          .map((o) => o.payload.order),
      });
    }
    const m = /^\/orders\/(\d+)(\/products)?\.json$/.exec(req.path);
    const order = m ? ctx.get(m[1]!) : undefined;
    if (!m || !order) return sim.json(404, { error: { code: 404, message: 'Resource not found' } });
    if (req.method === 'GET' && m[2]) return sim.json(200, { orderProducts: order.payload.products });
    if (req.method === 'PUT' && !m[2]) {
      const update = (sim.parseJson(req.body)?.order ?? {}) as Record<string, string>;
      Object.assign(order.payload.order, update);
      const action = Object.entries(update)
        .map(([k, v]) => `${k}:${v}`)
        .join(',');
      ctx.recordPush(order.id, action, update, action);
      return sim.json(200, { order: order.payload.order });
    }
    return sim.json(405, { error: { code: 405, message: 'Method not allowed' } });
  },
};
