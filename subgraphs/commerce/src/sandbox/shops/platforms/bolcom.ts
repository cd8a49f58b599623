import { toMinorUnits } from '../../../adapters/shops/money.ts';
import { sim, type PlatformSim, type SimOrder } from '../sim-kit.ts';

const CLIENT_ID = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b';
const CLIENT_SECRET = 'SimBolSecret_0123456789abcdef';
const MEDIA = 'application/vnd.retailer.v10+json';
const PAGE = 50;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
const problem = (status: number, title: string, detail: string) => ({
  status,
  body: { type: 'https://api.bol.com/problems', title, status, detail },
  headers: { 'content-type': 'application/vnd.retailer.v10+json+problem' },
});

/** bol.com Retailer API v10: client credentials at the login host, per-day order lists in pages of 50, async shipment. */
export const bolcomSim: PlatformSim = {
  platform: 'bolcom',
  defaultCurrency: 'EUR',
  defaultCountry: 'NL',
  credentials: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  build: (s) => {
    // bol.com splits street and house number; the seed's line1 is "Keizersgracht 12".
    const [, street = s.address.line1, number = '', extension = ''] = /^(.*?)\s+(\d+)\s*(.*)$/.exec(s.address.line1) ?? [];
    return {
      orderId: s.id,
      pickupPoint: false,
      orderPlacedDateTime: iso(s.placedAt),
      shipmentDetails: {
        firstName: s.customer.firstName,
        surname: s.customer.lastName,
        streetName: street,
        houseNumber: number,
        houseNumberExtension: extension || undefined,
        extraAddressInformation: s.address.line2 ?? undefined,
        zipCode: s.address.postalCode,
        city: s.address.city,
        countryCode: s.address.country,
        email: s.customer.email,
        deliveryPhoneNumber: s.customer.phone,
        language: 'nl',
      },
      orderItems: s.lines.map((l, i) => ({
        orderItemId: `${s.id}${String(i + 1).padStart(2, '0')}`,
        cancellationRequest: false,
        fulfilment: { method: 'FBR', distributionParty: 'RETAILER' },
        offer: { offerId: `offer-${l.sku}`, reference: l.sku },
        product: { ean: `87123450${String(i).padStart(5, '0')}`, title: l.name },
        quantity: l.quantity,
        quantityShipped: 0,
        quantityCancelled: 0,
        // The customer pays bol.com the item prices; shipping is the retailer's own cost, not on the order.
        unitPrice: Number(s.fmt(toMinorUnits(l.unitPrice, s.currency))),
        latestChangedDateTime: iso(s.updatedAt),
      })),
    };
  },
  touch: (order: SimOrder, at) => {
    for (const item of order.payload.orderItems) item.latestChangedDateTime = iso(at);
  },
  handle(req, ctx) {
    if (req.path === '/oauth-host/token' && req.method === 'POST') {
      const auth = sim.basic(req.headers.authorization);
      if (req.query.get('grant_type') !== 'client_credentials' || auth?.user !== CLIENT_ID || auth.password !== CLIENT_SECRET) {
        return sim.json(401, { error: 'invalid_client', error_description: 'Bad client credentials' });
      }
      return sim.json(200, { access_token: ctx.issueToken(), token_type: 'Bearer', expires_in: 299, scope: 'RETAILER' });
    }
    if (!ctx.isIssuedToken(sim.bearer(req.headers.authorization)))
      return problem(401, 'Unauthorized', 'Full authentication is required to access this resource.');
    if (req.headers.accept !== MEDIA) return problem(406, 'Not Acceptable', `Accept header must be ${MEDIA}`);
    if (req.method === 'GET' && req.path === '/retailer/orders') {
      const day = req.query.get('latest-change-date');
      const page = Number(req.query.get('page') ?? 1);
      const all = sim.inWindow(ctx.orders()).filter((o) => !day || o.updatedAt.toISOString().slice(0, 10) === day);
      const slice = all.slice((page - 1) * PAGE, page * PAGE);
      // An empty page has no orders key at all.
      return sim.json(
        200,
        slice.length
          ? {
              orders: slice.map((o) => ({
                orderId: o.id,
                orderPlacedDateTime: o.payload.orderPlacedDateTime,
                orderItems: o.payload.orderItems.map((i: any) => ({
                  orderItemId: i.orderItemId,
                  ean: i.product.ean,
                  quantity: i.quantity,
                  quantityShipped: i.quantityShipped,
                  quantityCancelled: i.quantityCancelled,
                  cancellationRequest: false,
                  latestChangedDateTime: i.latestChangedDateTime,
                })),
              })),
            }
          : {},
      );
    }
    const detail = /^\/retailer\/orders\/(\d+)$/.exec(req.path);
    if (req.method === 'GET' && detail) {
      const order = ctx.get(detail[1]!);
      return order ? sim.json(200, order.payload) : problem(404, 'Not Found', `Order ${detail[1]} not found`);
    }
    if (req.method === 'PUT' && (req.path === '/retailer/orders/shipment' || req.path === '/retailer/orders/cancellation')) {
      const body = sim.parseJson(req.body);
      const itemIds: string[] = (body?.orderItems ?? []).map((i: { orderItemId: string }) => i.orderItemId);
      const order = ctx.orders().find((o) => o.payload.orderItems.some((i: { orderItemId: string }) => itemIds.includes(i.orderItemId)));
      if (!order) return problem(400, 'Bad Request', 'Unknown order item');
      const action = req.path.endsWith('shipment') ? 'shipment' : 'cancellation';
      ctx.recordPush(order.id, action, body, action === 'shipment' ? 'SHIPPED' : 'CANCELLED');
      return sim.json(202, {
        processStatusId: `${Date.now()}`,
        entityId: order.id,
        eventType: action === 'shipment' ? 'CONFIRM_SHIPMENT' : 'CANCEL_ORDER',
        description: `Process ${action}`,
        status: 'PENDING',
        createTimestamp: new Date().toISOString(),
      });
    }
    return problem(404, 'Not Found', `No endpoint ${req.method} ${req.path}`);
  },
};
