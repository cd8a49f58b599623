import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, releaseAuthorizations } from '@ipay/logistics/src/db/schema.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { acme, announceOrder, announcePaymentState, codeOf, createShipment, eventually, logisticsDb, outboxEvents } from './logistics.support.ts';

const ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const UPS = bearer(SANDBOX_KEYS['ups-carrier']!);
const RELEASE_CODE = `query($orderId: ID!) { releaseCode(orderId: $orderId) { code qrToken expiresAt release { id status locationType } } }`;
const VERIFY = `mutation($input: VerifyReleaseInput!) {
  verifyRelease(input: $input) { authorized reason message attemptsRemaining release { id status failedAttempts method authorizedAt } }
}`;
const CONFIRM = `mutation($id: ID!) { confirmParcelRelease(releaseId: $id) { id status releasedAt method } }`;

describe('logistics: release verification (pay on arrival)', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true });
  });
  afterAll(() => system?.stop());

  /** An acme order with a shipment whose payment is confirmed; returns the consumer's code (as the merchant reads it). */
  const paidShipment = async (carrierCode = 'postnl', amountMinor = 7840) => {
    const orderId = await announceOrder(system, amountMinor);
    const { shipment } = await createShipment(system, orderId, { carrierCode }, ACME);
    await announcePaymentState(system, orderId, { version: 1, state: 'PAID', dueMinor: amountMinor });
    const revealed = await eventually(async () => {
      const { body } = await system.query(RELEASE_CODE, { orderId }, ACME);
      return body.data?.releaseCode as { code: string; qrToken: string; release: { id: string } } | undefined;
    });
    return { orderId, shipment, ...revealed };
  };
  const verify = async (input: Record<string, unknown>, headers = ACME) => {
    const { body } = await system.query(VERIFY, { input: { locationType: 'DOOR', ...input } }, headers);
    return body;
  };
  const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  it('refuses a release while the order is unpaid and issues the code when it becomes PAID', async () => {
    const orderId = await announceOrder(system);
    const { shipment } = await createShipment(system, orderId, { carrierCode: 'postnl' }, ACME);
    await announcePaymentState(system, orderId, { version: 1, state: 'UNPAID' });
    const pending = await verify({ shipmentId: shipment.id, code: '123456' });
    expect(pending.data.verifyRelease).toMatchObject({ authorized: false, reason: 'PAYMENT_NOT_CONFIRMED', release: null });
    expect(codeOf((await system.query(RELEASE_CODE, { orderId }, ACME)).body)).toBe('NOT_FOUND');

    await announcePaymentState(system, orderId, { version: 2, state: 'PAID' });
    const { body } = await eventually(async () => {
      const result = await system.query(RELEASE_CODE, { orderId }, ACME);
      return result.body.data?.releaseCode ? result : undefined;
    });
    expect(body.data.releaseCode.code).toMatch(/^\d{6}$/);
    expect(body.data.releaseCode.qrToken).toMatch(/^ipr1\./);
    expect(body.data.releaseCode.release).toMatchObject({ status: 'ACTIVE', locationType: 'DOOR' });

    // Only the HMAC and the sealed copy are stored; the code itself never is.
    const [row] = await logisticsDb(system).select().from(releaseAuthorizations).where(eq(releaseAuthorizations.orderId, orderId));
    expect(JSON.stringify(row)).not.toContain(body.data.releaseCode.code);
    expect(row!.codeCiphertext).toMatch(/^v1\./);
    // Every reveal is audited.
    const reveals = await logisticsDb(system).select().from(auditLog).where(eq(auditLog.entityId, row!.id));
    expect(reveals.filter((r) => r.action === 'release.code_revealed').length).toBeGreaterThanOrEqual(1);
    // Other merchants and carriers cannot read it.
    expect(codeOf((await system.query(RELEASE_CODE, { orderId }, bearer(SANDBOX_KEYS['nordic-owner']!))).body)).toBe('NOT_FOUND');
    expect(codeOf((await system.query(RELEASE_CODE, { orderId }, UPS)).body)).toBe('FORBIDDEN');
  });

  it('issues the code with the shipment when the order was paid first', async () => {
    const orderId = await announceOrder(system);
    await announcePaymentState(system, orderId, { version: 1, state: 'PAID' });
    await createShipment(system, orderId, { carrierCode: 'dhl' }, ACME);
    const { body } = await system.query(RELEASE_CODE, { orderId }, ACME);
    expect(body.data.releaseCode.code).toMatch(/^\d{6}$/);
  });

  it('authorizes the right code at the right place, emits release.authorized exactly as published, then hands over once', async () => {
    const { orderId, shipment, code, release } = await paidShipment('postnl', 7840);
    const atLocker = await verify({ shipmentId: shipment.id, code, locationType: 'LOCKER' });
    expect(atLocker.data.verifyRelease).toMatchObject({ authorized: false, reason: 'LOCATION_MISMATCH', attemptsRemaining: 5 });
    const wrong = await verify({ trackingNumber: shipment.trackingNumber, code: wrongCode(code) });
    expect(wrong.data.verifyRelease).toMatchObject({
      authorized: false,
      reason: 'WRONG_CODE',
      attemptsRemaining: 4,
      release: { failedAttempts: 1, status: 'ACTIVE' },
    });

    const ok = await verify({ trackingNumber: shipment.trackingNumber, code: `${code.slice(0, 3)} ${code.slice(3)}`, agentId: 'driver-17' });
    expect(ok.data.verifyRelease).toMatchObject({
      authorized: true,
      reason: null,
      release: { id: release.id, status: 'AUTHORIZED', method: 'carrier_release' },
    });
    const [event] = await outboxEvents(system, 'release.authorized', release.id);
    expect(event!.payload).toEqual({
      event: 'release.authorized',
      order_id: orderId,
      merchant: acme.slug,
      carrier: 'postnl',
      payment: { psp: 'adyen', status: 'confirmed', amount: 78.4, amount_minor: 7840, currency: 'EUR' },
      release: { authorized_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/), method: 'carrier_release' },
      release_id: release.id,
      shipment_id: shipment.id,
      payment_session_id: `pay_${orderId.slice(4)}`,
    });
    expect(Date.parse((event!.payload as { release: { authorized_at: string } }).release.authorized_at)).toBe(
      Date.parse(ok.data.verifyRelease.release.authorizedAt),
    );
    expect(event!.carrierCode).toBe('postnl');

    // The code is spent.
    const again = await verify({ shipmentId: shipment.id, code });
    expect(again.data.verifyRelease).toMatchObject({ authorized: false, reason: 'ALREADY_RELEASED' });

    const handed = await system.query(CONFIRM, { id: release.id }, ACME);
    expect(handed.body.data.confirmParcelRelease).toMatchObject({ id: release.id, status: 'RELEASED', method: 'carrier_release' });
    const [released] = await outboxEvents(system, 'parcel.released', release.id);
    expect(released!.payload).toEqual({
      order_id: orderId,
      merchant: acme.slug,
      carrier: 'postnl',
      release: { id: release.id, released_at: handed.body.data.confirmParcelRelease.releasedAt, method: 'carrier_release' },
    });
    expect(codeOf((await system.query(CONFIRM, { id: release.id }, ACME)).body)).toBe('BAD_USER_INPUT');

    // Every attempt is in the audit trail, the refused ones included.
    const trail = await logisticsDb(system).select().from(auditLog).where(eq(auditLog.entityId, release.id));
    expect(trail.map((r) => r.action)).toEqual(expect.arrayContaining(['release.issue', 'release.refused', 'release.authorize', 'release.hand_over']));
    expect(trail.filter((r) => r.action === 'release.refused')).toHaveLength(3);
  });

  it('accepts the consumer’s QR token and refuses a token of another release', async () => {
    const first = await paidShipment('dpd');
    const second = await paidShipment('dpd');
    const foreign = await verify({ shipmentId: first.shipment.id, qrToken: second.qrToken });
    expect(foreign.data.verifyRelease).toMatchObject({ authorized: false, reason: 'INVALID_TOKEN', attemptsRemaining: 5 });
    const ok = await verify({ shipmentId: first.shipment.id, qrToken: first.qrToken });
    expect(ok.data.verifyRelease.authorized).toBe(true);
  });

  it('locks the release after 5 wrong codes: the right code no longer works', async () => {
    const { shipment, code } = await paidShipment();
    const remaining: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const body = await verify({ shipmentId: shipment.id, code: wrongCode(code) });
      expect(body.data.verifyRelease.reason).toBe('WRONG_CODE');
      remaining.push(body.data.verifyRelease.attemptsRemaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const locked = await verify({ shipmentId: shipment.id, code });
    expect(locked.data.verifyRelease).toMatchObject({ authorized: false, reason: 'LOCKED_OUT', release: { status: 'LOCKED', failedAttempts: 5 } });
    expect(await outboxEvents(system, 'release.authorized', locked.data.verifyRelease.release.id)).toHaveLength(0);
  });

  it('refuses an expired code', async () => {
    const { shipment, code, release } = await paidShipment();
    // Time passes: the authorization's validity ends.
    await logisticsDb(system)
      .update(releaseAuthorizations)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(releaseAuthorizations.id, release.id));
    const expired = await verify({ shipmentId: shipment.id, code });
    expect(expired.data.verifyRelease).toMatchObject({ authorized: false, reason: 'EXPIRED' });
  });

  it('releases at most once when the same code is verified and handed over concurrently', async () => {
    const { shipment, code, release } = await paidShipment();
    const results = await Promise.all(Array.from({ length: 6 }, () => verify({ shipmentId: shipment.id, code })));
    for (const r of results) expect(r.errors).toBeUndefined();
    const outcomes = results.map((r) => r.data.verifyRelease);
    expect(outcomes.filter((o) => o.authorized)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.authorized).every((o) => o.reason === 'ALREADY_RELEASED')).toBe(true);
    expect(await outboxEvents(system, 'release.authorized', release.id)).toHaveLength(1);

    const confirmations = await Promise.all(Array.from({ length: 4 }, () => system.query(CONFIRM, { id: release.id }, ACME)));
    expect(confirmations.filter((c) => c.body.data?.confirmParcelRelease)).toHaveLength(1);
    expect(confirmations.filter((c) => codeOf(c.body) === 'BAD_USER_INPUT')).toHaveLength(3);
    expect(await outboxEvents(system, 'parcel.released', release.id)).toHaveLength(1);
  });

  it('counts concurrent wrong guesses exactly: no more than 5 ever, whatever the interleaving', async () => {
    const { shipment, code, release } = await paidShipment();
    const results = await Promise.all(Array.from({ length: 8 }, () => verify({ shipmentId: shipment.id, code: wrongCode(code) })));
    expect(results.filter((r) => r.data.verifyRelease.reason === 'WRONG_CODE')).toHaveLength(5);
    expect(results.filter((r) => r.data.verifyRelease.reason === 'LOCKED_OUT')).toHaveLength(3);
    const [row] = await logisticsDb(system).select().from(releaseAuthorizations).where(eq(releaseAuthorizations.id, release.id));
    expect(row).toMatchObject({ status: 'LOCKED', failedAttempts: 5, version: 5 });
  });

  it('lets a carrier partner verify only its own carrier’s shipments', async () => {
    const dhl = await paidShipment('dhl');
    const refused = await verify({ shipmentId: dhl.shipment.id, code: dhl.code }, UPS);
    expect(codeOf(refused)).toBe('NOT_FOUND');
    const byTracking = await verify({ trackingNumber: dhl.shipment.trackingNumber, code: dhl.code }, UPS);
    expect(codeOf(byTracking)).toBe('NOT_FOUND');
    // Nothing was counted against the consumer.
    const [row] = await logisticsDb(system).select().from(releaseAuthorizations).where(eq(releaseAuthorizations.id, dhl.release.id));
    expect(row!.failedAttempts).toBe(0);

    const ups = await paidShipment('ups');
    const ok = await verify({ shipmentId: ups.shipment.id, code: ups.code, locationId: 'ups-access-point-1' }, UPS);
    expect(ok.data.verifyRelease).toMatchObject({ authorized: true, release: { method: 'carrier_release' } });
    const handed = await system.query(CONFIRM, { id: ups.release.id }, UPS);
    expect(handed.body.data.confirmParcelRelease.status).toBe('RELEASED');
    const seen = await system.query(`query($id: ID!) { shipment(id: $id) { release { id status method } } }`, { id: ups.shipment.id }, ACME);
    expect(seen.body.data.shipment.release).toEqual({ id: ups.release.id, status: 'RELEASED', method: 'carrier_release' });
    // The partner does not see another carrier's shipment at all.
    expect(codeOf((await system.query(`query($id: ID!) { shipment(id: $id) { id } }`, { id: dhl.shipment.id }, UPS)).body)).toBe('NOT_FOUND');
    // A merchant's read-only key cannot verify.
    expect(codeOf(await verify({ shipmentId: dhl.shipment.id, code: dhl.code }, bearer(SANDBOX_KEYS['acme-read-only']!)))).toBe('FORBIDDEN');
  });

  it('validates its input', async () => {
    const both = await verify({ shipmentId: 'shp_x', trackingNumber: 'X', code: '123456' });
    expect(both.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'shipmentId' });
    const neither = await verify({ shipmentId: 'shp_x' });
    expect(neither.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' });
    expect(codeOf(await verify({ shipmentId: 'shp_missing', code: '123456' }))).toBe('NOT_FOUND');
  });
});
