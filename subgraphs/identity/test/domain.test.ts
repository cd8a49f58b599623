import { describe, expect, it } from 'vitest';
import { intersectScopes, unionScopes } from '@ipay/platform';
import { apiKeyMatches, generateApiKey, hashApiKey, parseApiKey } from '../src/domain/api-keys.ts';
import { sandboxApiKey } from '../src/sandbox/api-keys.ts';
import { effectiveGrants } from '../src/domain/grants.ts';
import { ONBOARDING_TRANSITIONS, liveReach, transitionOnboarding, type OnboardingAction, type OnboardingStatus } from '../src/domain/onboarding.ts';
import { hashPassword, verifyPassword } from '../src/domain/passwords.ts';

const M = (...merchantIds: string[]) => ({ kind: 'MERCHANTS' as const, merchantIds });

describe('scopes and grants', () => {
  it('unions scopes of one permission held through several roles, and intersects with the credential bound', () => {
    expect(unionScopes(M('a'), M('b', 'a'))).toEqual(M('a', 'b'));
    expect(unionScopes(M('a'), { kind: 'ALL' })).toEqual({ kind: 'ALL' });
    expect(intersectScopes({ kind: 'ALL' }, M('a'))).toEqual(M('a'));
    expect(intersectScopes(M('a', 'b'), M('b', 'c'))).toEqual(M('b'));
    expect(intersectScopes(M('a'), M('b'))).toBeUndefined();
    expect(intersectScopes(M('a'), { kind: 'CARRIERS', carrierCodes: ['ups'] })).toBeUndefined();
  });

  it('computes effective grants: union across roles, bounded, platform-only permissions only for platform principals', () => {
    const grants = effectiveGrants(
      [
        { permissions: ['orders:read', 'settlements:read'], scope: M('a') },
        { permissions: ['orders:read', 'orders:update', 'merchants:approve'], scope: M('b') },
      ],
      { kind: 'ALL' },
      false,
    );
    expect(grants).toEqual({ 'orders:read': M('a', 'b'), 'settlements:read': M('a'), 'orders:update': M('b') });
    const keyBound = effectiveGrants([{ permissions: ['orders:read'], scope: { kind: 'ALL' } }], M('a'), false);
    expect(keyBound).toEqual({ 'orders:read': M('a') });
    expect(effectiveGrants([{ permissions: ['merchants:approve'], scope: { kind: 'ALL' } }], { kind: 'ALL' }, true)).toEqual({
      'merchants:approve': { kind: 'ALL' },
    });
  });
});

describe('onboarding state machine', () => {
  const statuses: OnboardingStatus[] = ['LEAD', 'KYC_PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED'];
  const expected: Record<string, OnboardingStatus> = {
    'LEAD:SUBMIT_KYC': 'KYC_PENDING',
    'KYC_PENDING:APPROVE_KYC': 'ACTIVE',
    'KYC_PENDING:REJECT_KYC': 'LEAD',
    'ACTIVE:SUSPEND': 'SUSPENDED',
    'SUSPENDED:REACTIVATE': 'ACTIVE',
    'LEAD:CLOSE': 'CLOSED',
    'KYC_PENDING:CLOSE': 'CLOSED',
    'ACTIVE:CLOSE': 'CLOSED',
    'SUSPENDED:CLOSE': 'CLOSED',
  };
  for (const status of statuses) {
    for (const action of Object.keys(ONBOARDING_TRANSITIONS) as OnboardingAction[]) {
      const to = expected[`${status}:${action}`];
      it(`${status} + ${action} → ${to ?? 'refused'}`, () => {
        const result = transitionOnboarding(status, action);
        if (to) expect(result).toEqual({ ok: true, to });
        else expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(status) });
      });
    }
  }
});

describe('API keys and passwords', () => {
  it('generates prefixed keys, finds them by prefix and verifies only the right secret', () => {
    const { key, prefix } = generateApiKey(true);
    expect(key).toMatch(/^ipk_live_[0-9A-Za-z]{40}$/);
    expect(parseApiKey(key)).toEqual({ livemode: true, prefix });
    expect(prefix).toHaveLength('ipk_live_'.length + 8);
    const stored = hashApiKey(key, 'pepper');
    expect(apiKeyMatches(key, stored, 'pepper')).toBe(true);
    expect(apiKeyMatches(key, stored, 'other-pepper')).toBe(false);
    expect(apiKeyMatches(`${key.slice(0, -1)}x`, stored, 'pepper')).toBe(false);
    expect(parseApiKey('ipk_prod_abc')).toBeNull();
    expect(sandboxApiKey('a', 'p').key).toBe(sandboxApiKey('a', 'p').key);
    expect(sandboxApiKey('a', 'p').key).toMatch(/^ipk_test_/);
  });

  it('hashes passwords with scrypt and a salt', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('wrong horse battery', hash)).toBe(false);
  });
});

describe('live reach of a user (issue 11, defect 5)', () => {
  const statuses = new Map<string, OnboardingStatus>([
    ['a', 'ACTIVE'],
    ['s', 'SUSPENDED'],
    ['c', 'CLOSED'],
  ]);
  it('keeps only ACTIVE merchants in merchant-scoped roles and drops a role left with none', () => {
    const result = liveReach(
      [
        { permissions: ['orders:read'], scope: M('a', 's') },
        { permissions: ['settlements:read'], scope: M('c') },
      ],
      statuses,
    );
    expect(result).toEqual({ ok: true, held: [{ permissions: ['orders:read'], scope: M('a') }] });
  });
  it('refuses a user whose roles all point at merchants that are not active, and keeps platform roles', () => {
    const refused = liveReach([{ permissions: ['orders:read'], scope: M('s', 'c', 'unknown') }], statuses);
    expect(refused).toEqual({ ok: false, reason: 'live access needs an ACTIVE merchant; not active: c (CLOSED), s (SUSPENDED), unknown (unknown)' });
    expect(liveReach([{ permissions: ['orders:read'], scope: { kind: 'ALL' } }], statuses)).toEqual({
      ok: true,
      held: [{ permissions: ['orders:read'], scope: { kind: 'ALL' } }],
    });
    expect(liveReach([], statuses)).toEqual({ ok: true, held: [] });
  });
});

describe('domain types match the database enums (domain/ does not import db/)', () => {
  it('lists the same onboarding states, key owners and scope kinds as db/schema.ts', async () => {
    const { keyOwner, onboardingStatus, scopeKind } = await import('../src/db/schema.ts');
    const { ONBOARDING_STATUSES } = await import('../src/domain/onboarding.ts');
    expect([...onboardingStatus.enumValues]).toEqual([...ONBOARDING_STATUSES]);
    const owners: import('../src/domain/access.ts').ApiKeyOwnerKind[] = ['MERCHANT', 'PARTNER', 'PLATFORM'];
    expect([...keyOwner.enumValues].sort()).toEqual(owners.sort());
    const scopes: import('../src/domain/grants.ts').AssignmentScopeColumns['scopeKind'][] = ['MERCHANTS', 'CARRIERS', 'ALL'];
    expect([...scopeKind.enumValues].sort()).toEqual(scopes.sort());
  });
});
