import { describe, expect, it } from 'vitest';
import { auditHash, auditHashMatches, auditKeyringFromEnv } from '../src/audit.ts';

const SECRET_1 = 'a3f1c9e07b5d4e2f8a6c1b0d9e7f5a3c';
const SECRET_2 = '0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b';
const row = {
  id: 'aud_1',
  position: 1,
  occurredAt: new Date('2026-12-01T10:00:00Z'),
  principalId: 'prn_1',
  credentialKind: 'API_KEY',
  credentialId: 'key_1',
  requestId: 'req_1',
  sourceIp: '127.0.0.1',
  livemode: false,
  merchantId: 'mer_1',
  action: 'order.create',
  entityType: 'Order',
  entityId: 'ord_1',
  before: null,
  after: { total: 2500 },
  changes: { total: { from: null, to: 2500 } },
  prevHash: 'genesis',
} as never;

describe('keyed audit chain (HMAC-SHA256 with AUDIT_CHAIN_SECRET)', () => {
  const production = { IPAY_ENV: 'production', AUDIT_CHAIN_SECRET: SECRET_1 };

  it('signs with the current key and verifies it; another secret cannot produce a matching hash', () => {
    const ring = auditKeyringFromEnv(production);
    const hash = auditHash(row, ring);
    expect(hash).toMatch(/^h1\.k1\.[0-9a-f]{64}$/);
    expect(auditHashMatches(row, hash, ring)).toBe('ok');
    const forged = auditHash(row, auditKeyringFromEnv({ IPAY_ENV: 'production', AUDIT_CHAIN_SECRET: SECRET_2 }));
    expect(auditHashMatches(row, forged, ring)).toBe('mismatch');
    expect(auditHashMatches({ ...(row as object), entityId: 'ord_2' } as never, hash, ring)).toBe('mismatch');
  });

  it('keeps verifying records of a rotated-out key listed in AUDIT_CHAIN_PREVIOUS_SECRETS', () => {
    const old = auditHash(row, auditKeyringFromEnv(production));
    const rotated = auditKeyringFromEnv({
      IPAY_ENV: 'production',
      AUDIT_CHAIN_SECRET: SECRET_2,
      AUDIT_CHAIN_KEY_ID: 'k2',
      AUDIT_CHAIN_PREVIOUS_SECRETS: `k1:${SECRET_1}`,
    });
    expect(auditHashMatches(row, old, rotated)).toBe('ok');
    expect(auditHash(row, rotated)).toMatch(/^h1\.k2\./);
    const forgotten = auditKeyringFromEnv({ IPAY_ENV: 'production', AUDIT_CHAIN_SECRET: SECRET_2, AUDIT_CHAIN_KEY_ID: 'k2' });
    expect(auditHashMatches(row, old, forgotten)).toBe('unknown-key');
  });

  it('recognises an unkeyed (plain SHA-256) hash, which production accepts only when told to', () => {
    expect(auditKeyringFromEnv(production).acceptUnkeyed).toBe(false);
    expect(auditKeyringFromEnv({ ...production, AUDIT_CHAIN_ACCEPT_UNKEYED: 'true' }).acceptUnkeyed).toBe(true);
  });

  it('refuses to start in production without a secret or with a development one', () => {
    expect(() => auditKeyringFromEnv({ IPAY_ENV: 'production' })).toThrow(/AUDIT_CHAIN_SECRET is required in production/);
    expect(() => auditKeyringFromEnv({ IPAY_ENV: 'production', AUDIT_CHAIN_SECRET: 'ipay-development-audit-chain-secret-change-me' })).toThrow(
      /development or example value/,
    );
    expect(() => auditKeyringFromEnv({ IPAY_ENV: 'production', AUDIT_CHAIN_SECRET: 'short' })).toThrow(/at least 32 characters/);
  });
});
