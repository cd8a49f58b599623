import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SANDBOX_MERCHANTS } from '@ipay/platform';
import { SANDBOX_PASSWORD } from '@ipay/identity/src/sandbox/seed.ts';
import { AS_OPERATOR, SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';

/**
 * Issue 11, defect 5: a suspended or closed merchant's live credentials stop working. Identity checks the merchant's
 * onboarding status every time it resolves a live credential; the gateway reuses a resolved principal for at most
 * AUTH_CACHE_TTL_MS, so the refusal shows within that bound. The clock is moved past the bound instead of waiting.
 */
const TTL_MS = 60_000;
const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const VIEWER = `{ viewer { kind livemode grants { permission scope { kind merchantIds } } } }`;
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

describe('merchant onboarding status at every use of a live credential', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true, subgraphConfig: { identity: { crmSyncIntervalMs: 0 } }, authCacheTtlMs: TTL_MS });
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => system?.stop());

  const login = (email: string, livemode: boolean) =>
    system.query(
      `mutation($e: String!, $p: String!, $l: Boolean!) { login(email: $e, password: $p, livemode: $l) { accessToken } }`,
      { e: email, p: SANDBOX_PASSWORD, l: livemode },
      {},
    );
  const issueToken = (apiKey: string) => system.query(`mutation($k: String!) { issueToken(apiKey: $k) { accessToken } }`, { k: apiKey }, {});
  const transition = (action: string) =>
    system.query(`mutation($m: ID!) { transitionOnboarding(merchantId: $m, action: ${action}) { onboardingStatus } }`, { m: acme.id }, AS_OPERATOR);
  /** Moves the clock past the principal cache's bound (Date only; timers and I/O keep running). */
  const pastCacheTtl = () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + TTL_MS + 1_000);
  };

  it('refuses a suspended merchant’s live key, its tokens and live logins with MERCHANT_NOT_ACTIVE; sandbox keeps working; rotation is refused', async () => {
    const ownerLive = (await login('owner@acme-shop.test', true)).body.data.login.accessToken as string;
    const created = await system.query(
      `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "live ci", livemode: true, roles: ["read_only"] }) { secret apiKey { id livemode } } }`,
      { m: acme.id },
      bearer(ownerLive),
    );
    expect(created.body.errors).toBeUndefined();
    const { secret: liveKey, apiKey } = created.body.data.createApiKey;
    expect(apiKey.livemode).toBe(true);
    const keyToken = (await issueToken(liveKey)).body.data.issueToken.accessToken as string;
    for (const credential of [liveKey, keyToken, ownerLive]) {
      const ok = await system.query(VIEWER, {}, bearer(credential));
      expect(ok.body.data.viewer.livemode).toBe(true);
    }

    expect((await transition('SUSPEND')).body.data.transitionOnboarding.onboardingStatus).toBe('SUSPENDED');

    // Rotation reads the merchant's status in identity's database: refused at once, even through the owner's
    // live token that the gateway still has cached.
    const rotated = await system.query(`mutation($id: ID!) { rotateApiKey(id: $id, gracePeriodSeconds: 0) { secret } }`, { id: apiKey.id }, bearer(ownerLive));
    expect(codeOf(rotated.body)).toBe('MERCHANT_NOT_ACTIVE');
    // So are new live credentials.
    expect(codeOf((await issueToken(liveKey)).body)).toBe('MERCHANT_NOT_ACTIVE');
    expect(codeOf((await login('owner@acme-shop.test', true)).body)).toBe('MERCHANT_NOT_ACTIVE');
    const newKey = await system.query(
      `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "again", livemode: true, roles: ["read_only"] }) { secret } }`,
      { m: acme.id },
      bearer(ownerLive),
    );
    expect(codeOf(newKey.body)).toBe('MERCHANT_NOT_ACTIVE');

    // Credentials in use are refused once the gateway's principal cache (AUTH_CACHE_TTL_MS) has run out.
    pastCacheTtl();
    for (const credential of [liveKey, keyToken, ownerLive]) {
      const refused = await system.query(VIEWER, {}, bearer(credential));
      expect(refused.status).toBe(403);
      expect(codeOf(refused.body)).toBe('MERCHANT_NOT_ACTIVE');
      expect(refused.body.errors[0].message).toMatch(/SUSPENDED/);
    }
    // Sandbox (test mode) does not depend on onboarding: the merchant's sandbox key keeps working.
    const sandbox = await system.query(VIEWER, {}, bearer(SANDBOX_KEYS['acme-owner']!));
    expect(sandbox.body.data.viewer.livemode).toBe(false);
    // A user with roles on two merchants keeps live access to the one that is still active, and only to it.
    const multi = bearer((await login('finance-support@ipay.test', true)).body.data.login.accessToken);
    const grants = (await system.query(VIEWER, {}, multi)).body.data.viewer.grants as { permission: string; scope: { merchantIds: string[] } }[];
    expect(new Set(grants.flatMap((g) => g.scope.merchantIds))).toEqual(new Set([nordic.id]));

    // Reactivated: the same live key works again once the cache has run out.
    vi.useRealTimers();
    expect((await transition('REACTIVATE')).body.data.transitionOnboarding.onboardingStatus).toBe('ACTIVE');
    pastCacheTtl();
    expect((await system.query(VIEWER, {}, bearer(liveKey))).body.data.viewer.livemode).toBe(true);
  });

  it('refuses a closed merchant’s live key for good', async () => {
    const ownerLive = (await login('owner@acme-shop.test', true)).body.data.login.accessToken as string;
    const { secret } = (
      await system.query(
        `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "to close", livemode: true, roles: ["read_only"] }) { secret } }`,
        { m: acme.id },
        bearer(ownerLive),
      )
    ).body.data.createApiKey;
    expect((await system.query(VIEWER, {}, bearer(secret))).body.data.viewer.livemode).toBe(true);
    expect((await transition('CLOSE')).body.data.transitionOnboarding.onboardingStatus).toBe('CLOSED');
    pastCacheTtl();
    const refused = await system.query(VIEWER, {}, bearer(secret));
    expect(refused.status).toBe(403);
    expect(codeOf(refused.body)).toBe('MERCHANT_NOT_ACTIVE');
  });
});
