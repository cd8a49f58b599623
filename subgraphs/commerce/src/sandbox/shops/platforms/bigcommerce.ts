import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { formatRfc2822, parseRfc2822 } from '../../../adapters/shops/values.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const STORE = 'sim4bc7';
const TOKEN = 'simbigcommercetoken0123456789ab';
const PREFIX = `/stores/${STORE}/v2`;
const STATUS_NAMES: Record<number, string> = {
  2: 'Shipped',
  4: 'Refunded',
  5: 'Cancelled',
  7: 'Awaiting Payment',
  10: 'Completed',
  11: 'Awaiting Fulfillment',
};

const date = (value: string | null) => {
  if (!value) return undefined;
  try {
    return parseRfc2822(value);
  } catch {
    return undefined;
  }
};

/** BigCommerce v2: X-Auth-Token, store hash in the path, page/limit with 204 when empty, /orders/count, sub-resources. */
export const bigcommerceSim: PlatformSim = {
  platform: 'bigcommerce',
  defaultCurrency: 'USD',
  defaultCountry: 'US',
  credentials: { storeHash: STORE, accessToken: TOKEN },
  build: (s) => {
    const four = (minor: number) => `${s.fmt(minor)}00`; // v2 money strings carry four decimals
    return {
      order: {
        id: Number(s.id),
        status_id: 11,
        status: 'Awaiting Fulfillment',
        date_created: formatRfc2822(s.placedAt),
        date_modified: formatRfc2822(s.updatedAt),
        currency_code: s.currency,
        subtotal_inc_tax: four(s.itemsMinor),
        shipping_cost_inc_tax: four(s.shippingMinor),
        handling_cost_inc_tax: '0.0000',
        wrapping_cost_inc_tax: '0.0000',
        total_inc_tax: four(s.totalMinor),
        total_tax: '0.0000',
        discount_amount: '0.0000',
        coupon_discount: '0.0000',
        payment_method: s.cashOnDelivery ? 'Cash on Delivery' : 'Credit Card',
        payment_status: s.cashOnDelivery ? '' : 'captured',
        billing_address: { first_name: s.customer.firstName, last_name: s.customer.lastName, email: s.customer.email, phone: s.customer.phone ?? '' },
      },
      products: s.lines.map((l, i) => ({
        id: Number(s.id) * 10 + i,
        order_id: Number(s.id),
        product_id: 70 + i,
        name: l.name,
        sku: l.sku,
        quantity: l.quantity,
        price_inc_tax: four(toMinorUnits(l.unitPrice, s.currency)),
      })),
      shippingAddresses: [
        {
          id: Number(s.id),
          order_id: Number(s.id),
          first_name: s.customer.firstName,
          last_name: s.customer.lastName,
          street_1: s.address.line1,
          street_2: s.address.line2 ?? '',
          city: s.address.city,
          zip: s.address.postalCode,
          state: '',
          country_iso2: s.address.country,
        },
      ],
    };
  },
  touch: (order: SimOrder, at) => {
    order.payload.order.date_modified = formatRfc2822(at);
  },
  handle(req, ctx) {
    if (req.headers['x-auth-token'] !== TOKEN)
      return sim.json(401, {
        status: 401,
        title: 'You are not authorized to access this resource.',
        type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes',
      });
    if (!req.path.startsWith(PREFIX)) return sim.json(404, [{ status: 404, message: 'The requested resource was not found.' }]);
    const path = req.path.slice(PREFIX.length);
    if (req.method === 'GET' && path === '/store') return sim.json(200, { id: STORE, name: 'Sim BigCommerce Store', currency: 'USD', domain: 'sim.example' });
    // min/max_date_modified are inclusive.
    const matching = () => sim.inWindow(ctx.orders(), date(req.query.get('min_date_modified')), date(req.query.get('max_date_modified')));
    if (req.method === 'GET' && path === '/orders/count') return sim.json(200, { count: matching().length });
    if (req.method === 'GET' && path === '/orders') {
      const limit = Number(req.query.get('limit') ?? 50);
      const page = Number(req.query.get('page') ?? 1);
      const slice = matching().slice((page - 1) * limit, page * limit);
      return slice.length
        ? sim.json(
            200,
            slice.map((o) => o.payload.order),
          )
        : { status: 204 };
    }
    const m = /^\/orders\/(\d+)(\/products|\/shipping_addresses)?$/.exec(path);
    const order = m ? ctx.get(m[1]!) : undefined;
    if (!m || !order) return sim.json(404, [{ status: 404, message: 'The requested resource was not found.' }]);
    if (req.method === 'GET' && m[2] === '/products') return sim.json(200, order.payload.products);
    if (req.method === 'GET' && m[2] === '/shipping_addresses') return sim.json(200, order.payload.shippingAddresses);
    if (req.method === 'PUT' && !m[2]) {
      const statusId = Number(sim.parseJson(req.body)?.status_id);
      if (!STATUS_NAMES[statusId]) return sim.json(400, [{ status: 400, message: 'The field status_id is invalid.' }]);
      order.payload.order.status_id = statusId;
      order.payload.order.status = STATUS_NAMES[statusId];
      ctx.recordPush(order.id, `status_id:${statusId}`, { status_id: statusId }, STATUS_NAMES[statusId]);
      return sim.json(200, order.payload.order);
    }
    return sim.json(405, [{ status: 405, message: 'Method not allowed' }]);
  },
};
