import { describe, expect, it } from 'vitest';
import {
  applyAuthorizationUpdate,
  decideReissue,
  decideRelease,
  revocationFor,
  generateReleaseCode,
  issueReleaseAuthorization,
  ReleaseConfigError,
  verifyQrToken,
  type LocationType,
  type ReleasePayment,
  type ReleaseAttempt,
  type ReleaseAuthorization,
  type ReleaseDecision,
  type ReleaseKeyring,
} from '../src/domain/index.ts';

const keyring: ReleaseKeyring = { current: { id: 'k2026', secret: 'release-master-secret-of-at-least-32-bytes!' } };
const now = new Date('2026-03-02T09:00:00Z');
const later = (minutes: number) => new Date(now.getTime() + minutes * 60_000);

function issue(locationType: LocationType = 'DOOR', code = '482913') {
  return issueReleaseAuthorization(
    { authorizationId: 'rel_01', shipmentId: 'shp_01', orderId: 'ord_01', locationType, now, ttlSeconds: 48 * 3600, keyring },
    () => code,
  );
}

const actor = { carrierCode: 'postnl', agentId: 'driver-17', locationId: null };
const byCode = (code: string, locationType: LocationType = 'DOOR'): ReleaseAttempt => ({
  shipmentId: 'shp_01',
  locationType,
  credential: { kind: 'CODE', code },
  actor,
});

const PAID: ReleasePayment = { state: 'PAID', fullyPaid: true };

function decide(authorization: ReleaseAuthorization, attempt: ReleaseAttempt, payment: ReleasePayment = PAID, at = later(30)): ReleaseDecision {
  return decideRelease({ authorization, attempt, payment, now: at, keyring });
}

describe('issuing a release authorization', () => {
  it('stores only an HMAC of the code, bound to the authorization', () => {
    const { authorization, code, qrToken } = issue();
    expect(code).toBe('482913');
    expect(authorization).toMatchObject({ status: 'ACTIVE', failedAttempts: 0, version: 0, keyId: 'k2026', expiresAt: new Date('2026-03-04T09:00:00Z') });
    expect(authorization.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(authorization)).not.toContain(code);
    // The same code for another authorization hashes differently: a leaked table cannot be matched across rows.
    const other = issueReleaseAuthorization(
      { authorizationId: 'rel_02', shipmentId: 'shp_02', orderId: 'ord_02', locationType: 'DOOR', now, keyring },
      () => code,
    );
    expect(other.authorization.codeHash).not.toBe(authorization.codeHash);
    expect(verifyQrToken(keyring, qrToken, now)).toEqual({
      ok: true,
      claims: { authorizationId: 'rel_01', shipmentId: 'shp_01', expiresAt: authorization.expiresAt, keyId: 'k2026' },
    });
    expect(qrToken.length).toBeLessThan(200);
  });

  it('draws 6-digit codes uniformly', () => {
    const counts = new Array(10).fill(0) as number[];
    const n = 20_000;
    for (let i = 0; i < n; i += 1) {
      const code = generateReleaseCode();
      expect(code).toMatch(/^\d{6}$/);
      counts[Number(code[0])]! += 1;
    }
    // Chi-square over the first digit, 9 degrees of freedom. 62 is the one-in-a-billion critical value: a fair
    // generator (crypto.randomInt) never fails a CI run on chance, while a skewed one (e.g. a modulo of few bytes
    // or Math.random rounding) lands far above it.
    const expected = n / 10;
    const chi2 = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(62);
  });

  it('refuses weak keys', () => {
    expect(() =>
      issueReleaseAuthorization({
        authorizationId: 'a',
        shipmentId: 's',
        orderId: 'o',
        locationType: 'DOOR',
        now,
        keyring: { current: { id: 'k', secret: 'short' } },
      }),
    ).toThrow(ReleaseConfigError);
  });
});

describe('release decisions', () => {
  it('refuses while the order is not fully paid, without burning an attempt', () => {
    const { authorization, code } = issue();
    for (const state of ['UNKNOWN', 'UNPAID', 'PARTIALLY_CAPTURED', 'REFUNDED'] as const) {
      const d = decide(authorization, byCode(code), { state, fullyPaid: false });
      expect(d).toMatchObject({ outcome: 'REFUSED', reason: 'PAYMENT_NOT_CONFIRMED', update: null, attemptsRemaining: 5 });
      expect(d.audit).toMatchObject({ type: 'release.refused', paymentState: state, failedAttempts: 0 });
    }
  });

  it('refuses a cancelled order even with the right code and a paid state', () => {
    const { authorization, code } = issue();
    const d = decideRelease({ authorization, attempt: byCode(code), payment: PAID, orderCancelled: true, now: later(1), keyring });
    expect(d).toMatchObject({ outcome: 'REFUSED', reason: 'ORDER_CANCELLED', update: null });
  });

  it('authorizes the right code once payment is confirmed, with the release method of the location', () => {
    const methods = { DOOR: 'carrier_release', PICKUP_POINT: 'pickup_point_release', LOCKER: 'locker_release' } as const;
    for (const location of ['DOOR', 'PICKUP_POINT', 'LOCKER'] as const) {
      const { authorization, code } = issue(location);
      const d = decide(authorization, byCode(`${code.slice(0, 3)} ${code.slice(3)}`, location));
      expect(d).toMatchObject({ outcome: 'AUTHORIZED', method: methods[location] });
      expect(d.update).toEqual({
        id: 'rel_01',
        expectedVersion: 0,
        set: { status: 'RELEASED', failedAttempts: 0, version: 1, releasedAt: later(30), releaseMethod: methods[location] },
      });
      expect(d.audit).toMatchObject({ type: 'release.authorized', method: methods[location], actor, credentialKind: 'CODE', reason: null });
      expect(JSON.stringify(d.audit)).not.toContain(code);
      const released = applyAuthorizationUpdate(authorization, d.update);
      expect(decide(released, byCode(code, location))).toMatchObject({ outcome: 'REFUSED', reason: 'ALREADY_RELEASED', update: null });
    }
  });

  it('counts wrong codes and locks out after five, even for the right code afterwards', () => {
    let { authorization } = issue();
    const { code } = issue();
    const remaining: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const d = decide(authorization, byCode(`00000${i}`));
      expect(d).toMatchObject({ outcome: 'REFUSED', reason: 'WRONG_CODE' });
      if (d.outcome === 'REFUSED') remaining.push(d.attemptsRemaining);
      authorization = applyAuthorizationUpdate(authorization, d.update);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    expect(authorization).toMatchObject({ status: 'LOCKED', failedAttempts: 5, version: 5 });
    const locked = decide(authorization, byCode(code));
    expect(locked).toMatchObject({ outcome: 'REFUSED', reason: 'LOCKED_OUT', update: null, attemptsRemaining: 0 });
    expect(locked.audit.lockedOut).toBe(true);
  });

  it('refuses a code that is not 6 digits without counting it', () => {
    const { authorization } = issue();
    expect(decide(authorization, byCode('12345'))).toMatchObject({ reason: 'MALFORMED_CODE', update: null, attemptsRemaining: 5 });
  });

  it('refuses an expired authorization, even with the right code', () => {
    const { authorization, code } = issue();
    expect(decide(authorization, byCode(code), PAID, later(48 * 60))).toMatchObject({ outcome: 'REFUSED', reason: 'EXPIRED' });
    expect(decide(authorization, byCode(code), PAID, later(48 * 60 - 1))).toMatchObject({ outcome: 'AUTHORIZED' });
  });

  it('refuses another shipment or another kind of location', () => {
    const { authorization, code } = issue('LOCKER');
    expect(decide(authorization, { ...byCode(code, 'LOCKER'), shipmentId: 'shp_02' })).toMatchObject({ reason: 'SHIPMENT_MISMATCH' });
    expect(decide(authorization, byCode(code, 'DOOR'))).toMatchObject({ reason: 'LOCATION_MISMATCH' });
  });

  it('authorizes a valid QR token and refuses a tampered, foreign or expired one', () => {
    const { authorization, qrToken } = issue('PICKUP_POINT');
    const byQr = (token: string): ReleaseAttempt => ({ shipmentId: 'shp_01', locationType: 'PICKUP_POINT', credential: { kind: 'QR', token }, actor });
    expect(decide(authorization, byQr(qrToken))).toMatchObject({ outcome: 'AUTHORIZED', method: 'pickup_point_release' });

    const [prefix, payload, mac] = qrToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 86_400 })).toString('base64url');
    const flippedMac = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
    for (const bad of [`${prefix}.${forgedPayload}.${mac}`, `${prefix}.${payload}.${flippedMac}`, `${prefix}.${payload}`, 'garbage']) {
      const d = decide(authorization, byQr(bad));
      expect(d).toMatchObject({ outcome: 'REFUSED', reason: 'INVALID_TOKEN', update: null });
    }
    const foreign = issueReleaseAuthorization({
      authorizationId: 'rel_09',
      shipmentId: 'shp_01',
      orderId: 'ord_01',
      locationType: 'PICKUP_POINT',
      now,
      keyring,
    }).qrToken;
    expect(decide(authorization, byQr(foreign))).toMatchObject({ reason: 'INVALID_TOKEN', message: 'the QR token belongs to another release authorization' });
    expect(verifyQrToken(keyring, qrToken, authorization.expiresAt)).toEqual({ ok: false, reason: 'EXPIRED' });
    expect(verifyQrToken({ current: { id: 'k2027', secret: 'a-different-master-secret-32-bytes-long' } }, qrToken, now)).toEqual({
      ok: false,
      reason: 'UNKNOWN_KEY',
    });
  });

  it('lets only one of two concurrent attempts release: the loser re-reads and is refused', () => {
    const { authorization, code } = issue();
    const a = decide(authorization, byCode(code));
    const b = decide(authorization, byCode(code));
    // Both were decided on version 0; the database applies the first compare-and-set.
    const row = applyAuthorizationUpdate(authorization, a.update);
    expect(() => applyAuthorizationUpdate(row, b.update)).toThrow(/stale update/);
    expect(decide(row, byCode(code))).toMatchObject({ outcome: 'REFUSED', reason: 'ALREADY_RELEASED' });
  });

  it('keeps verifying codes and tokens issued before a key rotation', () => {
    const { authorization, code, qrToken } = issue();
    const rotated: ReleaseKeyring = { current: { id: 'k2027', secret: 'the-next-release-master-secret-32-bytes' }, previous: [keyring.current] };
    expect(decideRelease({ authorization, attempt: byCode(code), payment: PAID, now: later(1), keyring: rotated })).toMatchObject({ outcome: 'AUTHORIZED' });
    expect(verifyQrToken(rotated, qrToken, now).ok).toBe(true);
  });
});

describe('revoking and reissuing', () => {
  it('revokes what can still lead to a hand-over when the order is cancelled or no longer fully paid', () => {
    const base = { handedOver: false, orderCancelled: false, fullyPaid: true };
    expect(revocationFor({ ...base, status: 'ACTIVE' })).toBeNull();
    expect(revocationFor({ ...base, status: 'ACTIVE', orderCancelled: true })).toBe('ORDER_CANCELLED');
    expect(revocationFor({ ...base, status: 'LOCKED', fullyPaid: false })).toBe('PAYMENT_NOT_FULLY_PAID');
    expect(revocationFor({ ...base, status: 'RELEASED', fullyPaid: false })).toBe('PAYMENT_NOT_FULLY_PAID');
    // Handed over or already revoked: nothing left to revoke.
    expect(revocationFor({ ...base, status: 'RELEASED', handedOver: true, fullyPaid: false })).toBeNull();
    expect(revocationFor({ ...base, status: 'REVOKED', orderCancelled: true })).toBeNull();
  });

  it('reissues only while paid, not cancelled, not verified, and at most 3 times an hour', () => {
    const input = { current: { status: 'LOCKED' as const, handedOver: false }, orderCancelled: false, payment: PAID, recentReissues: [] as Date[], now };
    expect(decideReissue(input)).toEqual({ ok: true });
    expect(decideReissue({ ...input, orderCancelled: true })).toMatchObject({ ok: false, code: 'ORDER_CANCELLED' });
    expect(decideReissue({ ...input, payment: { state: 'REFUNDED', fullyPaid: false } })).toMatchObject({ ok: false, code: 'PAYMENT_NOT_FULLY_PAID' });
    expect(decideReissue({ ...input, current: { status: 'RELEASED', handedOver: false } })).toMatchObject({ ok: false, code: 'RELEASE_ALREADY_AUTHORIZED' });
    const three = [later(-50), later(-20), later(-10)];
    // The oldest of the three leaves the window 10 minutes from now.
    expect(decideReissue({ ...input, recentReissues: three })).toEqual({
      ok: false,
      code: 'REISSUE_RATE_LIMITED',
      message: expect.any(String),
      retryAfterSeconds: 600,
    });
    expect(decideReissue({ ...input, recentReissues: [later(-61), ...three.slice(1)] })).toEqual({ ok: true });
  });
});
