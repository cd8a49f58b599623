import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { formatNaiveUtc } from '../../../adapters/shops/values.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const DATABASE = 'sim-odoo';
const LOGIN = 'admin@sim.example';
const API_KEY = 'SimOdooApiKey0123456789abcdef';
const UID = 2;

type Domain = unknown[];
type Row = Record<string, unknown>;

/** Evaluates an Odoo domain (prefix notation: '&', '|', '!' and [field, operator, value] leaves). */
function evaluate(domain: Domain, row: Row): boolean {
  let i = 0;
  const term = (): boolean => {
    const token = domain[i++];
    if (token === '&') return [term(), term()].every(Boolean);
    if (token === '|') {
      const a = term();
      const b = term();
      return a || b;
    }
    if (token === '!') return !term();
    const [field, op, value] = token as [string, string, unknown];
    const v = row[field] as string | number;
    switch (op) {
      case '=':
        return v === value;
      case '>':
        return v > (value as typeof v);
      case '>=':
        return v >= (value as typeof v);
      case '<':
        return v < (value as typeof v);
      case '<=':
        return v <= (value as typeof v);
      case 'in':
        return (value as unknown[]).includes(v);
      default:
        throw new Error(`operator ${op} not simulated`);
    }
  };
  let result = true;
  while (i < domain.length) result = term() && result;
  return result;
}

const rpcError = (name: string, message: string) => ({
  jsonrpc: '2.0',
  id: 1,
  error: { code: 200, message: 'Odoo Server Error', data: { name, message, debug: '', arguments: [message] } },
});
const pick = (row: Row, fields?: string[]) => (fields?.length ? Object.fromEntries(['id', ...fields].filter((f) => f in row).map((f) => [f, row[f]])) : row);

/** Odoo 17 external JSON-RPC: common.authenticate, object.execute_kw on sale.order and friends; empty fields are `false`. */
export const odooSim: PlatformSim = {
  platform: 'odoo',
  defaultCurrency: 'EUR',
  defaultCountry: 'BE',
  credentials: { database: DATABASE, login: LOGIN, apiKey: API_KEY },
  build: (s) => {
    const id = Number(s.id);
    const fmt = (minor: number) => Number(s.fmt(minor));
    const lineIds = [...s.lines.map((_, i) => id * 100 + i), id * 100 + 99];
    const customer = {
      id: id * 10 + 1,
      name: `${s.customer.firstName} ${s.customer.lastName}`,
      email: s.customer.email,
      phone: s.customer.phone ?? false,
      mobile: false,
      street: s.address.line1,
      street2: false,
      city: s.address.city,
      zip: s.address.postalCode,
      country_code: s.address.country,
      state_id: false,
    };
    return {
      order: {
        id,
        name: `S${s.id.padStart(5, '0')}`,
        client_order_ref: false,
        state: 'sale',
        date_order: formatNaiveUtc(s.placedAt),
        create_date: formatNaiveUtc(s.placedAt),
        write_date: formatNaiveUtc(s.updatedAt),
        amount_total: fmt(s.totalMinor),
        amount_untaxed: fmt(s.totalMinor),
        amount_tax: 0,
        currency_id: [1, s.currency],
        partner_id: [customer.id, customer.name],
        partner_shipping_id: [customer.id + 1, customer.name],
        order_line: lineIds,
      },
      lines: [
        ...s.lines.map((l, i) => {
          const unit = toMinorUnits(l.unitPrice, s.currency);
          return {
            id: lineIds[i],
            order_id: [id, `S${s.id}`],
            product_id: [id * 10 + i, l.name],
            name: l.name,
            product_uom_qty: l.quantity,
            price_unit: fmt(unit),
            price_subtotal: fmt(unit * l.quantity),
            price_total: fmt(unit * l.quantity),
            discount: 0,
            is_delivery: false,
            display_type: false,
          };
        }),
        {
          id: id * 100 + 99,
          order_id: [id, `S${s.id}`],
          product_id: [1, 'Delivery'],
          name: 'Standard delivery',
          product_uom_qty: 1,
          price_unit: fmt(s.shippingMinor),
          price_subtotal: fmt(s.shippingMinor),
          price_total: fmt(s.shippingMinor),
          discount: 0,
          is_delivery: true,
          display_type: false,
        },
      ],
      customer,
      shipping: { ...customer, id: customer.id + 1, street2: s.address.line2 ?? false, mobile: s.customer.phone ?? false },
      products: [...s.lines.map((l, i) => ({ id: id * 10 + i, default_code: l.sku })), { id: 1, default_code: false }],
    };
  },
  touch: (order: SimOrder, at) => {
    order.payload.order.write_date = formatNaiveUtc(at);
  },
  handle(req, ctx) {
    if (req.method !== 'POST' || req.path !== '/jsonrpc') return sim.json(404, { error: 'Not Found' });
    const call = sim.parseJson(req.body)?.params as { service: string; method: string; args: any[] } | undefined;
    if (!call) return sim.json(200, rpcError('werkzeug.exceptions.BadRequest', 'invalid JSON-RPC call'));
    const result = (value: unknown) => sim.json(200, { jsonrpc: '2.0', id: 1, result: value });
    if (call.service === 'common' && call.method === 'authenticate') {
      const [db, login, key] = call.args;
      return result(db === DATABASE && login === LOGIN && key === API_KEY ? UID : false);
    }
    if (call.service !== 'object' || call.method !== 'execute_kw')
      return sim.json(200, rpcError('odoo.exceptions.UserError', `unknown call ${call.service}.${call.method}`));
    const [db, uid, key, model, method, args = [], kwargs = {}] = call.args as [string, number, string, string, string, any[], Record<string, any>];
    if (db !== DATABASE || uid !== UID || key !== API_KEY) return sim.json(200, rpcError('odoo.exceptions.AccessDenied', 'Access Denied'));
    const orders = ctx.orders();
    const table = (name: string): Row[] => {
      switch (name) {
        case 'sale.order':
          return orders.map((o) => o.payload.order);
        case 'sale.order.line':
          return orders.flatMap((o) => o.payload.lines);
        case 'res.partner':
          return orders.flatMap((o) => [o.payload.customer, o.payload.shipping]);
        case 'product.product':
          return orders.flatMap((o) => o.payload.products);
        case 'res.company':
          return [{ id: 1, name: 'Sim Odoo Company', currency_id: [1, 'EUR'] }];
        default:
          return [];
      }
    };
    if (method === 'search_read') {
      let rows = table(model).filter((row) => evaluate(args[0] ?? [], row));
      if (kwargs.order === 'write_date asc, id asc')
        rows = rows.sort((a, b) => String(a.write_date).localeCompare(String(b.write_date)) || Number(a.id) - Number(b.id));
      return result(rows.slice(0, kwargs.limit ?? rows.length).map((r) => pick(r, kwargs.fields)));
    }
    if (method === 'read') {
      const ids = args[0] as number[];
      const byId = new Map(table(model).map((r) => [r.id, r]));
      return result(ids.filter((i) => byId.has(i)).map((i) => pick(byId.get(i)!, kwargs.fields)));
    }
    if (model === 'sale.order' && (method === 'action_cancel' || method === 'message_post')) {
      const order = ctx.get(String(args[0]?.[0]));
      if (!order) return sim.json(200, rpcError('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.'));
      if (method === 'action_cancel') order.payload.order.state = 'cancel';
      ctx.recordPush(order.id, method, method === 'message_post' ? kwargs : {}, method === 'action_cancel' ? 'cancel' : undefined);
      return result(method === 'action_cancel' ? true : 4242);
    }
    return sim.json(200, rpcError('odoo.exceptions.UserError', `${model}.${method} is not simulated`));
  },
};
