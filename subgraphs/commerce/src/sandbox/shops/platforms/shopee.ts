import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { shopeeSign } from '../../../adapters/shops/signing.ts';
import { unixSeconds } from '../../../adapters/shops/values.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const PARTNER_ID = '2001234';
const PARTNER_KEY = 'SimShopeePartnerKey0123456789abcdefABCD';
const SHOP_ID = '512345';
const TOKEN = 'SimShopeeAccessToken0001';
const MAX_SKEW_SECONDS = 300;

const fail = (status: number, error: string, message: string) => sim.json(status, { request_id: 'sim', error, message });
const ok = (response: unknown) => sim.json(200, { request_id: 'sim', error: '', message: '', response });

/** Shopee Open Platform v2: signed shop-level calls, get_order_list by update_time with next_cursor, order details, shipping. */
export const shopeeSim: PlatformSim = {
  platform: 'shopee',
  defaultCurrency: 'SGD',
  defaultCountry: 'SG',
  credentials: { partnerId: PARTNER_ID, partnerKey: PARTNER_KEY, shopId: SHOP_ID, accessToken: TOKEN },
  build: (s) => ({
    order_sn: s.id,
    region: s.address.country,
    currency: s.currency,
    cod: s.cashOnDelivery,
    total_amount: Number(s.fmt(s.totalMinor)),
    order_status: 'READY_TO_SHIP',
    payment_method: s.cashOnDelivery ? 'Cash on Delivery' : 'ShopeePay',
    estimated_shipping_fee: Number(s.shipping),
    create_time: unixSeconds(s.placedAt),
    update_time: unixSeconds(s.updatedAt),
    buyer_user_id: 500000 + Number(s.id),
    buyer_username: `${s.customer.firstName.toLowerCase()}${s.id}`,
    recipient_address: {
      name: `${s.customer.firstName} ${s.customer.lastName}`,
      phone: s.customer.phone ?? '',
      town: '',
      district: s.address.line2 ?? '',
      city: s.address.city,
      state: '',
      region: s.address.country,
      zipcode: s.address.postalCode,
      full_address: s.address.line1,
    },
    item_list: s.lines.map((l, i) => ({
      item_id: 2300000 + Number(s.id) * 10 + i,
      item_name: l.name,
      item_sku: l.sku,
      model_id: 0,
      model_name: '',
      model_sku: '',
      model_quantity_purchased: l.quantity,
      model_original_price: Number(l.unitPrice),
      model_discounted_price: Number(s.fmt(toMinorUnits(l.unitPrice, s.currency))),
    })),
    pay_time: s.cashOnDelivery ? null : unixSeconds(s.placedAt),
  }),
  touch: (order: SimOrder, at) => {
    order.payload.update_time = unixSeconds(at);
  },
  handle(req, ctx) {
    const q = req.query;
    const timestamp = Number(q.get('timestamp'));
    if (q.get('partner_id') !== PARTNER_ID) return fail(403, 'error_param', 'Invalid partner_id.');
    if (q.get('sign') !== shopeeSign(PARTNER_KEY, PARTNER_ID, req.path, timestamp, q.get('access_token') ?? '', q.get('shop_id') ?? ''))
      return fail(403, 'error_sign', 'Wrong sign.');
    if (Math.abs(Date.now() / 1000 - timestamp) > MAX_SKEW_SECONDS) return fail(403, 'error_param', 'Invalid timestamp.');
    if (q.get('access_token') !== TOKEN || q.get('shop_id') !== SHOP_ID) return fail(403, 'error_auth', 'Invalid access_token.');
    if (req.method === 'GET' && req.path === '/api/v2/shop/get_shop_info')
      return sim.json(200, { request_id: 'sim', error: '', message: '', shop_name: 'Sim Shopee Store', region: 'SG', status: 'NORMAL' }); // top level, not under response
    if (req.method === 'GET' && req.path === '/api/v2/order/get_order_list') {
      if (q.get('time_range_field') !== 'update_time') return fail(400, 'error_param', 'time_range_field is invalid.');
      const from = Number(q.get('time_from'));
      const to = Number(q.get('time_to'));
      if (to - from > 15 * 86_400) return fail(400, 'error_param', 'The time range between time_from and time_to cannot exceed 15 days.');
      const all = sim.inWindow(ctx.orders(), new Date(from * 1000), new Date(to * 1000));
      const size = Math.min(Number(q.get('page_size') ?? 20), 100);
      const offset = Number(q.get('cursor') || 0);
      const page = all.slice(offset, offset + size);
      const more = offset + size < all.length;
      return ok({ more, next_cursor: more ? String(offset + size) : '', order_list: page.map((o) => ({ order_sn: o.id })) });
    }
    if (req.method === 'GET' && req.path === '/api/v2/order/get_order_detail') {
      const sns = (q.get('order_sn_list') ?? '').split(',').filter(Boolean);
      if (sns.length > 50) return fail(400, 'error_param', 'order_sn_list can have at most 50 orders.');
      return ok({ order_list: sns.map((sn) => ctx.get(sn)?.payload).filter(Boolean) });
    }
    const body = sim.parseJson(req.body);
    if (req.method === 'POST' && (req.path === '/api/v2/logistics/ship_order' || req.path === '/api/v2/order/cancel_order')) {
      const order = ctx.get(String(body?.order_sn ?? ''));
      if (!order) return fail(400, 'error_not_found', 'Order not found.');
      const action = req.path.endsWith('ship_order') ? 'ship_order' : 'cancel_order';
      order.payload.order_status = action === 'ship_order' ? 'PROCESSED' : 'CANCELLED';
      ctx.recordPush(order.id, action, body, order.payload.order_status);
      return ok(action === 'cancel_order' ? { update_time: unixSeconds(ctx.now()) } : {});
    }
    return fail(404, 'error_not_found', `Unknown api ${req.path}`);
  },
};
