import { defineConnector } from '../connector.ts';
import { ConnectorAuthError, ConnectorRequestError, ConnectorUnavailableError } from '../errors.ts';
import type { HttpClient } from '../http.ts';
import { finishOrder, reader } from '../payload.ts';
import { formatNaiveUtc, parseNaiveUtc } from '../values.ts';
import { pushed, statusActions } from './common.ts';

/**
 * Odoo (16/17) external API over JSON-RPC (/jsonrpc): common.authenticate(db, login, api_key) → uid, then
 * object.execute_kw. Errors come back in HTTP 200 as {"error": {...}}. Sync: sale.order search_read ordered by
 * "write_date asc, id asc" with an exact (write_date, id) keyset domain, so no shift is possible. An order payload is
 * { order, lines, customer, shipping, products } (sale.order, sale.order.line, res.partner ×2, product.product).
 * Status push: CANCELLED → action_cancel; everything else is posted to the order's chatter.
 */
interface Api {
  http: HttpClient;
  url: string;
  db: string;
  uid: number;
  key: string;
}

const ORDER_FIELDS = [
  'name',
  'client_order_ref',
  'state',
  'date_order',
  'create_date',
  'write_date',
  'amount_total',
  'amount_untaxed',
  'amount_tax',
  'currency_id',
  'partner_id',
  'partner_shipping_id',
  'order_line',
];

async function rpc(http: HttpClient, url: string, service: string, method: string, args: unknown[], idempotent: boolean): Promise<unknown> {
  const body = await http.json({ method: 'POST', url, json: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 1 }, idempotent });
  return reader('odoo', body).raw('result');
}

function call(api: Api, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, idempotent = true) {
  return rpc(api.http, api.url, 'object', 'execute_kw', [api.db, api.uid, api.key, model, method, args, kwargs], idempotent);
}

export const odoo = defineConnector<Api>({
  platform: 'odoo',
  kind: 'shop',
  displayName: 'Odoo',
  credentialFields: [
    { key: 'database', label: 'Database', secret: false, required: true, pattern: /^[A-Za-z0-9_.-]{1,63}$/, hint: 'the Odoo database name' },
    { key: 'login', label: 'Login', secret: false, required: true, hint: 'the user login (usually an e-mail address)' },
    {
      key: 'apiKey',
      label: 'API key',
      secret: true,
      required: true,
      pattern: /^[A-Za-z0-9]{20,}$/,
      hint: 'an API key of that user (Preferences → Account Security)',
    },
  ],
  statusActions: statusActions({
    AWAITING_PAYMENT: 'chatter note',
    PAID: 'chatter note',
    OUT_FOR_DELIVERY: 'chatter note',
    RELEASED: 'chatter note',
    DELIVERED: 'chatter note',
    RETURNED: 'chatter note',
    REFUNDED: 'chatter note',
    CANCELLED: 'sale.order action_cancel',
  }),
  conventions: {
    interpret(res) {
      const error = (res.body as { error?: { message?: string; data?: { name?: string; message?: string } } } | undefined)?.error;
      // JSON-RPC errors arrive with HTTP 200; a proxy's 429/5xx keeps its HTTP meaning (retry later).
      if (!error || typeof error !== 'object' || res.status === 429 || res.status >= 500) return undefined;
      const name = error.data?.name ?? '';
      const message = `${error.data?.message ?? error.message ?? 'error'} (${name || 'odoo'})`;
      if (/AccessDenied|AccessError/.test(name)) return new ConnectorAuthError('odoo', message);
      if (/Serialization|OperationalError/.test(name)) return new ConnectorUnavailableError('odoo', message, 'server_error');
      return new ConnectorRequestError('odoo', message);
    },
  },
  async open({ http, baseUrl, credentials }) {
    const url = `${baseUrl}/jsonrpc`;
    const uid = await rpc(http, url, 'common', 'authenticate', [credentials.database, credentials.login, credentials.apiKey, {}], true);
    if (typeof uid !== 'number') throw new ConnectorAuthError('odoo', 'authenticate refused the login or API key');
    return { http, url, db: credentials.database!, uid, key: credentials.apiKey! };
  },
  async account(api) {
    const [company] = reader('odoo', await call(api, 'res.company', 'search_read', [[]], { fields: ['name', 'currency_id'], limit: 1 })).items();
    if (!company) return reader('odoo', null).fail(undefined, 'no company visible to this user');
    return {
      externalAccountId: `${api.db}/${company.id('id')}`,
      name: company.str('name'),
      currency: String(company.arr('currency_id')[1]?.value ?? '') || undefined,
    };
  },
  sync: {
    maxPageSize: 200,
    async list(api, window, state: { t: string; id: number } | null, pageSize) {
      const until = formatNaiveUtc(window.until);
      const domain = state
        ? ['&', ['write_date', '<=', until], '|', ['write_date', '>', state.t], '&', ['write_date', '=', state.t], ['id', '>', state.id]]
        : ['&', ['write_date', '>=', formatNaiveUtc(window.from)], ['write_date', '<=', until]];
      const rows = reader(
        'odoo',
        await call(api, 'sale.order', 'search_read', [domain], { fields: ORDER_FIELDS, order: 'write_date asc, id asc', limit: pageSize }),
      ).items();
      const entries = rows.map((o) => ({ externalId: o.id('id'), updatedAt: o.date('write_date', parseNaiveUtc), summary: o.value }));
      const last = rows[rows.length - 1];
      return { entries, next: rows.length < pageSize || !last ? null : { t: last.str('write_date'), id: Number(last.id('id')) } };
    },
    async load(api, entries) {
      const orders = entries.map((e) => reader('odoo', e.summary));
      const lineIds = orders.flatMap((o) => o.arr('order_line').map((l) => l.value));
      const lines = reader(
        'odoo',
        await call(api, 'sale.order.line', 'read', [lineIds], {
          fields: [
            'order_id',
            'product_id',
            'name',
            'product_uom_qty',
            'price_unit',
            'price_subtotal',
            'price_total',
            'discount',
            'is_delivery',
            'display_type',
          ],
        }),
      ).items();
      const partnerIds = [...new Set(orders.flatMap((o) => [o.arr('partner_id')[0]!.value, o.arr('partner_shipping_id')[0]!.value]))];
      const partners = reader(
        'odoo',
        await call(api, 'res.partner', 'read', [partnerIds], {
          fields: ['name', 'email', 'phone', 'mobile', 'street', 'street2', 'city', 'zip', 'country_code', 'state_id'],
        }),
      ).items();
      const productIds = [...new Set(lines.filter((l) => Array.isArray(l.raw('product_id'))).map((l) => l.arr('product_id')[0]!.value))];
      const products = productIds.length ? reader('odoo', await call(api, 'product.product', 'read', [productIds], { fields: ['default_code'] })).items() : [];
      const partner = (id: unknown) => partners.find((p) => p.raw('id') === id)?.value;
      return orders.map((o) => ({
        order: o.value,
        lines: lines.filter((l) => l.arr('order_id')[0]!.value === o.raw('id')).map((l) => l.value),
        customer: partner(o.arr('partner_id')[0]!.value),
        shipping: partner(o.arr('partner_shipping_id')[0]!.value),
        products: products.map((p) => p.value),
      }));
    },
  },
  mapOrder(payload) {
    const r = reader('odoo', odooNulls(payload));
    const o = r.obj('order');
    const currency = String(o.arr('currency_id')[1]?.value ?? '');
    const customer = r.obj('customer');
    const shipping = r.obj('shipping');
    const codes = new Map(r.optArr('products').map((p) => [p.raw('id'), p.optStr('default_code')]));
    let shippingAmount = 0;
    let discount = 0;
    const lines: { sku: string; name: string; quantity: number; unitAmount: number }[] = [];
    for (const line of r.arr('lines')) {
      if (line.has('display_type')) continue; // section and note rows carry no amounts
      const subtotal = line.money('price_subtotal', currency, { allowNegative: true, rounding: 'halfUp' });
      if (line.optBool('is_delivery')) {
        shippingAmount += subtotal;
        continue;
      }
      const unit = line.money('price_unit', currency, { allowNegative: true, rounding: 'halfUp' });
      const quantity = line.positiveInt('product_uom_qty');
      if (unit < 0) {
        discount -= subtotal; // reward / discount lines are negative product lines
        continue;
      }
      discount += unit * quantity - subtotal; // percentage discount on the line
      const product = line.raw('product_id');
      const productId = Array.isArray(product) ? product[0] : undefined;
      lines.push({ sku: codes.get(productId) ?? `product:${String(productId)}`, name: line.str('name').split('\n')[0]!, quantity, unitAmount: unit });
    }
    return finishOrder('odoo', {
      externalId: o.id('id'),
      merchantReference: o.str('name'),
      platformStatus: o.str('state'),
      currency,
      totalAmount: o.money('amount_total', currency, { rounding: 'halfUp' }),
      amounts: { shipping: shippingAmount, discount, tax: o.money('amount_tax', currency, { rounding: 'halfUp' }), taxIncluded: false },
      customer: {
        name: customer.str('name'),
        email: customer.optStr('email') ?? null,
        phone: shipping.optStr('mobile') ?? shipping.optStr('phone') ?? customer.optStr('phone'),
      },
      shippingAddress: {
        name: shipping.str('name'),
        line1: shipping.str('street'),
        line2: shipping.optStr('street2'),
        city: shipping.str('city'),
        postalCode: shipping.optStr('zip') ?? '',
        country: shipping.str('country_code'),
      },
      lines,
      placedAt: o.date('date_order', parseNaiveUtc).toISOString(),
      updatedAt: o.date('write_date', parseNaiveUtc).toISOString(),
      // sale.order carries no payment method (payments live on invoices / transactions).
    });
  },
  async push(api, id, status, details) {
    if (status === 'CANCELLED') {
      await call(api, 'sale.order', 'action_cancel', [[Number(id)]], {}, false);
      return pushed('action_cancel');
    }
    const body = `IPAY: ${status.toLowerCase().replaceAll('_', ' ')}${details.trackingNumber ? ` (tracking ${details.trackingNumber})` : ''}${details.note ? ` — ${details.note}` : ''}`;
    await call(api, 'sale.order', 'message_post', [[Number(id)]], { body, message_type: 'comment', subtype_xmlid: 'mail.mt_note' }, false);
    return pushed('message_post');
  },
});

/** Odoo's JSON-RPC writes an empty field as `false` (street2, default_code, display_type); booleans stay booleans. */
const ODOO_BOOLEANS = new Set(['is_delivery']);
function odooNulls(value: unknown, key?: string): unknown {
  if (value === false && !(key && ODOO_BOOLEANS.has(key))) return null;
  if (Array.isArray(value)) return value.map((v) => odooNulls(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, odooNulls(v, k)]));
  return value;
}
