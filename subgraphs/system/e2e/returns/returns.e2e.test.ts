import { and, eq } from 'drizzle-orm';
import jsQR from 'jsqr';
import { createClient } from 'graphql-ws';
import { PNG } from 'pngjs';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '@ipay/platform';
import * as commerceSchema from '@ipay/commerce/src/db/schema.ts';
import * as paymentsSchema from '@ipay/payments/src/db/schema.ts';
import { acme, codeOf, eventually, pointSimulatorAtSubgraph } from '../logistics/logistics.support.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';

const OWNER = bearer(SANDBOX_KEYS['acme-owner']!);
const WAIT = 60_000;

const RETURN_FIELDS = `id status method reasonCode reasonLabel reasonText outcome confirmedAt carrierCode trackingNumber
  value { amount currency } lines { sku quantity total { amount } }
  offers { offerId kind refund { amount } storeCredit { amount } saved { amount } goodsReturned }
  acceptedOffer { offerId kind refund { amount } storeCredit { amount } saved { amount } }
  inspection { approved note } refundRequested { amount } refunded { amount } refundId refundFailure { code reason } storeCredit { amount }
  order { id status }
  shipment { id trackingNumber method status carrier { code } label { qrPayload qrCodePng } }`;

/**
 * Smart returns end to end: real orders paid through the sandbox PSP, delivered and handed over on the release
 * code; then returns whose label is booked by logistics, whose signed carrier scans move them, whose refund goes
 * through payments, and whose retention offers change the outcome.
 */
describe('smart returns', () => {
  let system: TestSystem;
  const commerceDb = () => system.subgraphs.commerce.database.db as unknown as Database<typeof commerceSchema>;
  const paymentsDb = () => system.subgraphs.payments.database.db as unknown as Database<typeof paymentsSchema>;

  async function gql<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { body } = await system.query(query, variables, OWNER);
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data as T;
  }

  const getReturn = async (id: string) => (await gql(`query($id: ID!) { return(id: $id) { ${RETURN_FIELDS} } }`, { id })).return;
  const waitReturn = (id: string, what: (r: any) => boolean) =>
    eventually(async () => {
      const r = await getReturn(id);
      return what(r) ? r : null;
    }, WAIT);
  const orderStatus = async (id: string) => (await gql(`query($id: ID!) { order(id: $id) { status } }`, { id })).order.status as string;

  let counter = 0;
  /** An order of two mugs (35.20 each) and a shirt (20.00) + 8.00 shipping, paid, shipped and handed over (DELIVERED). */
  async function deliveredOrder(): Promise<{ orderId: string; sessionId: string }> {
    counter += 1;
    const reference = `RET-${Date.now()}-${counter}`;
    const { createOrder } = await gql(`mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }`, {
      key: `${reference}-key`,
      input: {
        merchantId: acme.id,
        merchantReference: reference,
        currency: 'EUR',
        customer: { name: 'Emma de Vries', email: 'emma@example.com' },
        shippingAddress: { name: 'Emma de Vries', line1: 'Keizersgracht 1', city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' },
        lines: [
          { sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: 3520 },
          { sku: 'TEE-1', name: 'Shirt', quantity: 1, unitAmount: 2000 },
        ],
        shippingAmount: 800,
        totalAmount: 9840,
      },
    });
    const orderId = createOrder.id as string;
    const session = await eventually(async () => {
      const { body } = await system.query(
        `mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id } }`,
        { input: { orderId, psp: 'ADYEN', method: 'card', idempotencyKey: `${reference}-session` } },
        OWNER,
      );
      return body.data?.startPaymentSession as { id: string } | undefined;
    }, WAIT);
    await gql(`mutation($id: ID!) { simulateSandboxPayment(sessionId: $id, outcome: SUCCEED) { id } }`, { id: session.id });
    await eventually(
      async () => (await gql(`query($id: ID!) { paymentSession(id: $id) { status } }`, { id: session.id })).paymentSession.status === 'CONFIRMED',
      WAIT,
    );
    const shipment = await eventually(async () => {
      const { body } = await system.query(
        `mutation($input: CreateShipmentInput!) { createShipment(input: $input) { shipment { id } } }`,
        {
          input: {
            orderId,
            serviceLevel: 'STANDARD',
            deliveryMethod: 'DOOR',
            parcel: { weightGrams: 1200, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 } },
          },
        },
        OWNER,
      );
      return body.data?.createShipment?.shipment as { id: string } | undefined;
    }, WAIT);
    await gql(`mutation($id: ID!) { simulateCarrierScan(shipmentId: $id, scan: OUT_FOR_DELIVERY) { shipment { status } } }`, { id: shipment.id });
    const code = await eventually(async () => {
      const { body } = await system.query(`query($id: ID!) { releaseCode(orderId: $id) { code } }`, { id: orderId }, OWNER);
      return body.data?.releaseCode?.code as string | undefined;
    }, WAIT);
    const { verifyRelease } = await gql(`mutation($input: VerifyReleaseInput!) { verifyRelease(input: $input) { authorized release { id } } }`, {
      input: { shipmentId: shipment.id, code, locationType: 'DOOR' },
    });
    expect(verifyRelease.authorized).toBe(true);
    await gql(`mutation($id: ID!) { confirmParcelRelease(releaseId: $id) { status } }`, { id: verifyRelease.release.id });
    // release.authorized → RELEASED, then parcel.released (the hand-over) → DELIVERED.
    await eventually(async () => (await orderStatus(orderId)) === 'DELIVERED', WAIT);
    return { orderId, sessionId: session.id };
  }

  const REQUEST = `mutation($input: RequestReturnInput!) { requestReturn(input: $input) { ${RETURN_FIELDS} } }`;
  const requestReturn = async (input: Record<string, unknown>) =>
    (await gql(REQUEST, { input: { reasonCode: 'DAMAGED', method: 'DROP_OFF', ...input } })).requestReturn;

  /** The label's PNG decoded with jsQR: the QR code really carries the payload. */
  function decodeQr(dataUrl: string): string {
    expect(dataUrl.startsWith('data:image/png;base64,')).toBe(true);
    const png = PNG.sync.read(Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
    return decoded?.data ?? '';
  }

  /** Ships the return back: label → carrier scans (signed webhooks) → received. */
  async function sendBack(returnId: string) {
    const labelled = await waitReturn(returnId, (r) => r.status === 'LABEL_ISSUED' && r.shipment);
    await gql(`mutation($id: ID!) { simulateReturnScan(returnId: $id, scan: PICKED_UP) { status } }`, { id: returnId });
    await waitReturn(returnId, (r) => r.status === 'IN_TRANSIT');
    await gql(`mutation($id: ID!) { simulateReturnScan(returnId: $id, scan: DELIVERED) { status } }`, { id: returnId });
    await waitReturn(returnId, (r) => r.status === 'RECEIVED');
    return labelled;
  }

  const inspect = async (id: string, approved: boolean, note?: string) =>
    (
      await gql(`mutation($id: ID!, $approved: Boolean!, $note: String) { inspectReturn(id: $id, approved: $approved, note: $note) { ${RETURN_FIELDS} } }`, {
        id,
        approved,
        note,
      })
    ).inspectReturn;

  const offers: Record<string, string> = {};

  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    pointSimulatorAtSubgraph(system);
    for (const [code, label] of [
      ['DAMAGED', 'Arrived damaged'],
      ['WRONG_SIZE', 'Wrong size'],
      ['CHANGED_MIND', 'Changed my mind'],
    ]) {
      await gql(`mutation($m: ID!, $input: ReturnReasonInput!) { createReturnReason(merchantId: $m, input: $input) { id } }`, {
        m: acme.id,
        input: { code, label },
      });
    }
  }, 120_000);
  afterAll(() => system?.stop());

  it('manages reasons and offers with validation and audit', async () => {
    const dup = await system.query(
      `mutation($m: ID!) { createReturnReason(merchantId: $m, input: { code: "DAMAGED", label: "again" }) { id } }`,
      { m: acme.id },
      OWNER,
    );
    expect(codeOf(dup.body)).toBe('BAD_USER_INPUT');
    expect(dup.body.errors[0].extensions.field).toBe('code');
    const { createReturnReason: temp } = await gql(
      `mutation($m: ID!) { createReturnReason(merchantId: $m, input: { code: "TEMP", label: "Temporary", requiresText: true }) { id code requiresText } }`,
      { m: acme.id },
    );
    const { updateReturnReason } = await gql(`mutation($id: ID!) { updateReturnReason(id: $id, input: { label: "Other" }) { label } }`, { id: temp.id });
    expect(updateReturnReason.label).toBe('Other');
    await gql(`mutation($id: ID!) { archiveReturnReason(id: $id) { archived } }`, { id: temp.id });
    const { returnReasons } = await gql(`query($m: ID!) { returnReasons(merchantId: $m) { code } }`, { m: acme.id });
    expect(returnReasons.map((r: { code: string }) => r.code)).toEqual(['CHANGED_MIND', 'DAMAGED', 'WRONG_SIZE']);

    const badShare = await system.query(
      `mutation($m: ID!) { createRetentionOffer(merchantId: $m, input: { kind: PARTIAL_REFUND, partialRefundBps: 10000 }) { id } }`,
      { m: acme.id },
      OWNER,
    );
    expect(codeOf(badShare.body)).toBe('BAD_USER_INPUT');
    expect(badShare.body.errors[0].extensions.field).toBe('partialRefundBps');
    const unknownReason = await system.query(
      `mutation($m: ID!) { createRetentionOffer(merchantId: $m, input: { kind: EXCHANGE, reasonCodes: ["NOPE"] }) { id } }`,
      { m: acme.id },
      OWNER,
    );
    expect(codeOf(unknownReason.body)).toBe('BAD_USER_INPUT');

    // WRONG_SIZE: exchange or store credit (+10 %); CHANGED_MIND: keep it for 30 % back; DAMAGED: no offers.
    const create = async (input: Record<string, unknown>) =>
      (await gql(`mutation($m: ID!, $input: RetentionOfferInput!) { createRetentionOffer(merchantId: $m, input: $input) { id kind } }`, { m: acme.id, input }))
        .createRetentionOffer.id as string;
    offers.exchange = await create({ kind: 'EXCHANGE', reasonCodes: ['WRONG_SIZE'] });
    offers.credit = await create({ kind: 'STORE_CREDIT', bonusBps: 1000, reasonCodes: ['WRONG_SIZE'] });
    offers.partial = await create({ kind: 'PARTIAL_REFUND', partialRefundBps: 2500, reasonCodes: ['CHANGED_MIND'] });
    const gone = await create({ kind: 'EXCHANGE', reasonCodes: ['CHANGED_MIND'] });
    await gql(
      `mutation($id: ID!) { updateRetentionOffer(id: $id, input: { kind: PARTIAL_REFUND, partialRefundBps: 3000, reasonCodes: ["CHANGED_MIND"] }) { partialRefundBps } }`,
      { id: offers.partial },
    );
    await gql(`mutation($id: ID!) { deleteRetentionOffer(id: $id) { id } }`, { id: gone });
    const { retentionOffers } = await gql(`query($m: ID!) { retentionOffers(merchantId: $m) { id kind partialRefundBps bonusBps reasonCodes } }`, {
      m: acme.id,
    });
    expect(retentionOffers).toHaveLength(3);

    const audit = await commerceDb().select({ action: commerceSchema.auditLog.action }).from(commerceSchema.auditLog);
    const actions = audit.map((a) => a.action);
    for (const action of [
      'return_reason.create',
      'return_reason.update',
      'return_reason.archive',
      'retention_offer.create',
      'retention_offer.update',
      'retention_offer.delete',
    ])
      expect(actions).toContain(action);
  });

  it("refuses a return of an order that was not handed over, and lines that are not the order's", { timeout: 240_000 }, async () => {
    const { orders } = await gql(`query($m: ID!) { orders(merchantId: $m, status: CREATED, first: 1) { edges { node { id } } } }`, { m: acme.id });
    const created = orders.edges[0].node.id;
    const early = await system.query(REQUEST, { input: { orderId: created, reasonCode: 'DAMAGED', method: 'DROP_OFF' } }, OWNER);
    expect(codeOf(early.body)).toBe('ORDER_NOT_RETURNABLE');
  });

  it(
    'refund: label with a QR code that decodes, carrier scans drive it, inspection, refund through payments, order PARTIALLY_RETURNED',
    { timeout: 300_000 },
    async () => {
      const { orderId } = await deliveredOrder();
      const tooMany = await system.query(
        REQUEST,
        { input: { orderId, reasonCode: 'DAMAGED', method: 'DROP_OFF', lines: [{ sku: 'MUG-1', quantity: 3 }] } },
        OWNER,
      );
      expect(codeOf(tooMany.body)).toBe('BAD_USER_INPUT');
      expect(tooMany.body.errors[0].extensions.field).toBe('lines.0.quantity');
      const unknownReason = await system.query(REQUEST, { input: { orderId, reasonCode: 'NOPE', method: 'DROP_OFF' } }, OWNER);
      expect(unknownReason.body.errors[0].extensions.field).toBe('reasonCode');

      const requested = await requestReturn({ orderId, lines: [{ sku: 'MUG-1', quantity: 1 }], reasonText: 'handle broken' });
      // DAMAGED has no offers: confirmed at once.
      expect(requested).toMatchObject({
        status: 'REQUESTED',
        outcome: 'REFUND',
        reasonLabel: 'Arrived damaged',
        value: { amount: 3520, currency: 'EUR' },
        offers: [],
      });
      expect(requested.confirmedAt).not.toBeNull();

      const labelled = await sendBack(requested.id);
      expect(labelled.shipment.method).toBe('DROP_OFF');
      expect(labelled.trackingNumber).toBe(labelled.shipment.trackingNumber);
      const payload = labelled.shipment.label.qrPayload as string;
      expect(payload.startsWith(`IPAYRTN1.${requested.id}.${labelled.shipment.carrier.code}.${labelled.shipment.trackingNumber}.`)).toBe(true);
      expect(decodeQr(labelled.shipment.label.qrCodePng)).toBe(payload);

      const inspected = await inspect(requested.id, true, 'handle broken indeed');
      expect(inspected).toMatchObject({ status: 'INSPECTED', inspection: { approved: true }, refundRequested: { amount: 3520 } });
      const refunded = await waitReturn(requested.id, (r) => r.status === 'REFUNDED');
      expect(refunded.refunded).toEqual({ amount: 3520 });
      expect(refunded.refundId).toMatch(/^ref_/);
      const [refund] = await paymentsDb().select().from(paymentsSchema.refunds).where(eq(paymentsSchema.refunds.id, refunded.refundId));
      expect(refund).toMatchObject({ orderId, amount: 3520, reason: `return ${requested.id}`, idempotencyKey: `return_${requested.id}` });
      expect(await orderStatus(orderId)).toBe('PARTIALLY_RETURNED');

      // A later scan of the return shipment changes nothing: the return is closed and received is announced once.
      await gql(`mutation($id: ID!) { simulateReturnScan(returnId: $id, scan: DELIVERED) { status } }`, { id: requested.id });
      expect((await getReturn(requested.id)).status).toBe('REFUNDED');

      const outbox = await commerceDb()
        .select({ type: commerceSchema.outbox.type })
        .from(commerceSchema.outbox)
        .where(eq(commerceSchema.outbox.subjectId, requested.id))
        .orderBy(commerceSchema.outbox.id);
      expect(outbox.map((e) => e.type)).toEqual(['return.initiated', 'return.confirmed', 'return.inspected', 'return.refund_requested', 'return.refunded']);

      // Delivered by subscription on the order feed, with fields of the order resolved per event (resumed after order.created).
      const [created] = await commerceDb()
        .select({ id: commerceSchema.outbox.id })
        .from(commerceSchema.outbox)
        .where(and(eq(commerceSchema.outbox.subjectId, orderId), eq(commerceSchema.outbox.type, 'order.created')));
      const client = createClient({
        url: system.gatewayUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: OWNER.authorization },
        retryAttempts: 0,
        lazy: true,
      });
      const expected = [
        'return.initiated',
        'return.confirmed',
        'return.label_issued',
        'return.in_transit',
        'return.received',
        'return.inspected',
        'return.refund_requested',
        'return.refunded',
      ];
      const seen: { type: string; payload: any; order: { id: string } }[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`subscription got ${JSON.stringify(seen.map((e) => e.type))}`)), WAIT);
        const dispose = client.subscribe(
          {
            query: `subscription($o: ID!, $after: ID!, $types: [String!]) { orderEvents(orderId: $o, lastEventId: $after, types: $types) { type payload order { id } } }`,
            variables: { o: orderId, after: created!.id, types: expected },
          },
          {
            next: (value) => {
              seen.push((value.data as any).orderEvents);
              if (seen.length === expected.length) {
                clearTimeout(timer);
                dispose();
                resolve();
              }
            },
            error: (e) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(JSON.stringify(e)))),
            complete: () => {},
          },
        );
      });
      await client.dispose();
      expect(seen.map((e) => e.type).sort()).toEqual([...expected].sort());
      expect(seen.every((e) => e.order.id === orderId && e.payload.return.id === requested.id)).toBe(true);
      expect(seen.find((e) => e.type === 'return.label_issued')!.payload).toMatchObject({
        carrier: labelled.shipment.carrier.code,
        tracking_number: labelled.shipment.trackingNumber,
        label: { qr_payload: payload },
      });
    },
  );

  it('concurrent returns of one order never claim more units than were ordered (the order row lock)', { timeout: 300_000 }, async () => {
    const { orderId } = await deliveredOrder();
    const attempts = await Promise.all(
      [1, 2, 3].map(() =>
        system.query(REQUEST, { input: { orderId, reasonCode: 'DAMAGED', method: 'DROP_OFF', lines: [{ sku: 'MUG-1', quantity: 1 }] } }, OWNER),
      ),
    );
    const ok = attempts.filter((a) => !a.body.errors);
    const refused = attempts.filter((a) => a.body.errors);
    expect(ok).toHaveLength(2);
    expect(refused.map((a) => a.body.errors[0].extensions)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'lines.0.quantity' })]);
    const rows = await commerceDb().select().from(commerceSchema.returns).where(eq(commerceSchema.returns.orderId, orderId));
    expect(rows.reduce((sum, r) => sum + r.lines.reduce((s, l) => s + l.quantity, 0), 0)).toBe(2);
  });

  it('rejection: no refund, the order keeps its status', { timeout: 300_000 }, async () => {
    const { orderId } = await deliveredOrder();
    const before = await orderStatus(orderId);
    const requested = await requestReturn({ orderId, lines: [{ sku: 'TEE-1', quantity: 1 }] });
    await sendBack(requested.id);
    const noNote = await system.query(`mutation($id: ID!) { inspectReturn(id: $id, approved: false) { id } }`, { id: requested.id }, OWNER);
    expect(noNote.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'note' });
    const rejected = await inspect(requested.id, false, 'worn and washed');
    expect(rejected).toMatchObject({ status: 'REJECTED', inspection: { approved: false, note: 'worn and washed' }, refundRequested: null, refunded: null });
    const again = await system.query(`mutation($id: ID!) { inspectReturn(id: $id, approved: true) { id } }`, { id: requested.id }, OWNER);
    expect(codeOf(again.body)).toBe('ILLEGAL_RETURN_TRANSITION');
    expect(await orderStatus(orderId)).toBe(before);
    const refunds = await paymentsDb().select().from(paymentsSchema.refunds).where(eq(paymentsSchema.refunds.orderId, orderId));
    expect(refunds).toEqual([]);
  });

  it('exchange offer: retention.offer.accepted, goods come back, no refund', { timeout: 300_000 }, async () => {
    const { orderId } = await deliveredOrder();
    const requested = await requestReturn({ orderId, reasonCode: 'WRONG_SIZE', method: 'LOCKER', lines: [{ sku: 'TEE-1', quantity: 1 }] });
    expect(requested.confirmedAt).toBeNull();
    expect(requested.offers.map((o: { kind: string }) => o.kind).sort()).toEqual(['EXCHANGE', 'STORE_CREDIT']);
    const notOffered = await system.query(
      `mutation($r: ID!, $o: ID!) { acceptRetentionOffer(returnId: $r, offerId: $o) { id } }`,
      { r: requested.id, o: offers.partial },
      OWNER,
    );
    expect(codeOf(notOffered.body)).toBe('RETENTION_OFFER_NOT_AVAILABLE');
    const { acceptRetentionOffer: accepted } = await gql(
      `mutation($r: ID!, $o: ID!) { acceptRetentionOffer(returnId: $r, offerId: $o) { ${RETURN_FIELDS} } }`,
      { r: requested.id, o: offers.exchange },
    );
    expect(accepted).toMatchObject({ outcome: 'EXCHANGE', acceptedOffer: { kind: 'EXCHANGE', refund: { amount: 0 }, saved: { amount: 2000 } }, offers: [] });
    const twice = await system.query(`mutation($id: ID!) { confirmReturn(id: $id) { id } }`, { id: requested.id }, OWNER);
    expect(codeOf(twice.body)).toBe('RETURN_ALREADY_CONFIRMED');
    await sendBack(requested.id);
    const done = await inspect(requested.id, true);
    expect(done).toMatchObject({ status: 'EXCHANGED', refundRequested: null });
    const [event] = await commerceDb()
      .select()
      .from(commerceSchema.outbox)
      .where(and(eq(commerceSchema.outbox.subjectId, requested.id), eq(commerceSchema.outbox.type, 'retention.offer.accepted')));
    expect(event!.payload).toMatchObject({
      order_id: orderId,
      merchant: acme.slug,
      offer: { id: offers.exchange, kind: 'EXCHANGE', saved: { amount_minor: 2000 } },
      return: { id: requested.id },
    });
  });

  it('partial refund offer: the consumer keeps the goods, 30 % refunded through payments, no label', { timeout: 300_000 }, async () => {
    const { orderId } = await deliveredOrder();
    const before = await orderStatus(orderId);
    const requested = await requestReturn({ orderId, reasonCode: 'CHANGED_MIND', lines: [{ sku: 'MUG-1', quantity: 2 }] });
    expect(requested.offers).toEqual([
      expect.objectContaining({ offerId: offers.partial, kind: 'PARTIAL_REFUND', refund: { amount: 2112 }, saved: { amount: 4928 }, goodsReturned: false }),
    ]);
    await gql(`mutation($r: ID!, $o: ID!) { acceptRetentionOffer(returnId: $r, offerId: $o) { id } }`, { r: requested.id, o: offers.partial });
    const refunded = await waitReturn(requested.id, (r) => r.status === 'REFUNDED');
    expect(refunded).toMatchObject({
      outcome: 'PARTIAL_REFUND',
      refundRequested: { amount: 2112 },
      refunded: { amount: 2112 },
      shipment: null,
      trackingNumber: null,
    });
    expect(await orderStatus(orderId)).toBe(before);
    // The kept mugs cannot be returned again.
    const again = await system.query(REQUEST, { input: { orderId, reasonCode: 'DAMAGED', method: 'DROP_OFF', lines: [{ sku: 'MUG-1', quantity: 1 }] } }, OWNER);
    expect(again.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'lines.0.quantity' });
  });

  it('store credit offer for everything: credit with its bonus, the order RETURNED', { timeout: 300_000 }, async () => {
    const { orderId } = await deliveredOrder();
    const requested = await requestReturn({ orderId, reasonCode: 'WRONG_SIZE', method: 'PICKUP' });
    expect(requested.value).toEqual({ amount: 9040, currency: 'EUR' });
    const credit = requested.offers.find((o: { kind: string }) => o.kind === 'STORE_CREDIT');
    expect(credit).toMatchObject({ storeCredit: { amount: 9944 }, saved: { amount: 9040 }, goodsReturned: true });
    await gql(`mutation($r: ID!, $o: ID!) { acceptRetentionOffer(returnId: $r, offerId: $o) { id } }`, { r: requested.id, o: offers.credit });
    await sendBack(requested.id);
    const done = await inspect(requested.id, true);
    expect(done).toMatchObject({ status: 'CREDITED', storeCredit: { amount: 9944 }, refundRequested: null });
    expect(await orderStatus(orderId)).toBe('RETURNED');
    const credits = await commerceDb().select().from(commerceSchema.storeCredits).where(eq(commerceSchema.storeCredits.returnId, requested.id));
    expect(credits).toEqual([expect.objectContaining({ amount: 9944, currency: 'EUR', customerEmail: 'emma@example.com' })]);
  });

  it('never refunds more than was captured: payments refuses, the return records REFUND_EXCEEDS_CAPTURED', { timeout: 300_000 }, async () => {
    const { orderId, sessionId } = await deliveredOrder();
    // The merchant already refunded 90.00 of the 98.40 captured: a 35.20 mug no longer fits.
    await gql(`mutation($input: CreateRefundInput!) { createRefund(input: $input) { id } }`, {
      input: { paymentSessionId: sessionId, amount: 9000, reason: 'goodwill', idempotencyKey: `goodwill-${orderId}` },
    });
    const requested = await requestReturn({ orderId, lines: [{ sku: 'MUG-1', quantity: 1 }] });
    await sendBack(requested.id);
    await inspect(requested.id, true);
    const failed = await waitReturn(requested.id, (r) => r.refundFailure);
    expect(failed).toMatchObject({ status: 'INSPECTED', refundFailure: { code: 'REFUND_EXCEEDS_CAPTURED' }, refunded: null });
    const refunds = await paymentsDb().select().from(paymentsSchema.refunds).where(eq(paymentsSchema.refunds.orderId, orderId));
    expect(refunds.map((r) => r.amount)).toEqual([9000]);
  });

  it('retention rate and saved revenue per reason', async () => {
    const { retentionStats } = await gql(
      `query($m: ID!) { retentionStats(merchantId: $m) { currency returns retained retentionRate savedRevenue { amount currency } byReason { reasonCode returns retained retentionRate savedRevenue { amount } } } }`,
      { m: acme.id },
    );
    expect(retentionStats).toHaveLength(1);
    const [eur] = retentionStats;
    const byReason = Object.fromEntries(eur.byReason.map((r: { reasonCode: string }) => [r.reasonCode, r]));
    expect(byReason.DAMAGED).toMatchObject({ returns: 5, retained: 0, retentionRate: 0, savedRevenue: { amount: 0 } });
    expect(byReason.WRONG_SIZE).toMatchObject({ returns: 2, retained: 2, retentionRate: 1, savedRevenue: { amount: 2000 + 9040 } });
    expect(byReason.CHANGED_MIND).toMatchObject({ returns: 1, retained: 1, retentionRate: 1, savedRevenue: { amount: 4928 } });
    expect(eur).toMatchObject({
      currency: 'EUR',
      returns: 8,
      retained: 3,
      retentionRate: 3 / 8,
      savedRevenue: { amount: 2000 + 9040 + 4928, currency: 'EUR' },
    });
  });
});
