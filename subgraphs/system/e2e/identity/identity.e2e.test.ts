import { eq, sql } from 'drizzle-orm';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId } from '@ipay/platform';
import { SANDBOX_PASSWORD } from '@ipay/identity/src/sandbox/seed.ts';
import { AS_OPERATOR, SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';

const [acme, nordic] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];
const acmeOrder = SANDBOX_ORDERS.find((o) => o.merchantId === acme.id && o.status === 'DELIVERED')!;
const nordicOrder = SANDBOX_ORDERS.find((o) => o.merchantId === nordic.id && o.status === 'DELIVERED')!;
const ORDER = `query($id: ID!) { order(id: $id) { id merchantReference } }`;
const codeOf = (body: { errors?: { extensions?: Record<string, unknown> }[] }) => body.errors?.[0]?.extensions?.code;

describe('identity and access through the gateway', () => {
  let system: TestSystem;
  let signingKey: CryptoKey;
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    signingKey = privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key' };
    // No principal cache: revocation must show on the very next request in these tests.
    system = await startTestSystem({ seed: true, subgraphConfig: { identity: { jwtPrivateJwk: jwk, crmSyncIntervalMs: 0 } }, authCacheTtlMs: 0 });
  });
  afterAll(() => system?.stop());

  const tokenFor = async (apiKey: string) => {
    const { body } = await system.query(`mutation($k: String!) { issueToken(apiKey: $k) { accessToken tokenType expiresIn } }`, { k: apiKey }, {});
    expect(body.errors).toBeUndefined();
    return body.data.issueToken.accessToken as string;
  };
  const login = async (email: string, password = SANDBOX_PASSWORD) => {
    const { body } = await system.query(`mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, { e: email, p: password }, {});
    return body;
  };

  describe('credentials', () => {
    it('refuses a request without credentials with UNAUTHENTICATED and HTTP 401', async () => {
      const { status, body } = await system.query(ORDER, { id: acmeOrder.id }, {});
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
      expect(body.data?.order ?? null).toBeNull();
      expect(status).toBe(200); // a field error: the operation itself was valid
    });

    it.each([
      ['a malformed header', 'Token abc'],
      ['a malformed token', 'Bearer not.a.jwt'],
      ['an unknown API key', `Bearer ipk_test_${'x'.repeat(40)}`],
      ['a malformed API key', 'Bearer ipk_test_short'],
    ])('refuses %s with HTTP 401', async (_, header) => {
      const { status, body } = await system.query(ORDER, { id: acmeOrder.id }, { authorization: header });
      expect(status).toBe(401);
      expect(codeOf(body)).toBe('UNAUTHENTICATED');
    });

    it('accepts an API key directly and a token issued for it', async () => {
      const direct = await system.query(ORDER, { id: acmeOrder.id }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(direct.body.data.order.merchantReference).toBe(acmeOrder.reference);
      const token = await tokenFor(SANDBOX_KEYS['acme-owner']!);
      const viaToken = await system.query(ORDER, { id: acmeOrder.id }, bearer(token));
      expect(viaToken.body.data.order.merchantReference).toBe(acmeOrder.reference);
    });

    it('refuses an expired token and one signed with another key', async () => {
      const claims = { ckd: 'api_key', cid: sandboxId('key', 'acme-owner'), lvm: false };
      const expired = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer('ipay-identity')
        .setAudience('ipay-api')
        .setSubject(claims.cid)
        .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(signingKey);
      const refusedExpired = await system.query(ORDER, { id: acmeOrder.id }, bearer(expired));
      expect(refusedExpired.status).toBe(401);
      expect(refusedExpired.body.errors[0].message).toMatch(/expired/);

      const { privateKey: foreignKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer('ipay-identity')
        .setAudience('ipay-api')
        .setSubject(claims.cid)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(foreignKey);
      const refusedForged = await system.query(ORDER, { id: acmeOrder.id }, bearer(forged));
      expect(refusedForged.status).toBe(401);
      expect(refusedForged.body.errors[0].message).toMatch(/signature/);

      const wrongAudience = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer('ipay-identity')
        .setAudience('elsewhere')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(signingKey);
      expect((await system.query(ORDER, { id: acmeOrder.id }, bearer(wrongAudience))).status).toBe(401);
    });

    it('shows a new key once, stores only its hash, and refuses it once revoked (tokens included)', async () => {
      const created = await system.query(
        `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "ci", livemode: false, roles: ["read_only"] }) { secret apiKey { id prefix status livemode } } }`,
        { m: acme.id },
        bearer(SANDBOX_KEYS['acme-owner']!),
      );
      expect(created.body.errors).toBeUndefined();
      const { secret, apiKey } = created.body.data.createApiKey;
      expect(secret).toMatch(/^ipk_test_[0-9A-Za-z]{40}$/);
      expect(secret.startsWith(apiKey.prefix)).toBe(true);
      const stored = await system.subgraphs.identity.database.db.execute(sql`select secret_hash from identity.api_keys where id = ${apiKey.id}`);
      const rows = (Array.isArray(stored) ? stored : (stored as { rows: unknown[] }).rows) as { secret_hash: string }[];
      expect(rows[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(secret.slice(9));

      const token = await tokenFor(secret);
      expect((await system.query(ORDER, { id: acmeOrder.id }, bearer(secret))).body.data.order.id).toBe(acmeOrder.id);
      const revoked = await system.query(`mutation($id: ID!) { revokeApiKey(id: $id) { status } }`, { id: apiKey.id }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(revoked.body.data.revokeApiKey.status).toBe('REVOKED');
      for (const credential of [secret, token]) {
        const after = await system.query(ORDER, { id: acmeOrder.id }, bearer(credential));
        expect(after.status).toBe(401);
        expect(after.body.errors[0].message).toMatch(/revoked/);
      }
    });

    it('keeps a rotated key working through its grace period and not after', async () => {
      const create = () =>
        system.query(
          `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "rotating", livemode: false, roles: ["read_only"] }) { secret apiKey { id } } }`,
          { m: acme.id },
          bearer(SANDBOX_KEYS['acme-owner']!),
        );
      const rotate = (id: string, grace: number) =>
        system.query(
          `mutation($id: ID!, $g: Int!) { rotateApiKey(id: $id, gracePeriodSeconds: $g) { secret apiKey { id status } } }`,
          { id, g: grace },
          bearer(SANDBOX_KEYS['acme-owner']!),
        );
      const works = async (key: string) => (await system.query(ORDER, { id: acmeOrder.id }, bearer(key))).body.data?.order?.id === acmeOrder.id;

      const inGrace = (await create()).body.data.createApiKey;
      const rotated = (await rotate(inGrace.apiKey.id, 3600)).body.data.rotateApiKey;
      expect(await works(inGrace.secret)).toBe(true);
      expect(await works(rotated.secret)).toBe(true);
      const list = await system.query(`query($m: ID!) { apiKeys(merchantId: $m) { id status } }`, { m: acme.id }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(list.body.data.apiKeys.find((k: any) => k.id === inGrace.apiKey.id).status).toBe('EXPIRING');

      const noGrace = (await create()).body.data.createApiKey;
      const replaced = (await rotate(noGrace.apiKey.id, 0)).body.data.rotateApiKey;
      expect(await works(noGrace.secret)).toBe(false);
      expect(await works(replaced.secret)).toBe(true);
      // Rotating twice from the same old key is refused: the chain of custody stays linear.
      expect(codeOf((await rotate(inGrace.apiKey.id, 60)).body)).toBe('BAD_USER_INPUT');
    });

    it('logs users in and out; a logged-out token stops working', async () => {
      expect(codeOf(await login('owner@acme-shop.test', 'wrong-password-123'))).toBe('UNAUTHENTICATED');
      expect(codeOf(await login('nobody@example.com'))).toBe('UNAUTHENTICATED');
      const token = (await login('owner@acme-shop.test')).data.login.accessToken;
      const viewer = await system.query(`{ viewer { kind livemode displayName } }`, {}, bearer(token));
      expect(viewer.body.data.viewer).toEqual({ kind: 'USER', livemode: false, displayName: 'Arjen Acme' });
      expect((await system.query(`mutation { logout }`, {}, bearer(token))).body.data.logout).toBe(true);
      expect((await system.query(ORDER, { id: acmeOrder.id }, bearer(token))).status).toBe(401);
    });
  });

  describe('RBAC and data scopes', () => {
    it('hides another merchant’s order as NOT_FOUND, never FORBIDDEN', async () => {
      const { body } = await system.query(ORDER, { id: nordicOrder.id }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(codeOf(body)).toBe('NOT_FOUND');
      const missing = await system.query(ORDER, { id: 'ord_does_not_exist' }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(missing.body.errors[0].message).toBe(body.errors[0].message.replace(nordicOrder.id, 'ord_does_not_exist'));
      const list = await system.query(`{ orders(first: 100) { edges { node { merchant { id } } } } }`, {}, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(new Set(list.body.data.orders.edges.map((e: any) => e.node.merchant.id))).toEqual(new Set([acme.id]));
    });

    it('gives a user with two roles the union of permissions, each over its own merchants', async () => {
      const token = (await login('finance-support@ipay.test')).data.login.accessToken;
      const headers = bearer(token);
      const viewer = await system.query(`{ viewer { grants { permission scope { kind merchantIds } } } }`, {}, headers);
      const grants = Object.fromEntries(viewer.body.data.viewer.grants.map((g: any) => [g.permission, g.scope.merchantIds]));
      expect(grants['orders:read']).toEqual([acme.id, nordic.id].sort());
      expect(grants['settlements:read']).toEqual([acme.id]); // finance on acme only
      expect(grants['orders:update']).toEqual([nordic.id]); // support on nordic only
      expect(grants['api_keys:manage']).toBeUndefined();

      expect((await system.query(ORDER, { id: acmeOrder.id }, headers)).body.data.order.id).toBe(acmeOrder.id);
      expect((await system.query(ORDER, { id: nordicOrder.id }, headers)).body.data.order.id).toBe(nordicOrder.id);
      const settlement = `query($id: ID!) { order(id: $id) { settlement { id } } }`;
      expect((await system.query(settlement, { id: acmeOrder.id }, headers)).body.data.order.settlement).not.toBeNull();
      expect((await system.query(settlement, { id: nordicOrder.id }, headers)).body.data.order.settlement).toBeNull();
      const keyAttempt = await system.query(
        `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "x", livemode: false, roles: ["owner"] }) { secret } }`,
        { m: acme.id },
        headers,
      );
      expect(codeOf(keyAttempt.body)).toBe('FORBIDDEN');
    });

    it('lets a carrier partner see only its own carrier’s shipments and no orders', async () => {
      const { body } = await system.query(`{ orders(first: 100) { edges { node { shipment { id } } } } }`, {}, AS_OPERATOR);
      const shipments = await Promise.all(
        body.data.orders.edges
          .filter((e: any) => e.node.shipment)
          .map(
            async (e: any) =>
              (await system.query(`query($id: ID!) { shipment(id: $id) { id carrier { code } } }`, { id: e.node.shipment.id }, AS_OPERATOR)).body.data.shipment,
          ),
      );
      const ups = shipments.find((s: any) => s.carrier.code === 'ups');
      const other = shipments.find((s: any) => s.carrier.code !== 'ups');
      const carrier = bearer(SANDBOX_KEYS['ups-carrier']!);
      const own = await system.query(`query($id: ID!) { shipment(id: $id) { id status } }`, { id: ups.id }, carrier);
      expect(own.body.data.shipment.id).toBe(ups.id);
      const foreign = await system.query(`query($id: ID!) { shipment(id: $id) { id } }`, { id: other.id }, carrier);
      expect(codeOf(foreign.body)).toBe('NOT_FOUND');
      expect(codeOf((await system.query(ORDER, { id: acmeOrder.id }, carrier)).body)).toBe('FORBIDDEN');
    });

    it('refuses granting more than the granter holds', async () => {
      const created = await system.query(
        `mutation { createUser(input: { email: "new.hire@acme-shop.test", name: "New Hire", password: "a-long-enough-password" }) { id } }`,
        {},
        AS_OPERATOR,
      );
      const userId = created.body.data.createUser.id;
      const assign = (scope: string, role = 'support', headers = bearer(SANDBOX_KEYS['acme-owner']!)) =>
        system.query(
          `mutation($u: ID!) { assignRole(input: { granteeKind: USER, granteeId: $u, roleKey: "${role}", scope: ${scope} }) { id scope { kind merchantIds } } }`,
          { u: userId },
          headers,
        );
      expect((await assign(`{ kind: MERCHANTS, merchantIds: ["${acme.id}"] }`)).body.data.assignRole.scope).toEqual({
        kind: 'MERCHANTS',
        merchantIds: [acme.id],
      });
      expect(codeOf((await assign(`{ kind: MERCHANTS, merchantIds: ["${nordic.id}"] }`)).body)).toBe('FORBIDDEN');
      expect(codeOf((await assign(`{ kind: ALL }`)).body)).toBe('FORBIDDEN');
      expect(codeOf((await assign(`{ kind: ALL }`, 'operator', AS_OPERATOR)).body)).toBeUndefined();
    });

    it('supports custom roles per merchant, without platform-only permissions', async () => {
      const create = (permissions: string) =>
        system.query(
          `mutation($m: ID!) { createRole(input: { merchantId: $m, key: "warehouse", name: "Warehouse", permissions: ${permissions} }) { key permissions merchant { id } } }`,
          { m: acme.id },
          bearer(SANDBOX_KEYS['acme-owner']!),
        );
      expect(codeOf((await create(`["merchants:approve"]`)).body)).toBe('BAD_USER_INPUT');
      expect(codeOf((await create(`["orders:fly"]`)).body)).toBe('BAD_USER_INPUT');
      const ok = await create(`["shipments:read", "orders:read"]`);
      expect(ok.body.data.createRole).toEqual({ key: 'warehouse', permissions: ['orders:read', 'shipments:read'], merchant: { id: acme.id } });
      const roles = await system.query(`query($m: ID!) { roles(merchantId: $m) { key builtIn } }`, { m: acme.id }, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(roles.body.data.roles.map((r: any) => r.key)).toEqual(
        expect.arrayContaining(['owner', 'admin', 'developer', 'finance', 'operator', 'support', 'read_only', 'carrier_partner', 'warehouse']),
      );
    });

    it('keeps sandbox and live apart: a sandbox key cannot read live data nor mint live keys', async () => {
      const { orders } = await import('@ipay/commerce/src/db/schema.ts');
      const liveId = sandboxId('ord', 'live-order');
      await system.subgraphs.commerce.database.db.insert(orders).values({
        id: liveId,
        merchantId: acme.id,
        livemode: true,
        merchantReference: 'LIVE-1',
        status: 'PAID',
        totalAmount: 5000,
        currency: 'EUR',
        customerName: 'Live Buyer',
        customerEmail: 'live@example.com',
      });
      expect(codeOf((await system.query(ORDER, { id: liveId }, bearer(SANDBOX_KEYS['acme-owner']!))).body)).toBe('NOT_FOUND');
      expect(codeOf((await system.query(ORDER, { id: liveId }, AS_OPERATOR)).body)).toBe('NOT_FOUND');
      const liveKey = await system.query(
        `mutation($m: ID!) { createApiKey(input: { merchantId: $m, name: "live", livemode: true, roles: ["read_only"] }) { secret } }`,
        { m: acme.id },
        bearer(SANDBOX_KEYS['acme-owner']!),
      );
      expect(codeOf(liveKey.body)).toBe('FORBIDDEN');
      const liveLogin = await system.query(
        `mutation($e: String!, $p: String!) { login(email: $e, password: $p, livemode: true) { accessToken } }`,
        { e: 'owner@acme-shop.test', p: SANDBOX_PASSWORD },
        {},
      );
      const live = bearer(liveLogin.body.data.login.accessToken);
      expect((await system.query(ORDER, { id: liveId }, live)).body.data.order.merchantReference).toBe('LIVE-1');
      expect(codeOf((await system.query(ORDER, { id: acmeOrder.id }, live)).body)).toBe('NOT_FOUND');
    });
  });

  describe('onboarding and CRM sync', () => {
    it('walks the onboarding state machine with guarded transitions and syncs every change to the CRM, retrying', async () => {
      const created = await system.query(
        `mutation { createMerchant(input: { slug: "fresh-shop", name: "Fresh Shop", country: "de", defaultCurrency: "eur" }) { id onboardingStatus country defaultCurrency } }`,
        {},
        AS_OPERATOR,
      );
      const merchant = created.body.data.createMerchant;
      expect(merchant).toMatchObject({ onboardingStatus: 'LEAD', country: 'DE', defaultCurrency: 'EUR' });
      const act = (action: string, headers = AS_OPERATOR) =>
        system.query(`mutation($m: ID!) { transitionOnboarding(merchantId: $m, action: ${action}) { onboardingStatus } }`, { m: merchant.id }, headers);
      expect(codeOf((await act('APPROVE_KYC')).body)).toBe('BAD_USER_INPUT');
      expect((await act('SUBMIT_KYC')).body.data.transitionOnboarding.onboardingStatus).toBe('KYC_PENDING');
      expect((await act('APPROVE_KYC')).body.data.transitionOnboarding.onboardingStatus).toBe('ACTIVE');
      // An owner may move its own merchant along (SUBMIT_KYC) but not someone else's, and never approve.
      expect(codeOf((await act('SUSPEND', bearer(SANDBOX_KEYS['acme-owner']!))).body)).toBe('FORBIDDEN');
      expect(codeOf((await act('CLOSE', bearer(SANDBOX_KEYS['acme-owner']!))).body)).toBe('FORBIDDEN');

      const { crmSandboxRecords, crmSyncJobs } = await import('@ipay/identity/src/db/schema.ts');
      const { runCrmSync } = await import('@ipay/identity/src/app/crm-sync.ts');
      const identity = system.subgraphs.identity as unknown as { services: import('@ipay/identity/src/app/services.ts').IdentityServices; logger: any };
      const db = system.subgraphs.identity.database.db as unknown as Parameters<typeof runCrmSync>[0];
      // The sandbox CRM is down for two attempts: the job is retried with backoff, then lands.
      // First the jobs its creation and transitions queued go through.
      expect((await identity.services.runCrmSync()).succeeded).toBe(3);
      (identity.services.crm as import('@ipay/identity/src/adapters/crm.ts').SandboxCrmAdapter).failNext(2);
      const sync = await system.query(
        `mutation($m: ID!) { syncMerchantToCrm(merchantId: $m) { id status attempts lastError nextAttemptAt } }`,
        { m: merchant.id },
        AS_OPERATOR,
      );
      const job = sync.body.data.syncMerchantToCrm;
      expect(job).toMatchObject({ status: 'PENDING', attempts: 1, lastError: expect.stringMatching(/unavailable/) });
      // Not due yet: nothing happens before the backoff has passed.
      expect(await runCrmSync(db, identity.services.crm, identity.logger, new Date())).toEqual({ succeeded: 0, failed: 0, retrying: 0 });
      const later = (minutes: number) => new Date(Date.now() + minutes * 60_000);
      expect((await runCrmSync(db, identity.services.crm, identity.logger, later(1))).retrying).toBeGreaterThanOrEqual(1);
      await runCrmSync(db, identity.services.crm, identity.logger, later(10));
      const [done] = await db.select().from(crmSyncJobs).where(eq(crmSyncJobs.id, job.id));
      expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
      const [record] = await db.select().from(crmSandboxRecords).where(eq(crmSandboxRecords.merchantId, merchant.id));
      expect(record!.payload).toMatchObject({ slug: 'fresh-shop', onboardingStatus: 'ACTIVE' });

      expect(
        codeOf(
          (
            await system.query(
              `mutation { createMerchant(input: { slug: "Bad Slug", name: "X", country: "DE", defaultCurrency: "EUR" }) { id } }`,
              {},
              AS_OPERATOR,
            )
          ).body,
        ),
      ).toBe('BAD_USER_INPUT');
      const badCountry = await system.query(
        `mutation { createMerchant(input: { slug: "okay", name: "Okay", country: "XX", defaultCurrency: "EUR" }) { id } }`,
        {},
        AS_OPERATOR,
      );
      expect(badCountry.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.country' });
      expect(
        codeOf(
          (
            await system.query(
              `mutation { createMerchant(input: { slug: "mine", name: "Mine", country: "NL", defaultCurrency: "EUR" }) { id } }`,
              {},
              bearer(SANDBOX_KEYS['acme-owner']!),
            )
          ).body,
        ),
      ).toBe('FORBIDDEN');
    });

    it('the scan for due CRM syncs runs as the crm-sync job on the platform queue', async () => {
      const { crmSyncJobs } = await import('@ipay/identity/src/db/schema.ts');
      const created = await system.query(
        `mutation { createMerchant(input: { slug: "job-shop", name: "Job Shop", country: "DE", defaultCurrency: "EUR" }) { id } }`,
        {},
        AS_OPERATOR,
      );
      const merchantId = created.body.data.createMerchant.id;
      const jobs = system.subgraphs.identity.jobs;
      const jobId = await jobs.send('crm-sync', {});
      for (;;) {
        if ((await jobs.job('crm-sync', jobId!))?.state === 'completed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const db = system.subgraphs.identity.database.db as any;
      const rows = await db.select().from(crmSyncJobs).where(eq(crmSyncJobs.merchantId, merchantId));
      expect(rows.map((r: { status: string }) => r.status)).toEqual(['SUCCEEDED']);
    });
  });

  describe('audit trail', () => {
    const AUDIT = `query($f: AuditFilter) { auditTrail { identity { records(filter: $f, first: 50) { edges { node { position action entityType entityId merchantId principalId requestId sourceIp changes } } } verification { valid checkedRecords brokenAtPosition reason } } } }`;

    it('records every mutation with who, what, when, request id and source IP, scoped by RBAC', async () => {
      const result = await system.query(
        `mutation { createPartner(input: { kind: PSP, name: "Adyen" }) { id } }`,
        {},
        { ...AS_OPERATOR, 'x-request-id': 'audit-req-1' },
      );
      const partnerId = result.body.data.createPartner.id;
      const { body } = await system.query(AUDIT, { f: { entityId: partnerId } });
      const [record] = body.data.auditTrail.identity.records.edges.map((e: any) => e.node);
      expect(record).toMatchObject({ action: 'partner.create', entityType: 'Partner', principalId: sandboxId('key', 'operator'), requestId: 'audit-req-1' });
      expect(record.sourceIp).toMatch(/127\.0\.0\.1/);
      expect(record.changes.name).toEqual({ from: null, to: 'Adyen' });

      const acmeView = await system.query(
        `{ auditTrail { identity { records(first: 100) { edges { node { merchantId } } } } } }`,
        {},
        bearer(SANDBOX_KEYS['acme-owner']!),
      );
      expect(acmeView.body.errors).toBeUndefined();
      expect(new Set(acmeView.body.data.auditTrail.identity.records.edges.map((e: any) => e.node.merchantId))).toEqual(new Set([acme.id]));
      const acmeVerify = await system.query(`{ auditTrail { identity { verification { valid } } } }`, {}, bearer(SANDBOX_KEYS['acme-owner']!));
      expect(codeOf(acmeVerify.body)).toBe('FORBIDDEN');
    });

    it('is append-only, and its hash chain detects a record edited or deleted directly in SQL', async () => {
      const db = system.subgraphs.identity.database.db;
      const before = await system.query(AUDIT, {});
      expect(before.body.data.auditTrail.identity.verification).toMatchObject({ valid: true, brokenAtPosition: null });
      const total = before.body.data.auditTrail.identity.verification.checkedRecords;
      expect(total).toBeGreaterThan(3);

      const refusal = (statement: Promise<unknown>) =>
        statement.then(
          () => 'allowed',
          (error) => String(error.cause?.message ?? error.message),
        );
      expect(await refusal(db.execute(sql`update identity.audit_log set action = 'nothing.happened' where position = 2`))).toMatch(/append-only/);
      expect(await refusal(db.execute(sql`delete from identity.audit_log where position = 2`))).toMatch(/append-only/);
      expect(await refusal(db.execute(sql`truncate identity.audit_log`))).toMatch(/append-only/);

      // Someone with full database access turns the guard off and rewrites history.
      await db.execute(sql`alter table identity.audit_log disable trigger audit_log_no_update_delete`);
      await db.execute(sql`update identity.audit_log set after = '{"name":"forged"}'::jsonb where position = 2`);
      const edited = await system.query(AUDIT, {});
      expect(edited.body.data.auditTrail.identity.verification).toMatchObject({ valid: false, brokenAtPosition: 2, reason: expect.stringMatching(/edited/) });

      await db.execute(sql`delete from identity.audit_log where position = 2`);
      const deleted = await system.query(AUDIT, {});
      expect(deleted.body.data.auditTrail.identity.verification).toMatchObject({ valid: false, brokenAtPosition: 2, reason: expect.stringMatching(/missing/) });
      await db.execute(sql`alter table identity.audit_log enable trigger audit_log_no_update_delete`);
    });
  });
});
