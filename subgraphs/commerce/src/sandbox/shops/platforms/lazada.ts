import { iopSign } from '../../../adapters/shops/signing.ts';
import { sim, type PlatformSim, type SimRequest } from '../sim-kit.ts';

const APP_KEY = '100123';
const SECRET = 'SimLazadaSecret0123456789';
const TOKEN = 'SimLazadaAccessToken000001';

/** "2024-05-01 10:00:00 +0800" in Singapore time. */
const lazadaTime = (d: Date) => `${new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ')} +0800`;

function params(req: SimRequest): Record<string, string> {
  const source = req.method === 'GET' ? req.query : new URLSearchParams(req.body);
  return Object.fromEntries(source);
}

/** Lazada: HMAC-signed query/form, errors in HTTP 200 bodies, offset paging with countTotal, one item row per unit. */
export const lazadaSim: PlatformSim = {
  platform: 'lazada',
  defaultCurrency: 'SGD',
  defaultCountry: 'SG',
  credentials: { appKey: APP_KEY, appSecret: SECRET, accessToken: TOKEN },
  build: (s) => ({
    order: {
      order_id: Number(s.id),
      order_number: Number(s.id) + 500000000,
      created_at: lazadaTime(s.placedAt),
      updated_at: lazadaTime(s.updatedAt),
      price: s.fmt(s.itemsMinor),
      shipping_fee: s.shipping,
      voucher: s.fmt(0),
      payment_method: s.cashOnDelivery ? 'COD' : 'MIXEDCARD',
      customer_first_name: s.customer.firstName,
      customer_last_name: s.customer.lastName,
      statuses: ['pending'],
      address_shipping: {
        first_name: s.customer.firstName,
        last_name: s.customer.lastName,
        phone: s.customer.phone ?? '',
        address1: s.address.line1,
        address2: s.address.line2 ?? '',
        city: s.address.city,
        post_code: s.address.postalCode,
        country: 'Singapore',
      },
    },
    items: s.lines.flatMap((l, li) =>
      Array.from({ length: l.quantity }, (_, u) => ({
        order_item_id: Number(s.id) * 100 + li * 10 + u,
        order_id: Number(s.id),
        sku: l.sku,
        name: l.name,
        item_price: l.unitPrice,
        paid_price: l.unitPrice,
        currency: s.currency,
        status: 'pending',
        package_id: `FP${s.id}`,
      })),
    ),
  }),
  touch: (order, at) => {
    order.payload.order.updated_at = lazadaTime(at);
  },
  handle(req, ctx) {
    const p = params(req);
    const path = req.path.replace(/^\/rest/, '');
    const { sign, ...unsigned } = p;
    if (p.app_key !== APP_KEY || !sign || iopSign(SECRET, path, unsigned) !== sign) {
      return sim.json(200, {
        type: 'ISV',
        code: 'IncompleteSignature',
        message: 'The request signature does not conform to lazada standards',
        request_id: 'sim',
      });
    }
    if (p.access_token !== TOKEN)
      return sim.json(200, { type: 'ISV', code: 'IllegalAccessToken', message: 'The specified access token is invalid or expired', request_id: 'sim' });
    const ok = (data: unknown) => sim.json(200, { code: '0', data, request_id: 'sim' });
    if (path === '/seller/get') return ok({ seller_id: 1000123456, name: 'Sim Lazada Store', email: 'seller@sim.example' });
    if (path === '/orders/get') {
      const after = sim.date(p.update_after ?? null);
      const before = sim.date(p.update_before ?? null);
      const all = sim.inWindow(ctx.orders(), after, before);
      const offset = Number(p.offset ?? 0);
      const page = all.slice(offset, offset + Number(p.limit ?? 10));
      return ok({ count: page.length, countTotal: all.length, orders: page.map((o) => o.payload.order) });
    }
    if (path === '/orders/items/get') {
      const ids: number[] = JSON.parse(p.order_ids ?? '[]');
      return ok(ids.map((id) => ({ order_id: id, order_number: id + 500000000, order_items: ctx.get(String(id))?.payload.items ?? [] })));
    }
    if (path === '/order/items/get') return ok(ctx.get(p.order_id ?? '')?.payload.items ?? []);
    const pushPaths: Record<string, [string, string]> = {
      '/order/package/rts': ['package_rts', 'readyToShipReq'],
      '/order/package/sof/delivered': ['sof_delivered', 'payload'],
      '/order/package/sof/failed_delivery': ['sof_failed_delivery', 'payload'],
    };
    const push = pushPaths[path];
    if (push && req.method === 'POST') {
      const packages: { package_id: string }[] = JSON.parse(p[push[1]] ?? '{}').packages ?? [];
      const order = ctx.orders().find((o) => packages.some((pk) => pk.package_id === `FP${o.id}`));
      if (!order) return sim.json(200, { code: 'PACKAGE_NOT_FOUND', message: 'package not found', request_id: 'sim' });
      ctx.recordPush(order.id, push[0], { packages }, push[0]);
      return ok({ packages: packages.map((pk) => ({ package_id: pk.package_id, item_err_code: '0' })) });
    }
    return sim.json(200, { code: 'InvalidApiPath', message: `unknown api ${path}`, request_id: 'sim' });
  },
};
