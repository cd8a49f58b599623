import { PgDialect, boolean, pgTable, text } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { Authorization, intersectScopes, scopeCondition, unionScopes, type DataScope } from '@ipay/platform';
import { LOCKOUT, consumerGrants, lockoutState, normalizePostalCode, normalizeReference } from '../src/domain/consumer.ts';

const ORDER: DataScope = { kind: 'ORDER', orderId: 'ord_1', merchantId: 'mer_a' };
const M = (...merchantIds: string[]): DataScope => ({ kind: 'MERCHANTS', merchantIds });
const dialect = new PgDialect();
const rows = pgTable('rows', {
  id: text('id'),
  orderId: text('order_id'),
  merchantId: text('merchant_id'),
  livemode: boolean('livemode'),
  carrierCode: text('carrier_code'),
});
const sqlOf = (scope: DataScope, columns: Parameters<typeof scopeCondition>[2]) => dialect.sqlToQuery(scopeCondition(scope, false, columns));

describe('the ORDER data scope (consumer tokens)', () => {
  it('puts the order, its merchant and the mode into the SQL; a table without an order column is out of reach', () => {
    const withOrder = sqlOf(ORDER, { merchantId: rows.merchantId, livemode: rows.livemode, orderId: rows.orderId });
    expect(withOrder.sql).toBe('("rows"."livemode" = $1 and "rows"."merchant_id" = $2 and "rows"."order_id" = $3)');
    expect(withOrder.params).toEqual([false, 'mer_a', 'ord_1']);
    // An order table names its id as the order column.
    expect(sqlOf(ORDER, { merchantId: rows.merchantId, livemode: rows.livemode, orderId: rows.id }).sql).toContain('"rows"."id" = $3');
    expect(sqlOf(ORDER, { merchantId: rows.merchantId, livemode: rows.livemode, carrierCode: rows.carrierCode }).sql).toBe('false');
  });

  it('intersects and unites only with itself or its merchant', () => {
    expect(intersectScopes(ORDER, { kind: 'ALL' })).toEqual(ORDER);
    expect(intersectScopes({ kind: 'ALL' }, ORDER)).toEqual(ORDER);
    expect(intersectScopes(M('mer_a', 'mer_b'), ORDER)).toEqual(ORDER);
    expect(intersectScopes(ORDER, M('mer_a'))).toEqual(ORDER);
    expect(intersectScopes(ORDER, M('mer_b'))).toBeUndefined();
    expect(intersectScopes(ORDER, { kind: 'ORDER', orderId: 'ord_2', merchantId: 'mer_a' })).toBeUndefined();
    expect(intersectScopes(ORDER, { kind: 'CARRIERS', carrierCodes: ['ups'] })).toBeUndefined();
    expect(unionScopes(ORDER, { ...ORDER })).toEqual(ORDER);
    expect(() => unionScopes(ORDER, { kind: 'ORDER', orderId: 'ord_2', merchantId: 'mer_a' })).toThrow();
  });

  it('covers its own order only, and never a merchant', () => {
    const auth = new Authorization({
      kind: 'consumer',
      id: 'ctk_1',
      credentialId: 'ctk_1',
      livemode: false,
      grants: consumerGrants({ orderId: 'ord_1', merchantId: 'mer_a' }),
    });
    expect(auth.coversOrder('orders:read', { id: 'ord_1', merchantId: 'mer_a' })).toBe(true);
    expect(auth.coversOrder('orders:read', { id: 'ord_2', merchantId: 'mer_a' })).toBe(false);
    expect(auth.coversOrder('orders:read', { id: 'ord_1', merchantId: 'mer_b' })).toBe(false);
    expect(auth.coversMerchant('orders:read', 'mer_a')).toBe(false);
    expect(() => auth.requireMerchant('orders:read', 'mer_a')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) }));
    expect(() => auth.require('orders:create')).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }));
    expect(() => auth.requireOrder('orders:read', { id: 'ord_2', merchantId: 'mer_a' })).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND', id: 'ord_2' }) }),
    );
    // A merchant's key covers all its orders.
    const merchant = new Authorization({ kind: 'api_key', id: 'key_1', credentialId: 'key_1', livemode: false, grants: { 'orders:read': M('mer_a') } });
    expect(merchant.coversOrder('orders:read', { id: 'ord_9', merchantId: 'mer_a' })).toBe(true);
  });

  it('grants the consumer app permissions only, over its order', () => {
    const grants = consumerGrants({ orderId: 'ord_1', merchantId: 'mer_a' });
    expect(Object.keys(grants).sort()).toEqual(expect.arrayContaining(['orders:read', 'payments:create', 'payments:read', 'releases:read', 'shipments:read']));
    expect(Object.keys(grants)).not.toContain('orders:update');
    expect(Object.keys(grants)).not.toContain('merchants:read');
    for (const scope of Object.values(grants)) expect(scope).toEqual(ORDER);
  });
});

describe('reference + postal code access', () => {
  it('normalises what consumers type', () => {
    expect(normalizeReference('  acme-1001 ')).toBe('ACME-1001');
    expect(normalizePostalCode(' 1012 ab')).toBe('1012AB');
    expect(normalizePostalCode('SW1A-1AA')).toBe('SW1A1AA');
  });

  it('locks a reference after 5 failures in the window and says for how long', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
    expect(lockoutState({ reference: [ago(10), ago(9), ago(8), ago(7)], sourceIp: [] }, now)).toEqual({ locked: false });
    expect(lockoutState({ reference: [ago(10), ago(9), ago(8), ago(7), ago(1)], sourceIp: [] }, now)).toEqual({
      locked: true,
      retryAfterSeconds: 5 * 60,
      by: 'reference',
    });
    const many = Array.from({ length: LOCKOUT.perSourceIp }, (_, i) => ago(14 - i * 0.5));
    expect(lockoutState({ reference: [], sourceIp: many }, now)).toMatchObject({ locked: true, by: 'sourceIp', retryAfterSeconds: 60 });
  });
});
