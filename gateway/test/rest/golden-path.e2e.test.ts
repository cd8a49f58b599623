import { readFileSync } from 'node:fs';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, sandboxSettlementId } from '@ipay/platform';
import { startTestSystem, SANDBOX_KEYS, type TestSystem } from '../../../subgraphs/system/e2e/support.ts';
import type { paths } from './generated/openapi.ts';
import { ResponseValidator } from './support.ts';

const openapi = JSON.parse(readFileSync(new URL('../../../schema/openapi.json', import.meta.url), 'utf8')) as Record<string, any>;
const acme = SANDBOX_MERCHANTS[0]!;

/** Polls until `probe` returns a value (events cross subgraphs asynchronously, through the bus). */
async function eventually<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * The pay-on-arrival golden path through REST only, with a client generated from the OpenAPI document
 * (openapi-typescript + openapi-fetch); every response is validated against its schema in the document.
 */
describe('the golden path over REST', () => {
  let system: TestSystem;
  let client: ReturnType<typeof createClient<paths>>;
  const validator = new ResponseValidator(openapi);
  const checked: string[] = [];

  /** Asserts success and that the body matches the documented schema of that response. */
  function valid<T>(path: string, method: string, result: { data?: T; error?: unknown; response: Response }): T {
    expect(result.error, `${method} ${path}: ${JSON.stringify(result.error)}`).toBeUndefined();
    const errors = validator.errors(path, method, result.response.status, result.response.headers.get('content-type') ?? '', result.data);
    expect(errors, `${method} ${path} response does not match its schema`).toEqual([]);
    checked.push(`${method} ${path}`);
    return result.data as T;
  }

  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
    client = createClient<paths>({
      baseUrl: new URL('/', system.gatewayUrl).toString().replace(/\/$/, ''),
      headers: { authorization: `Bearer ${SANDBOX_KEYS['acme-owner']}` },
    });
  });
  afterAll(() => system?.stop());

  it(
    'creates an order, is paid through the sandbox PSP, goes out for delivery, is released on the code, partly returned and refunded',
    { timeout: 180_000 },
    async () => {
      const reference = `GOLD-${Date.now()}`;
      const idem = (step: string) => ({ header: { 'Idempotency-Key': `${reference}-${step}` } });

      // 1. The merchant creates an order.
      const order = valid(
        '/v1/orders',
        'post',
        await client.POST('/v1/orders', {
          params: idem('order'),
          body: {
            idempotencyKey: reference,
            input: {
              merchantId: acme.id,
              merchantReference: reference,
              currency: 'EUR',
              customer: { name: 'Emma de Vries', email: 'emma@example.com' },
              shippingAddress: { name: 'Emma de Vries', line1: 'Keizersgracht 1', city: 'Amsterdam', postalCode: '1015 CJ', country: 'NL' },
              lines: [{ sku: 'MUG-1', name: 'Mug', quantity: 2, unitAmount: 3520 }],
              shippingAmount: 800,
              discountAmount: 0,
              totalAmount: 7840,
            },
          } as never,
        }),
      );
      const orderId = (order as { id: string }).id;

      // 2. A payment session for it (payments learns the order from order.created).
      // An answered request is replayed for its Idempotency-Key (a 404 included), so each try is a new request.
      let attempt = 0;
      const session = await eventually(async () => {
        attempt += 1;
        const result = await client.POST('/v1/payment-sessions', {
          params: idem(`session-${attempt}`),
          body: { orderId, psp: 'ADYEN', method: 'card', idempotencyKey: `${reference}-session` },
        });
        return result.response.status === 201 ? valid('/v1/payment-sessions', 'post', result) : undefined;
      }, 'the payment session');
      const sessionId = (session as { id: string }).id;
      expect(session).toMatchObject({ status: expect.any(String), amount: { amount: 7840, currency: 'EUR' } });
      expect((session as { reference: string }).reference).toMatch(/^IPAY-/);

      // 3. The consumer pays at the sandbox PSP; its signed notification confirms the session.
      valid(
        '/v1/sandbox/payment-sessions/{sessionId}/simulate',
        'post',
        await client.POST('/v1/sandbox/payment-sessions/{sessionId}/simulate', { params: { path: { sessionId } }, body: { outcome: 'SUCCEED' } }),
      );
      await eventually(async () => {
        const result = await client.GET('/v1/payment-sessions/{id}', { params: { path: { id: sessionId } } });
        return (result.data as { status?: string } | undefined)?.status === 'CONFIRMED' && valid('/v1/payment-sessions/{id}', 'get', result);
      }, 'the payment to be confirmed');

      // 4. A shipment, scanned out for delivery by the sandbox carrier.
      const created = valid(
        '/v1/shipments',
        'post',
        await client.POST('/v1/shipments', {
          params: idem('shipment'),
          body: {
            orderId,
            serviceLevel: 'STANDARD',
            deliveryMethod: 'DOOR',
            parcel: { weightGrams: 1200, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 } },
          } as never,
        }),
      ) as { shipment: { id: string } };
      const shipmentId = created.shipment.id;
      valid(
        '/v1/sandbox/shipments/{shipmentId}/scans',
        'post',
        await client.POST('/v1/sandbox/shipments/{shipmentId}/scans', { params: { path: { shipmentId } }, body: { scan: 'OUT_FOR_DELIVERY' } }),
      );

      // 5. At the door: the consumer's code is verified, then the parcel handed over.
      const code = await eventually(async () => {
        const result = await client.GET('/v1/orders/{orderId}/release-code', { params: { path: { orderId } } });
        return result.response.status === 200 ? (valid('/v1/orders/{orderId}/release-code', 'get', result) as { code: string }).code : undefined;
      }, 'the release code');
      const verification = valid(
        '/v1/releases/verify',
        'post',
        await client.POST('/v1/releases/verify', { body: { shipmentId, code, locationType: 'DOOR' } }),
      ) as { authorized: boolean; release: { id: string } };
      expect(verification.authorized).toBe(true);
      const released = valid(
        '/v1/releases/{releaseId}/confirm',
        'post',
        await client.POST('/v1/releases/{releaseId}/confirm', { params: { path: { releaseId: verification.release.id } } }),
      );
      expect(released).toMatchObject({ status: 'RELEASED', method: 'carrier_release' });
      // Commerce learns of the hand-over through parcel.released: only a delivered order can be returned.
      await eventually(
        async () => (await client.GET('/v1/orders/{id}', { params: { path: { id: orderId } } })).data?.status === 'DELIVERED',
        'the order to be delivered',
      );

      // 6. The consumer returns one mug: a reason from the merchant's list, a label from logistics, the carrier's scans,
      //    the merchant's inspection, the refund through payments; the order is partially returned.
      valid(
        '/v1/merchants/{merchantId}/return-reasons',
        'post',
        await client.POST('/v1/merchants/{merchantId}/return-reasons', {
          params: { path: { merchantId: acme.id }, ...idem('reason') },
          body: { code: 'DAMAGED', label: 'Arrived damaged' } as never,
        }),
      );
      const requested = valid(
        '/v1/returns',
        'post',
        await client.POST('/v1/returns', {
          params: idem('return'),
          body: { orderId, lines: [{ sku: 'MUG-1', quantity: 1 }], reasonCode: 'DAMAGED', method: 'DROP_OFF' } as never,
        }),
      ) as { id: string; status: string };
      expect(requested.status).toBe('REQUESTED');
      const returnId = requested.id;
      const labelled = await eventually(async () => {
        const result = await client.GET('/v1/returns/{id}', { params: { path: { id: returnId } } });
        return (
          (result.data as { status?: string } | undefined)?.status === 'LABEL_ISSUED' &&
          (valid('/v1/returns/{id}', 'get', result) as { shipment: { trackingNumber: string; label: { qrPayload: string; qrCodePng: string } } })
        );
      }, 'the return label');
      expect(labelled.shipment.label.qrCodePng).toMatch(/^data:image\/png;base64,/);
      for (const scan of ['PICKED_UP', 'DELIVERED'] as const) {
        valid(
          '/v1/sandbox/returns/{returnId}/scans',
          'post',
          await client.POST('/v1/sandbox/returns/{returnId}/scans', { params: { path: { returnId } }, body: { scan } }),
        );
      }
      await eventually(
        async () => (await client.GET('/v1/returns/{id}', { params: { path: { id: returnId } } })).data?.status === 'RECEIVED',
        'the return to be received',
      );
      valid(
        '/v1/returns/{id}/inspection',
        'post',
        await client.POST('/v1/returns/{id}/inspection', { params: { path: { id: returnId } }, body: { approved: true } }),
      );
      const refundedReturn = await eventually(async () => {
        const result = await client.GET('/v1/returns/{id}', { params: { path: { id: returnId } } });
        return (
          (result.data as { status?: string } | undefined)?.status === 'REFUNDED' &&
          (valid('/v1/returns/{id}', 'get', result) as { refunded: { amount: number } })
        );
      }, 'the return to be refunded');
      expect(refundedReturn.refunded).toMatchObject({ amount: 3520 });

      // 7. A refund of the rest of the payment.
      const refund = valid(
        '/v1/refunds',
        'post',
        await client.POST('/v1/refunds', {
          params: idem('refund'),
          body: { paymentSessionId: sessionId, amount: 7840 - 3520, reason: 'returned', idempotencyKey: `${reference}-refund` },
        }),
      );
      expect(refund).toMatchObject({ amount: { amount: 4320, currency: 'EUR' } });

      // The order followed every step through events.
      const final = await eventually(async () => {
        const result = await client.GET('/v1/orders/{id}', { params: { path: { id: orderId } } });
        return (result.data as { status?: string } | undefined)?.status === 'REFUNDED' && valid('/v1/orders/{id}', 'get', result);
      }, 'the order to be released');
      expect(final).toMatchObject({ merchantReference: reference });
      expect(checked.length).toBeGreaterThanOrEqual(10);
    },
  );

  it('closes a settlement, approves it with four eyes, pays it out and serves its statement and DATEV export', { timeout: 120_000 }, async () => {
    const operator = { authorization: `Bearer ${SANDBOX_KEYS.operator}` };
    // The merchant's settlements: the sandbox's November settlement is open.
    const list = valid('/v1/settlements', 'get', await client.GET('/v1/settlements', { params: { query: { merchantId: acme.id } } })) as {
      id: string;
      status: string;
      net: { amount: number };
    }[];
    const open = list.find((s) => s.id === sandboxSettlementId(acme.id))!;
    expect(open).toMatchObject({ status: 'OPEN' });
    const detail = valid('/v1/settlements/{id}', 'get', await client.GET('/v1/settlements/{id}', { params: { path: { id: open.id } } })) as {
      lines: { kind: string; paymentSessionId: string }[];
      lineCount: number;
    };
    expect(detail.lines).toHaveLength(detail.lineCount);
    expect(detail.lines.every((l) => l.kind === 'COLLECTION' && l.paymentSessionId.startsWith('pay_'))).toBe(true);

    // IPAY staff close it; no EUR threshold is configured in the sandbox, so approval needs a second person.
    const closed = valid(
      '/v1/settlements/{id}/close',
      'post',
      await client.POST('/v1/settlements/{id}/close', { params: { path: { id: open.id } }, headers: operator }),
    );
    expect(closed).toMatchObject({ status: 'CLOSED', requiresFourEyes: true, net: open.net });
    // A merchant can neither close nor approve its own payout.
    expect((await client.POST('/v1/settlements/{id}/approve', { params: { path: { id: open.id } } })).response.status).toBe(403);
    // The API key that closed it cannot approve it: a signed-in person must.
    const refused = await client.POST('/v1/settlements/{id}/approve', { params: { path: { id: open.id } }, headers: operator });
    expect(refused.error).toMatchObject({ code: 'FOUR_EYES_REQUIRED' });
    const login = valid(
      '/v1/auth/login',
      'post',
      await client.POST('/v1/auth/login', { body: { email: 'ops@ipay.test', password: 'sandbox-password-2026', livemode: false } }),
    ) as { accessToken: string };
    const approved = valid(
      '/v1/settlements/{id}/approve',
      'post',
      await client.POST('/v1/settlements/{id}/approve', { params: { path: { id: open.id } }, headers: { authorization: `Bearer ${login.accessToken}` } }),
    );
    expect(approved).toMatchObject({ status: 'APPROVED', approvedBy: expect.stringMatching(/^usr_/) });
    const paidOut = valid(
      '/v1/settlements/{id}/pay',
      'post',
      await client.POST('/v1/settlements/{id}/pay', { params: { path: { id: open.id } }, body: { payoutReference: 'SEPA-GOLD-0001' }, headers: operator }),
    );
    expect(paidOut).toMatchObject({ status: 'PAID', payoutReference: 'SEPA-GOLD-0001' });

    // The merchant downloads its statement (PDF) and its accountant's DATEV export.
    const statement = valid(
      '/v1/settlements/{id}/statement',
      'get',
      await client.GET('/v1/settlements/{id}/statement', { params: { path: { id: open.id } } }),
    ) as { contentType: string; contentBase64: string; byteLength: number };
    const pdf = Buffer.from(statement.contentBase64, 'base64');
    expect(statement.contentType).toBe('application/pdf');
    expect([pdf.subarray(0, 5).toString(), pdf.length]).toEqual(['%PDF-', statement.byteLength]);
    const exported = valid(
      '/v1/settlements/{id}/export',
      'get',
      await client.GET('/v1/settlements/{id}/export', { params: { path: { id: open.id }, query: { format: 'DATEV' } } }),
    ) as { contentBase64: string; filename: string };
    expect(Buffer.from(exported.contentBase64, 'base64').toString('latin1')).toMatch(/^"EXTF";700;21;"Buchungsstapel";13;/);
    expect(exported.filename).toBe(`EXTF_Buchungsstapel_${open.id}.csv`);
  });
});
