import { SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { DateTime, decodeCursor, encodeCursor, money, signInternalToken, sumMoney, toConnection, verifyInternalToken } from '../src/index.ts';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('money', () => {
  it('accepts integer minor units with an ISO 4217 currency', () => {
    expect(money(7840, 'EUR')).toEqual({ amount: 7840, currency: 'EUR' });
  });
  it.each([
    [78.4, 'EUR', 'integer'],
    [-1, 'EUR', 'negative'],
    [2 ** 31, 'EUR', 'exceed'],
    [100, 'EURO', 'ISO 4217'],
    [100, 'eur', 'ISO 4217'],
    [100, 'XYZ', 'ISO 4217'],
  ])('refuses %s %s (%s)', (amount, currency, reason) => {
    expect(() => money(amount, currency)).toThrow(reason);
  });
  it('adds only one currency', () => {
    expect(sumMoney([money(1, 'EUR'), money(2, 'EUR')], 'EUR')).toEqual({ amount: 3, currency: 'EUR' });
    expect(() => sumMoney([money(1, 'EUR'), money(2, 'SEK')], 'EUR')).toThrow('cannot add SEK to EUR');
  });
});

describe('keyset cursors', () => {
  it('round-trips and refuses what it did not issue', () => {
    expect(decodeCursor(encodeCursor(['2026-11-01T00:00:00.000Z', 'ord_1']), 2)).toEqual(['2026-11-01T00:00:00.000Z', 'ord_1']);
    expect(() => decodeCursor('garbage', 2)).toThrow('is not a cursor');
    expect(() => decodeCursor(encodeCursor(['only-one']), 2)).toThrow('is not a cursor');
  });
  it('uses the extra row only to tell that another page exists', () => {
    const page = toConnection(['a', 'b', 'c'], 2, (row) => [row]);
    expect(page.edges.map((e) => e.node)).toEqual(['a', 'b']);
    expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor(['b']) });
    expect(toConnection([], 2, (row: string) => [row]).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });
});

describe('internal gateway token', () => {
  it('verifies what the gateway signed', async () => {
    const token = await signInternalToken(SECRET, { requestId: 'r-1', principal: null, sourceIp: null });
    await expect(verifyInternalToken(SECRET, token)).resolves.toEqual({ requestId: 'r-1', principal: null, sourceIp: null });
  });
  it('refuses a missing, foreign, tampered or expired token', async () => {
    await expect(verifyInternalToken(SECRET, undefined)).rejects.toThrow('missing');
    const foreign = await signInternalToken(`${SECRET}-other`, { requestId: 'r', principal: null, sourceIp: null });
    await expect(verifyInternalToken(SECRET, foreign)).rejects.toThrow('invalid');
    const token = await signInternalToken(SECRET, { requestId: 'r', principal: null, sourceIp: null });
    await expect(verifyInternalToken(SECRET, `${token.slice(0, -2)}xx`)).rejects.toThrow('invalid');
    const expired = await new SignJWT({ rid: 'r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ipay-gateway')
      .setAudience('ipay-subgraph')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifyInternalToken(SECRET, expired)).rejects.toThrow('expired');
  });
  it("signs standard JWTs: jose verifies ours, ours verifies jose's", async () => {
    const token = await signInternalToken(SECRET, { requestId: 'r-2', principal: null, sourceIp: '10.0.0.1' });
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      issuer: 'ipay-gateway',
      audience: 'ipay-subgraph',
      algorithms: ['HS256'],
    });
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ rid: 'r-2', prn: null, ip: '10.0.0.1' });
    expect(payload.exp! - payload.iat!).toBe(60);
    const byJose = await new SignJWT({ rid: 'r-3', prn: null, ip: null })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ipay-gateway')
      .setAudience('ipay-subgraph')
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifyInternalToken(SECRET, byJose)).resolves.toEqual({ requestId: 'r-3', principal: null, sourceIp: null });
    const wrongAudience = await new SignJWT({ rid: 'r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('ipay-gateway')
      .setAudience('ipay-link:x')
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifyInternalToken(SECRET, wrongAudience)).rejects.toThrow('invalid');
  });
  it('refuses an unsigned (alg none) token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ rid: 'r', iss: 'ipay-gateway', aud: 'ipay-subgraph', exp: 9999999999 })).toString('base64url');
    await expect(verifyInternalToken(SECRET, `${header}.${payload}.`)).rejects.toThrow('invalid');
  });
});

describe('DateTime scalar', () => {
  it('serialises to UTC ISO 8601 and parses only instants with a zone', () => {
    expect(DateTime.serialize(new Date(Date.UTC(2026, 4, 29, 9, 14, 22)))).toBe('2026-05-29T09:14:22.000Z');
    expect(DateTime.parseValue('2026-05-29T11:14:22+02:00')).toEqual(new Date(Date.UTC(2026, 4, 29, 9, 14, 22)));
    expect(() => DateTime.parseValue('2026-05-29')).toThrow('ISO 8601');
    expect(() => DateTime.parseValue('2026-05-29T09:14:22')).toThrow('ISO 8601');
    expect(() => DateTime.parseValue(1716974062)).toThrow('ISO 8601');
  });
});
