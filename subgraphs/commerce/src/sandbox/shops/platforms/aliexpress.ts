import { iopSign } from '../../../adapters/shops/signing.ts';
import { formatNaiveInZone, parseNaiveInZone } from '../../../adapters/shops/values.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const APP_KEY = '503123';
const SECRET = 'SimAliExpressSecret012345';
const TOKEN = 'SimAliExpressAccessToken_0001';
const ZONE = 'America/Los_Angeles';
const wall = (d: Date) => formatNaiveInZone(d, ZONE);
const error = (code: string, msg: string, sub?: { sub_code: string; sub_msg: string }) =>
  sim.json(200, { error_response: { code, msg, ...sub, request_id: 'sim' } });

/** AliExpress IOP gateway: signed form posts to /sync, answers under "<method>_response", wall-clock Pacific times. */
export const aliexpressSim: PlatformSim = {
  platform: 'aliexpress',
  defaultCurrency: 'USD',
  defaultCountry: 'US',
  credentials: { appKey: APP_KEY, appSecret: SECRET, accessToken: TOKEN },
  build: (s) => {
    const money = (minor: number) => ({ amount: s.fmt(minor), currency_code: s.currency });
    return {
      order: {
        order_id: Number(s.id),
        order_status: 'WAIT_SELLER_SEND_GOODS',
        gmt_create: wall(s.placedAt),
        gmt_update: wall(s.updatedAt),
        buyer_signer_fullname: `${s.customer.firstName} ${s.customer.lastName}`,
        payment_type: s.cashOnDelivery ? 'COD' : 'CREDIT_CARD',
        pay_amount: money(s.totalMinor),
      },
      detail: {
        order_amount: money(s.totalMinor),
        logistics_amount: money(s.shippingMinor),
        payment_type: s.cashOnDelivery ? 'COD' : 'CREDIT_CARD',
        receipt_address: {
          contact_person: `${s.customer.firstName} ${s.customer.lastName}`,
          detail_address: s.address.line1,
          address2: s.address.line2 ?? '',
          city: s.address.city,
          zip: s.address.postalCode,
          province: '',
          country: s.address.country,
          mobile_no: s.customer.phone ?? '',
        },
        child_order_list: {
          global_aeop_tp_child_order_dto: s.lines.map((l, i) => ({
            id: Number(s.id) * 10 + i,
            product_id: 1005000000 + i,
            product_name: l.name,
            product_count: l.quantity,
            product_price: { amount: l.unitPrice, currency_code: s.currency },
            sku_code: l.sku,
          })),
        },
      },
    };
  },
  touch: (order: SimOrder, at) => {
    order.payload.order.gmt_update = wall(at);
  },
  handle(req, ctx) {
    if (req.method !== 'POST' || req.path !== '/sync') return sim.json(404, { error: 'not found' });
    const params = Object.fromEntries(new URLSearchParams(req.body));
    const { sign, ...unsigned } = params;
    if (params.app_key !== APP_KEY) return error('InvalidAppKey', 'Invalid app Key');
    if (!sign || iopSign(SECRET, '', unsigned) !== sign) return error('IncompleteSignature', 'The request signature does not conform to platform standards');
    if (params.access_token !== TOKEN) return error('IllegalAccessToken', 'The specified access token is invalid or expired');
    const method = params.method ?? '';
    const answer = (result: unknown) => sim.json(200, { [`${method.replaceAll('.', '_')}_response`]: { result, request_id: 'sim' } });
    switch (method) {
      case 'aliexpress.solution.merchant.profile.get':
        return answer({ merchant_login_id: 'cn1519876543simx', shop_name: 'Sim AliExpress Store', currency: 'USD', country_code: 'CN' });
      case 'aliexpress.solution.order.get': {
        const q = JSON.parse(params.param0 ?? '{}') as { modified_date_start?: string; modified_date_end?: string; page_size?: number; current_page?: number };
        const from = q.modified_date_start ? parseNaiveInZone(q.modified_date_start, ZONE) : undefined;
        const until = q.modified_date_end ? parseNaiveInZone(q.modified_date_end, ZONE) : undefined;
        const all = sim.inWindow(ctx.orders(), from, until);
        const size = Math.min(q.page_size ?? 20, 50);
        const page = q.current_page ?? 1;
        const slice = all.slice((page - 1) * size, page * size);
        return answer({
          total_count: all.length,
          total_page: Math.max(1, Math.ceil(all.length / size)),
          current_page: page,
          page_size: size,
          target_list: slice.length ? { order_dto: slice.map((o) => o.payload.order) } : {},
        });
      }
      case 'aliexpress.solution.order.info.get': {
        const { order_id } = JSON.parse(params.param1 ?? '{}') as { order_id?: number };
        const order = ctx.get(String(order_id));
        if (!order) return error('isv.order-not-found', 'Order not found', { sub_code: 'isv.order-not-found', sub_msg: `order ${order_id} does not exist` });
        return answer({ data: order.payload.detail, error_code: null, success: true });
      }
      case 'aliexpress.solution.order.fulfill': {
        const order = ctx.get(params.out_ref ?? '');
        if (!order) return error('isv.order-not-found', 'Order not found');
        order.payload.order.order_status = 'WAIT_BUYER_ACCEPT_GOODS';
        ctx.recordPush(order.id, 'order.fulfill', { service_name: params.service_name, logistics_no: params.logistics_no }, 'WAIT_BUYER_ACCEPT_GOODS');
        return answer({ result_success: true });
      }
      default:
        return error('InvalidApiPath', `unknown method ${method}`);
    }
  },
};
