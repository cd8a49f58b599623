import { SANDBOX_MERCHANTS, SANDBOX_ORDERS, sandboxId, type Database } from '@ipay/platform';
import { apiKeys, consumerOrders, merchants, partners, roleAssignments, users } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { hashApiKey } from '../domain/api-keys.ts';
import { normalizeReference } from '../domain/consumer.ts';
import { sandboxApiKey } from './api-keys.ts';
import { BUILT_IN_ROLE_IDS } from '../domain/grants.ts';
import { hashPassword } from '../domain/passwords.ts';
import type { IdentityServices } from '../app/services.ts';

const [acme, nordic, bella] = SANDBOX_MERCHANTS as [(typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number], (typeof SANDBOX_MERCHANTS)[number]];

export const SANDBOX_PASSWORD = 'sandbox-password-2026';
export const SANDBOX_UPS_PARTNER_ID = sandboxId('ptn', 'ups');

type Scope = { scopeKind: 'ALL' | 'MERCHANTS' | 'CARRIERS'; merchantIds?: string[]; carrierCodes?: string[] };

/** Sandbox API keys (test mode only), the same on every start for a given API_KEY_PEPPER. */
export const SANDBOX_KEYS: {
  name: string;
  ownerKind: 'MERCHANT' | 'PARTNER' | 'PLATFORM';
  merchantId?: string;
  partnerId?: string;
  roles: [string, Scope][];
}[] = [
  { name: 'operator', ownerKind: 'PLATFORM', roles: [['operator', { scopeKind: 'ALL' }]] },
  { name: 'acme-owner', ownerKind: 'MERCHANT', merchantId: acme.id, roles: [['owner', { scopeKind: 'MERCHANTS', merchantIds: [acme.id] }]] },
  { name: 'acme-read-only', ownerKind: 'MERCHANT', merchantId: acme.id, roles: [['read_only', { scopeKind: 'MERCHANTS', merchantIds: [acme.id] }]] },
  { name: 'nordic-owner', ownerKind: 'MERCHANT', merchantId: nordic.id, roles: [['owner', { scopeKind: 'MERCHANTS', merchantIds: [nordic.id] }]] },
  { name: 'bella-owner', ownerKind: 'MERCHANT', merchantId: bella.id, roles: [['owner', { scopeKind: 'MERCHANTS', merchantIds: [bella.id] }]] },
  {
    name: 'ups-carrier',
    ownerKind: 'PARTNER',
    partnerId: SANDBOX_UPS_PARTNER_ID,
    roles: [['carrier_partner', { scopeKind: 'CARRIERS', carrierCodes: ['ups'] }]],
  },
];

/** Sandbox users (password SANDBOX_PASSWORD); `multi` holds two roles on two merchants. */
export const SANDBOX_USERS: { key: string; email: string; name: string; isOperator: boolean; roles: [string, Scope][] }[] = [
  { key: 'ops', email: 'ops@ipay.test', name: 'Olivia Operator', isOperator: true, roles: [['operator', { scopeKind: 'ALL' }]] },
  {
    key: 'acme-owner',
    email: 'owner@acme-shop.test',
    name: 'Arjen Acme',
    isOperator: false,
    roles: [['owner', { scopeKind: 'MERCHANTS', merchantIds: [acme.id] }]],
  },
  {
    key: 'multi',
    email: 'finance-support@ipay.test',
    name: 'Fenna Finance',
    isOperator: false,
    roles: [
      ['finance', { scopeKind: 'MERCHANTS', merchantIds: [acme.id] }],
      ['support', { scopeKind: 'MERCHANTS', merchantIds: [nordic.id] }],
    ],
  },
];

export function sandboxCredentials(pepper: string) {
  return Object.fromEntries(SANDBOX_KEYS.map((k) => [k.name, sandboxApiKey(k.name, pepper).key])) as Record<string, string>;
}

export async function seed(db: Database<typeof schema>, services: IdentityServices): Promise<void> {
  await seedConsumerOrders(db);
  await db.transaction(async (tx) => {
    await tx
      .insert(merchants)
      .values(
        SANDBOX_MERCHANTS.map((m) => ({
          id: m.id,
          slug: m.slug,
          name: m.name,
          country: m.country,
          defaultCurrency: m.currency,
          onboardingStatus: 'ACTIVE' as const,
        })),
      )
      .onConflictDoNothing();
    await tx.insert(partners).values({ id: SANDBOX_UPS_PARTNER_ID, kind: 'CARRIER', name: 'UPS', carrierCode: 'ups' }).onConflictDoNothing();
    const assignment = (granteeKind: 'USER' | 'API_KEY', granteeId: string, [role, scope]: [string, Scope]) => ({
      id: sandboxId('ras', `${granteeKind}:${granteeId}:${role}`),
      granteeKind,
      granteeId,
      roleId: BUILT_IN_ROLE_IDS[role]!,
      scopeKind: scope.scopeKind,
      merchantIds: scope.merchantIds ?? [],
      carrierCodes: scope.carrierCodes ?? [],
    });
    for (const key of SANDBOX_KEYS) {
      const { key: secret, prefix } = sandboxApiKey(key.name, services.apiKeyPepper);
      const id = sandboxId('key', key.name);
      await tx
        .insert(apiKeys)
        .values({
          id,
          ownerKind: key.ownerKind,
          merchantId: key.merchantId ?? null,
          partnerId: key.partnerId ?? null,
          name: `sandbox ${key.name}`,
          livemode: false,
          prefix,
          secretHash: hashApiKey(secret, services.apiKeyPepper),
        })
        .onConflictDoNothing();
      await tx
        .insert(roleAssignments)
        .values(key.roles.map((r) => assignment('API_KEY', id, r)))
        .onConflictDoNothing();
    }
    const passwordHash = await hashPassword(SANDBOX_PASSWORD);
    for (const user of SANDBOX_USERS) {
      const id = sandboxId('usr', user.key);
      await tx.insert(users).values({ id, email: user.email, name: user.name, isOperator: user.isOperator, passwordHash }).onConflictDoNothing();
      await tx
        .insert(roleAssignments)
        .values(user.roles.map((r) => assignment('USER', id, r)))
        .onConflictDoNothing();
    }
  });
}

/** Sandbox orders are not announced as events: the projection starts with them (they carry no postal code). */
export async function seedConsumerOrders(db: Database<typeof schema>): Promise<void> {
  await db
    .insert(consumerOrders)
    .values(
      SANDBOX_ORDERS.map((o) => ({
        orderId: o.id,
        merchantId: o.merchantId,
        livemode: false,
        reference: normalizeReference(o.reference),
        postalCode: null,
        country: null,
        customerName: o.customerName,
        customerEmail: o.customerEmail,
        totalAmount: o.amount,
        currency: o.currency,
        status: o.status,
        createdAt: o.createdAt,
      })),
    )
    .onConflictDoNothing();
}
