import { formatNaiveInZone, parseNaiveInZone } from '../../../adapters/shops/values.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const KEY = 'SIMPRESTASHOPKEY0123456789ABCDEF';
const ZONE = 'Europe/Paris';
const wall = (d: Date) => formatNaiveInZone(d, ZONE);
const six = (decimal: string) => `${decimal}0000`; // the webservice prints amounts with six decimals
const psError = (status: number, code: number, message: string) => sim.json(status, { errors: [{ code, message }] });

/** PrestaShop webservice (JSON output): key as Basic user, shop-time filters, keyset-able sort, sub-resources, XML writes. */
export const prestashopSim: PlatformSim = {
  platform: 'prestashop',
  defaultCurrency: 'EUR',
  defaultCountry: 'FR',
  credentials: { webserviceKey: KEY },
  build: (s) => {
    const id = Number(s.id);
    return {
      order: {
        id,
        id_address_delivery: String(id * 10 + 1),
        id_customer: String(id * 10 + 2),
        id_currency: '1',
        current_state: '3',
        module: s.cashOnDelivery ? 'ps_cashondelivery' : 'ps_wirepayment',
        payment: s.cashOnDelivery ? 'Cash on delivery (COD)' : 'Bank wire',
        valid: '0',
        date_add: wall(s.placedAt),
        date_upd: wall(s.updatedAt),
        total_discounts_tax_incl: six('0.00'),
        total_paid: six(s.fmt(s.totalMinor)),
        total_paid_tax_incl: six(s.fmt(s.totalMinor)),
        total_paid_tax_excl: six(s.fmt(s.totalMinor)),
        total_shipping_tax_incl: six(s.shipping),
        total_wrapping_tax_incl: six('0.00'),
        reference: `SIM${s.id.padStart(6, '0')}`,
        associations: {
          order_rows: s.lines.map((l, i) => ({
            id: String(id * 100 + i),
            product_id: String(10 + i),
            product_attribute_id: '0',
            product_quantity: String(l.quantity),
            product_name: l.name,
            product_reference: l.sku,
            unit_price_tax_incl: six(l.unitPrice),
            unit_price_tax_excl: six(l.unitPrice),
          })),
        },
      },
      customer: { id: id * 10 + 2, firstname: s.customer.firstName, lastname: s.customer.lastName, email: s.customer.email },
      address: {
        id: id * 10 + 1,
        id_customer: String(id * 10 + 2),
        id_country: '8',
        firstname: s.customer.firstName,
        lastname: s.customer.lastName,
        address1: s.address.line1,
        address2: s.address.line2 ?? '',
        postcode: s.address.postalCode,
        city: s.address.city,
        phone: '',
        phone_mobile: s.customer.phone ?? '',
      },
      country: { id: 8, iso_code: s.address.country },
      currency: { id: 1, iso_code: s.currency },
    };
  },
  touch: (order: SimOrder, at) => {
    order.payload.order.date_upd = wall(at);
  },
  handle(req, ctx) {
    const auth = sim.basic(req.headers.authorization);
    if (auth?.user !== KEY) return psError(401, 17, 'Authentication key is empty or invalid');
    if (req.query.get('output_format') !== 'JSON' && req.method === 'GET') return psError(400, 18, 'output_format=JSON is required by this simulator');
    if (req.method === 'GET' && req.path === '/api/configurations') {
      const names = (req.query.get('filter[name]') ?? '').replace(/^\[|\]$/g, '').split('|');
      const values: Record<string, string> = { PS_SHOP_NAME: 'Sim PrestaShop', PS_TIMEZONE: ZONE };
      return sim.json(200, { configurations: names.filter((n) => n in values).map((name) => ({ name, value: values[name] })) });
    }
    if (req.method === 'GET' && req.path === '/api/orders') {
      const [from, until] = (req.query.get('filter[date_upd]') ?? '').replace(/^\[|\]$/g, '').split(',');
      const fromAt = from ? parseNaiveInZone(from, ZONE) : undefined;
      const untilAt = until ? parseNaiveInZone(until, ZONE) : undefined;
      const all = sim.inWindow(ctx.orders(), fromAt, untilAt);
      const [offset, count] = (req.query.get('limit') ?? '0,50').split(',').map(Number) as [number, number];
      const slice = all.slice(offset, offset + count);
      // The webservice serialises an empty list as [].
      return sim.json(200, slice.length ? { orders: slice.map((o) => o.payload.order) } : []);
    }
    const m = /^\/api\/(addresses|customers|countries|currencies)\/(\d+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const [, resource, id] = m as unknown as [string, string, string];
      const singular = { addresses: 'address', customers: 'customer', countries: 'country', currencies: 'currency' }[resource]!;
      const found = ctx
        .orders()
        .map((o) => o.payload[singular])
        .find((r) => String(r.id) === id);
      return found ? sim.json(200, { [singular]: found }) : psError(404, 87, `Invalid ID ${id} for ${resource}`);
    }
    if (req.method === 'POST' && req.path === '/api/order_histories') {
      const orderId = /<id_order>(\d+)<\/id_order>/.exec(req.body)?.[1];
      const state = /<id_order_state>(\d+)<\/id_order_state>/.exec(req.body)?.[1];
      const order = orderId ? ctx.get(orderId) : undefined;
      if (!order || !state) return psError(400, 90, 'id_order and id_order_state are required');
      order.payload.order.current_state = state;
      ctx.recordPush(order.id, `order_state:${state}`, { id_order: orderId, id_order_state: state }, `state:${state}`);
      return sim.json(201, { order_history: { id: Date.now() % 100000, id_order: orderId, id_order_state: state } });
    }
    return psError(404, 20, `Resource ${req.path} not found`);
  },
};
