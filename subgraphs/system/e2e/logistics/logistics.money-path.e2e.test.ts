import { readFileSync } from 'node:fs';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, orderProjections, releaseAuthorizations, shipments } from '@ipay/logistics/src/db/schema.ts';
import type { LogisticsServices } from '@ipay/logistics/src/app/services.ts';
import { newId } from '@ipay/platform';
import { SANDBOX_PASSWORD } from '@ipay/identity/src/sandbox/seed.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import {
  acme,
  announceOrder,
  announceOrderStatus,
  announcePayment,
  announcePaymentState,
  codeOf,
  createShipment,
  CREATE_SHIPMENT,
  eventually,
  logisticsDb,
  outboxEvents,
  PARCEL,
  publish,
} from './logistics.support.ts';

/**
 * The money path of issue 11 on the logistics side: releases follow the order's payment state (one versioned fact
 * from payments), cancellation reaches logistics, revoked codes are dead, codes can be reissued, and the database
 * itself refuses a release without a confirmed payment. Each of these failed on the code before the fix (logistics
 * derived "paid" from the newest payment.* event, stored no order status and never revoked anything).
 */
const ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const UPS = bearer(SANDBOX_KEYS['ups-carrier']!);
const RELEASE_CODE = `query($orderId: ID!) { releaseCode(orderId: $orderId) { code qrToken release { id status } } }`;
const VERIFY = `mutation($input: VerifyReleaseInput!) {
  verifyRelease(input: $input) { authorized reason message attemptsRemaining release { id status failedAttempts method authorizedAt } }
}`;
const CONFIRM = `mutation($id: ID!) { confirmParcelRelease(releaseId: $id) { id status releasedAt } }`;
const REISSUE = `mutation($id: ID!) { reissueReleaseCode(shipmentId: $id) { id status createdAt } }`;
const SHIPMENT_RELEASE = `query($id: ID!) { shipment(id: $id) { release { id status revokedAt revokedReason } } }`;

/** The published release.authorized sample of the product page. */
function publishedSample(): Record<string, any> {
  const page = readFileSync('/work/shared/seed/000_d56d368290a724a0.txt', 'utf8');
  const start = page.indexOf('{\n"event": "release.authorized"');
  let depth = 0;
  for (let i = start; i < page.length; i += 1) {
    if (page[i] === '{') depth += 1;
    if (page[i] === '}' && --depth === 0) return JSON.parse(page.slice(start, i + 1));
  }
  throw new Error('the release.authorized sample is not on the page');
}

describe('logistics: the money path (issue 11)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
  });
  afterAll(() => system?.stop());

  const reveal = (orderId: string) =>
    eventually(async () => {
      const { body } = await system.query(RELEASE_CODE, { orderId }, ACME);
      return body.data?.releaseCode as { code: string; qrToken: string; release: { id: string; status: string } } | undefined;
    });
  const verify = async (input: Record<string, unknown>, headers = ACME) =>
    (await system.query(VERIFY, { input: { locationType: 'DOOR', ...input } }, headers)).body;
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const releaseRow = async (id: string) => (await logisticsDb(system).select().from(releaseAuthorizations).where(eq(releaseAuthorizations.id, id)))[0]!;

  /**
   * Waits until logistics consumed everything published so far for the order: a redelivery of the state it holds
   * (version) is published last and must show up as skipped (one consumer, events applied in order).
   */
  const drained = async (orderId: string, version: number) => {
    const marker = await announcePaymentState(system, orderId, { version, state: 'PAID' }, false);
    await eventually(async () =>
      (
        await logisticsDb(system)
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.entityId, orderId), eq(auditLog.action, 'event.skipped')))
      ).find((r) => (r.after as { eventId: string }).eventId === marker.id),
    );
  };

  /** A shipped acme order, fully paid (state v1 PAID); returns the consumer's code. */
  const paidShipment = async (carrierCode = 'ups') => {
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode }, ACME);
    await announcePaymentState(system, orderId, { version: 1, state: 'PAID' });
    return { orderId, shipment, ...(await reveal(orderId)) };
  };

  describe('defect 2: the release follows the order payment state, not the last payment event', () => {
    it('releases a paid order although the abandoned first session fails after the second one was confirmed', async () => {
      const orderId = await announceOrder(system);
      const { shipment } = await createShipment(system, orderId, { carrierCode: 'ups' }, ACME);
      const first = `pay_first_${orderId.slice(4)}`;
      const second = `pay_second_${orderId.slice(4)}`;
      await announcePayment(system, orderId, 'requested', 7840, first);
      await announcePayment(system, orderId, 'requested', 7840, second);
      await announcePayment(system, orderId, 'confirmed', 7840, second);
      await announcePaymentState(system, orderId, { version: 1, state: 'PAID', sessionId: second });
      // The first session expires at the PSP after the second was captured: the order's state does not change.
      await announcePayment(system, orderId, 'failed', 7840, first);
      await drained(orderId, 1);
      const { code, release } = await reveal(orderId);
      const ok = await verify({ shipmentId: shipment.id, code }, UPS);
      expect(ok.data.verifyRelease).toMatchObject({ authorized: true, reason: null, release: { id: release.id, status: 'AUTHORIZED' } });
      expect((await releaseRow(release.id)).paymentSessionId).toBe(second);
    });

    it('keeps the highest version: a late, older state never overwrites a newer one', async () => {
      const orderId = await announceOrder(system);
      const { shipment } = await createShipment(system, orderId, { carrierCode: 'ups' }, ACME);
      await announcePaymentState(system, orderId, { version: 2, state: 'PAID' });
      await announcePaymentState(system, orderId, { version: 1, state: 'UNPAID' }, false);
      await drained(orderId, 2);
      const trail = await logisticsDb(system)
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entityId, orderId), eq(auditLog.action, 'event.skipped')));
      expect(trail.map((r) => (r.after as { reason: string }).reason)).toEqual(expect.arrayContaining(['version 1 is not newer than 2']));
      const { code } = await reveal(orderId);
      expect((await verify({ shipmentId: shipment.id, code }, UPS)).data.verifyRelease.authorized).toBe(true);
    });

    it('does not release a partial capture', async () => {
      const orderId = await announceOrder(system);
      const { shipment } = await createShipment(system, orderId, { carrierCode: 'ups' }, ACME);
      await announcePaymentState(system, orderId, { version: 1, state: 'PARTIALLY_CAPTURED', capturedMinor: 1 });
      const refused = await verify({ shipmentId: shipment.id, code: '123456' }, UPS);
      expect(refused.data.verifyRelease).toMatchObject({ authorized: false, reason: 'PAYMENT_NOT_CONFIRMED', release: null });
      expect(codeOf((await system.query(RELEASE_CODE, { orderId }, ACME)).body)).toBe('NOT_FOUND');
    });
  });

  describe('defect 4: cancellation reaches logistics', () => {
    it('refuses a shipment for a cancelled order with ORDER_CANCELLED', async () => {
      const orderId = await announceOrder(system);
      await announceOrderStatus(system, orderId, 'AWAITING_PAYMENT', 'CANCELLED');
      const { body } = await system.query(
        CREATE_SHIPMENT,
        { input: { orderId, carrierCode: 'ups', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        ACME,
      );
      expect(body.errors[0].extensions).toMatchObject({ code: 'ORDER_CANCELLED', field: 'orderId', retryable: false });
      // A late status event never brings a cancelled order back.
      const late = await publish(system, 'order.status_changed', 'Order', orderId, {
        order_id: orderId,
        merchant: acme.slug,
        from: 'AWAITING_PAYMENT',
        to: 'PAID',
      });
      await eventually(async () =>
        (
          await logisticsDb(system)
            .select()
            .from(auditLog)
            .where(and(eq(auditLog.entityId, orderId), eq(auditLog.action, 'event.skipped')))
        ).find((r) => (r.after as { eventId: string }).eventId === late.id),
      );
      const again = await system.query(
        CREATE_SHIPMENT,
        { input: { orderId, carrierCode: 'ups', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        ACME,
      );
      expect(codeOf(again.body)).toBe('ORDER_CANCELLED');
    });

    it('revokes an issued release when the order is cancelled: the right code no longer verifies', async () => {
      const { orderId, shipment, code, release } = await paidShipment();
      await announceOrderStatus(system, orderId, 'PAID', 'CANCELLED');
      expect(await releaseRow(release.id)).toMatchObject({ status: 'REVOKED', revokedReason: 'ORDER_CANCELLED' });
      const refused = await verify({ shipmentId: shipment.id, code }, UPS);
      expect(refused.data.verifyRelease).toMatchObject({ authorized: false, reason: 'REVOKED', release: { id: release.id, status: 'REVOKED' } });
      const seen = await system.query(SHIPMENT_RELEASE, { id: shipment.id }, ACME);
      expect(seen.body.data.shipment.release).toMatchObject({ id: release.id, status: 'REVOKED', revokedReason: 'ORDER_CANCELLED' });
      expect(codeOf((await system.query(RELEASE_CODE, { orderId }, ACME)).body)).toBe('BAD_USER_INPUT');
      expect(await outboxEvents(system, 'release.authorized', release.id)).toHaveLength(0);
      const trail = await logisticsDb(system)
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.entityId, release.id), eq(auditLog.action, 'release.revoke')));
      expect(trail).toHaveLength(1);
    });

    it('revokes a verified release that was refunded before the hand-over: the hand-over is refused', async () => {
      const { orderId, shipment, code, release } = await paidShipment();
      expect((await verify({ shipmentId: shipment.id, code }, UPS)).data.verifyRelease.authorized).toBe(true);
      await announcePaymentState(system, orderId, { version: 2, state: 'REFUNDED' });
      expect(await releaseRow(release.id)).toMatchObject({ status: 'REVOKED', revokedReason: 'PAYMENT_NOT_FULLY_PAID' });
      const handed = await system.query(CONFIRM, { id: release.id }, UPS);
      expect(codeOf(handed.body)).toBe('RELEASE_REVOKED');
      expect(await outboxEvents(system, 'parcel.released', release.id)).toHaveLength(0);
    });

    it('issues a new code when a refunded order is paid again (a higher version)', async () => {
      const { orderId, release } = await paidShipment();
      await announcePaymentState(system, orderId, { version: 2, state: 'REFUNDED' });
      await announcePaymentState(system, orderId, { version: 3, state: 'PAID', sessionId: `pay_again_${orderId.slice(4)}` });
      const fresh = await eventually(async () => {
        const r = await reveal(orderId);
        return r.release.id !== release.id ? r : null;
      });
      expect(fresh.release.status).toBe('ACTIVE');
    });
  });

  describe('defect 7: release.authorized as published', () => {
    it('has the sample’s shape, money with amount_minor and a second-precision authorized_at', async () => {
      const { orderId, shipment, code, release } = await paidShipment('ups');
      expect((await verify({ shipmentId: shipment.id, code }, UPS)).data.verifyRelease.authorized).toBe(true);
      const [event] = await outboxEvents(system, 'release.authorized', release.id);
      const payload = event!.payload as Record<string, any>;
      const sample = publishedSample();
      // Every field of the sample, with the sample's types; ours adds amount_minor and the ids.
      for (const key of Object.keys(sample)) expect(payload, key).toHaveProperty(key);
      expect(Object.keys(payload.payment).sort()).toEqual([...Object.keys(sample.payment), 'amount_minor'].sort());
      expect(Object.keys(payload.release).sort()).toEqual(Object.keys(sample.release).sort());
      expect(payload).toMatchObject({ event: 'release.authorized', order_id: orderId, merchant: acme.slug, carrier: 'ups' });
      expect(payload.payment).toEqual({ psp: 'adyen', status: 'confirmed', amount: 78.4, amount_minor: 7840, currency: 'EUR' });
      expect(payload.release.authorized_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(sample.release.authorized_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });
  });

  describe('defect 9: reissueReleaseCode', () => {
    it('locked after 5 wrong codes → reissue → the new code verifies, the old code and QR token do not', async () => {
      const { orderId, shipment, code, qrToken, release } = await paidShipment();
      for (let i = 0; i < 5; i += 1) await verify({ shipmentId: shipment.id, code: wrongCode(code) }, UPS);
      expect((await verify({ shipmentId: shipment.id, code }, UPS)).data.verifyRelease.reason).toBe('LOCKED_OUT');
      // Carrier partners cannot reissue (the code goes to the consumer, not the driver).
      expect(codeOf((await system.query(REISSUE, { id: shipment.id }, UPS)).body)).toBe('FORBIDDEN');

      const { body } = await system.query(REISSUE, { id: shipment.id }, ACME);
      expect(body.errors).toBeUndefined();
      const fresh = body.data.reissueReleaseCode as { id: string; status: string };
      expect(fresh.status).toBe('ACTIVE');
      expect(fresh.id).not.toBe(release.id);
      expect(await releaseRow(release.id)).toMatchObject({ status: 'REVOKED', revokedReason: 'REISSUED' });
      expect(await releaseRow(fresh.id)).toMatchObject({ status: 'ACTIVE', reissueOf: release.id, failedAttempts: 0 });

      const next = await reveal(orderId);
      expect(next.release.id).toBe(fresh.id);
      expect((await verify({ shipmentId: shipment.id, qrToken }, UPS)).data.verifyRelease).toMatchObject({ authorized: false, reason: 'INVALID_TOKEN' });
      if (next.code !== code)
        expect((await verify({ shipmentId: shipment.id, code }, UPS)).data.verifyRelease).toMatchObject({ authorized: false, reason: 'WRONG_CODE' });
      const ok = await verify({ shipmentId: shipment.id, code: next.code }, UPS);
      expect(ok.data.verifyRelease).toMatchObject({ authorized: true, release: { id: fresh.id } });

      // Verified: a new code would release twice.
      expect(codeOf((await system.query(REISSUE, { id: shipment.id }, ACME)).body)).toBe('RELEASE_ALREADY_AUTHORIZED');
      const trail = await logisticsDb(system).select().from(auditLog).where(eq(auditLog.entityId, fresh.id));
      expect(trail.map((r) => r.action)).toEqual(expect.arrayContaining(['release.reissue', 'release.authorize']));
    });

    it('allows 3 reissues per shipment per hour, then REISSUE_RATE_LIMITED with a retry time', async () => {
      const { shipment } = await paidShipment();
      for (let i = 0; i < 3; i += 1) expect((await system.query(REISSUE, { id: shipment.id }, ACME)).body.errors).toBeUndefined();
      const { body } = await system.query(REISSUE, { id: shipment.id }, ACME);
      expect(body.errors[0].extensions).toMatchObject({ code: 'REISSUE_RATE_LIMITED', retryable: true });
      expect(body.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(3000);
      const rows = await logisticsDb(system).select().from(releaseAuthorizations).where(eq(releaseAuthorizations.shipmentId, shipment.id));
      expect(rows.filter((r) => r.status === 'REVOKED')).toHaveLength(3);
      expect(rows.filter((r) => r.status !== 'REVOKED')).toHaveLength(1);
    });

    it('refuses while the order is not fully paid or after it was cancelled', async () => {
      const { orderId, shipment } = await paidShipment();
      await announcePaymentState(system, orderId, { version: 2, state: 'REFUNDED' });
      expect(codeOf((await system.query(REISSUE, { id: shipment.id }, ACME)).body)).toBe('PAYMENT_NOT_FULLY_PAID');
      await announceOrderStatus(system, orderId, 'PAID', 'CANCELLED');
      expect(codeOf((await system.query(REISSUE, { id: shipment.id }, ACME)).body)).toBe('ORDER_CANCELLED');
      expect(codeOf((await system.query(REISSUE, { id: 'shp_missing' }, ACME)).body)).toBe('NOT_FOUND');
    });
  });

  describe('defect 10: release only after confirmed payment, in the database', () => {
    it('refuses a direct SQL update to RELEASED without a confirmed-payment reference, or with one that does not match', async () => {
      const { orderId, release } = await paidShipment();
      const db = logisticsDb(system);
      const attempt = (set: string) => db.execute(sql.raw(`update logistics.release_authorizations set ${set} where id = '${release.id}'`));
      const violation = async (set: string) => {
        const error = (await attempt(set).then(
          () => null,
          (e: unknown) => e,
        )) as { code?: string; cause?: { code?: string } } | null;
        return error?.code ?? error?.cause?.code ?? 'no error';
      };
      // No reference at all: the CHECK constraint.
      expect(await violation(`status = 'RELEASED', authorized_at = now()`)).toBe('23514');
      // A reference to a session that does not hold the order's funds, or the wrong amount: the trigger.
      expect(
        await violation(`status = 'RELEASED', authorized_at = now(), payment_session_id = 'pay_forged', paid_amount_minor = 7840, paid_currency = 'EUR'`),
      ).toBe('23514');
      expect(
        await violation(
          `status = 'RELEASED', authorized_at = now(), payment_session_id = 'pay_${orderId.slice(4)}', paid_amount_minor = 1, paid_currency = 'EUR'`,
        ),
      ).toBe('23514');
      // A status that is not a release status: the enum.
      expect(await violation(`status = 'HANDED_OVER'`)).toBe('22P02');
      // The order no longer fully paid: even the right reference is refused.
      await announcePaymentState(system, orderId, { version: 2, state: 'REFUNDED' });
      await db.execute(
        sql.raw(`update logistics.release_authorizations set status = 'ACTIVE', revoked_at = null, revoked_reason = null where id = '${release.id}'`),
      );
      expect(
        await violation(
          `status = 'RELEASED', authorized_at = now(), payment_session_id = 'pay_${orderId.slice(4)}', paid_amount_minor = 7840, paid_currency = 'EUR'`,
        ),
      ).toBe('23514');
      expect((await releaseRow(release.id)).status).toBe('ACTIVE');
    });

    it('allows it with the reference of the fully paid state (what verifyRelease writes)', async () => {
      const { orderId, release } = await paidShipment();
      await logisticsDb(system).execute(
        sql.raw(
          `update logistics.release_authorizations set status = 'RELEASED', authorized_at = now(), payment_session_id = 'pay_${orderId.slice(4)}', paid_amount_minor = 7840, paid_currency = 'EUR' where id = '${release.id}'`,
        ),
      );
      expect((await releaseRow(release.id)).status).toBe('RELEASED');
    });
  });

  describe('defect 8: shipments are booked with the carrier', () => {
    const sandbox = () => (system.subgraphs.logistics.services as unknown as LogisticsServices).carrierSandbox!;

    it('books a test-mode shipment with the sandbox carrier: its tracking number, and expected_cost on shipment.created', async () => {
      const orderId = await announceOrder(system);
      const { shipment } = await createShipment(system, orderId, { carrierCode: 'ups' }, ACME);
      const bookings = sandbox()
        .bookings('ups')
        .filter((b) => b.reference === shipment.id);
      expect(bookings).toHaveLength(1);
      const booking = bookings[0];
      expect(shipment.trackingNumber).toBe(booking!.trackingNumber);
      expect(shipment.trackingNumber).toMatch(/^1Z[A-Z0-9]{16}$/);
      const [row] = await logisticsDb(system).select().from(shipments).where(eq(shipments.id, shipment.id));
      expect(row!.carrierReference).toBe(booking!.carrierReference);
      // What UPS was asked: its Shipping API's shape, with the parcel and the order's address.
      expect(booking!.request).toMatchObject({
        ShipmentRequest: {
          Shipment: {
            ShipTo: { Name: 'Emma de Vries', Address: { PostalCode: '1011 AB', CountryCode: 'NL', City: 'Amsterdam' } },
            Package: { PackageWeight: { UnitOfMeasurement: { Code: 'KGS' }, Weight: '1' } },
          },
        },
      });
      const [event] = await outboxEvents(system, 'shipment.created', shipment.id);
      const payload = event!.payload as Record<string, any>;
      expect(payload.expected_cost).toEqual({
        amount: row!.price!.total.amount / 100,
        amount_minor: row!.price!.total.amount,
        currency: row!.price!.total.currency,
      });
      expect(payload.shipment).toMatchObject({
        id: shipment.id,
        tracking_number: shipment.trackingNumber,
        carrier_reference: booking!.carrierReference,
        weight_grams: 1000,
        zone: row!.price!.zone,
        service_level: 'STANDARD',
      });
    });

    it('refuses with CARRIER_BOOKING_FAILED (retryable) when the carrier is down, and stores nothing', async () => {
      const orderId = await announceOrder(system);
      sandbox().failNext('dhl', 503);
      const { body } = await system.query(
        CREATE_SHIPMENT,
        { input: { orderId, carrierCode: 'dhl', serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
        ACME,
      );
      expect(body.errors[0].extensions).toMatchObject({ code: 'CARRIER_BOOKING_FAILED', carrier: 'dhl', retryable: true, carrierHttpStatus: 503 });
      expect(await logisticsDb(system).select().from(shipments).where(eq(shipments.orderId, orderId))).toHaveLength(0);
      // The retry books it.
      expect((await createShipment(system, orderId, { carrierCode: 'dhl' }, ACME)).shipment.trackingNumber).toMatch(/^JVGL\d{20}$/);
    });

    it('refuses a live shipment with CARRIER_NOT_CONFIGURED when no carrier credentials are configured; nothing is invented', async () => {
      const login = await system.query(
        `mutation($e: String!, $p: String!) { login(email: $e, password: $p, livemode: true) { accessToken } }`,
        { e: 'owner@acme-shop.test', p: SANDBOX_PASSWORD },
        {},
      );
      const LIVE = bearer(login.body.data.login.accessToken);
      const orderId = newId('ord');
      await logisticsDb(system)
        .insert(orderProjections)
        .values({
          orderId,
          merchantId: acme.id,
          merchantSlug: acme.slug,
          livemode: true,
          reference: 'LIVE-8',
          currency: 'EUR',
          totalMinor: 7840,
          status: 'AWAITING_PAYMENT',
          shippingAddress: { name: 'Emma de Vries', line1: 'Damrak 1', city: 'Amsterdam', postal_code: '1011 AB', country: 'NL' },
        });
      for (const carrierCode of ['ups', null]) {
        const { body } = await system.query(
          CREATE_SHIPMENT,
          { input: { orderId, carrierCode, serviceLevel: 'STANDARD', deliveryMethod: 'DOOR', parcel: PARCEL } },
          LIVE,
        );
        expect(body.errors[0].extensions).toMatchObject({ code: 'CARRIER_NOT_CONFIGURED', retryable: false, carrier: carrierCode });
      }
      expect(await logisticsDb(system).select().from(shipments).where(eq(shipments.orderId, orderId))).toHaveLength(0);
    });
  });

  // PGlite is one connection: 20 "parallel" verifications there are serial and prove nothing about locking.
  it.skipIf(!process.env.DATABASE_URL)(
    '20 parallel verifications of one shipment on PostgreSQL: exactly one AUTHORIZED, the rest ALREADY_RELEASED',
    async () => {
      const { shipment, code, release } = await paidShipment();
      const results = await Promise.all(Array.from({ length: 20 }, () => verify({ shipmentId: shipment.id, code }, UPS)));
      for (const r of results) expect(r.errors).toBeUndefined();
      const outcomes = results.map((r) => r.data.verifyRelease);
      expect(outcomes.filter((o) => o.authorized)).toHaveLength(1);
      expect(outcomes.filter((o) => !o.authorized).map((o) => o.reason)).toEqual(Array(19).fill('ALREADY_RELEASED'));
      expect(await outboxEvents(system, 'release.authorized', release.id)).toHaveLength(1);
      expect(await releaseRow(release.id)).toMatchObject({ status: 'RELEASED', failedAttempts: 0 });
    },
  );
});
