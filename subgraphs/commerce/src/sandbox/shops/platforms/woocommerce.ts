import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { sim, type PlatformSim } from '../sim-kit.ts';

const KEY = `ck_${'a1'.repeat(20)}`;
const SECRET = `cs_${'b2'.repeat(20)}`;
const gmt = (d: Date) => d.toISOString().slice(0, 19);

/** WooCommerce: Basic auth, offset pages with X-WP-Total / X-WP-TotalPages, PUT status, POST notes. */
export const woocommerceSim: PlatformSim = {
  platform: 'woocommerce',
  defaultCurrency: 'EUR',
  defaultCountry: 'BE',
  credentials: { consumerKey: KEY, consumerSecret: SECRET },
  build: (s) => ({
    id: Number(s.id),
    number: s.id,
    status: 'processing',
    currency: s.currency,
    date_created_gmt: gmt(s.placedAt),
    date_modified_gmt: gmt(s.updatedAt),
    date_paid: null,
    discount_total: s.fmt(0),
    shipping_total: s.shipping,
    total_tax: s.fmt(0),
    total: s.fmt(s.totalMinor),
    prices_include_tax: false,
    payment_method: s.cashOnDelivery ? 'cod' : 'bacs',
    payment_method_title: s.cashOnDelivery ? 'Cash on delivery' : 'Direct bank transfer',
    billing: { first_name: s.customer.firstName, last_name: s.customer.lastName, email: s.customer.email, phone: s.customer.phone ?? '' },
    shipping: {
      first_name: s.customer.firstName,
      last_name: s.customer.lastName,
      company: '',
      address_1: s.address.line1,
      address_2: s.address.line2 ?? '',
      city: s.address.city,
      state: '',
      postcode: s.address.postalCode,
      country: s.address.country,
    },
    line_items: s.lines.map((l, i) => ({
      id: i + 1,
      name: l.name,
      product_id: 50 + i,
      variation_id: 0,
      quantity: l.quantity,
      subtotal: s.fmt(toMinorUnits(l.unitPrice, s.currency) * l.quantity),
      total: s.fmt(toMinorUnits(l.unitPrice, s.currency) * l.quantity),
      sku: l.sku,
      price: Number(l.unitPrice),
    })),
    fee_lines: [],
  }),
  touch: (order, at) => {
    order.payload.date_modified_gmt = gmt(at);
  },
  handle(req, ctx) {
    const auth = sim.basic(req.headers.authorization);
    if (auth?.user !== KEY || auth.password !== SECRET) {
      return sim.json(401, { code: 'woocommerce_rest_cannot_view', message: 'Sorry, you cannot list resources.', data: { status: 401 } });
    }
    const path = req.path.replace(/^\/wp-json\/wc\/v3/, '');
    if (req.method === 'GET' && path === '/settings/general') {
      return sim.json(200, [
        { id: 'woocommerce_store_city', value: 'Brussels' },
        { id: 'woocommerce_currency', value: 'EUR' },
      ]);
    }
    if (req.method === 'GET' && path === '/orders') {
      const after = sim.date(req.query.get('modified_after') ? `${req.query.get('modified_after')}Z` : null);
      const before = sim.date(req.query.get('modified_before') ? `${req.query.get('modified_before')}Z` : null);
      // modified_after / modified_before are exclusive in WooCommerce.
      const all = sim.inWindow(ctx.orders()).filter((o) => (!after || o.updatedAt > after) && (!before || o.updatedAt < before));
      const perPage = Number(req.query.get('per_page') ?? 10);
      const page = Number(req.query.get('page') ?? 1);
      const slice = all.slice((page - 1) * perPage, page * perPage);
      return sim.json(
        200,
        slice.map((o) => o.payload),
        { 'x-wp-total': String(all.length), 'x-wp-totalpages': String(Math.ceil(all.length / perPage)) },
      );
    }
    const m = /^\/orders\/(\d+)(\/notes)?$/.exec(path);
    const order = m ? ctx.get(m[1]!) : undefined;
    if (!m || !order) return sim.json(404, { code: 'woocommerce_rest_shop_order_invalid_id', message: 'Invalid ID.', data: { status: 404 } });
    const body = sim.parseJson(req.body);
    if (req.method === 'PUT' && !m[2]) {
      order.payload.status = body?.status;
      ctx.recordPush(order.id, `status:${body?.status}`, body, body?.status);
      return sim.json(200, order.payload);
    }
    if (req.method === 'POST' && m[2]) {
      ctx.recordPush(order.id, 'note', body);
      return sim.json(201, { id: 1, note: body?.note, customer_note: false });
    }
    return sim.notFound(path);
  },
};
