import { and, asc, eq, gt } from 'drizzle-orm';
import { badUserInput, decodeCursor, newId, notFound, type Authorization, type Database, type UnitOfWork } from '@ipay/platform';
import { merchantScope } from '../db/loaders.ts';
import { merchants, type MerchantRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { enqueueCrmSync } from './crm-sync.ts';
import { transitionOnboarding, type OnboardingAction } from '../domain/onboarding.ts';
import { parseNewMerchant, type NewMerchant } from '../domain/merchants.ts';

export type { NewMerchant } from '../domain/merchants.ts';

type Uow = UnitOfWork<typeof schema>;

const auditView = (m: MerchantRow) => ({
  slug: m.slug,
  name: m.name,
  country: m.country,
  defaultCurrency: m.defaultCurrency,
  onboardingStatus: m.onboardingStatus,
});

export async function createMerchant(uow: Uow, input: NewMerchant): Promise<MerchantRow> {
  const { slug, name, country, defaultCurrency } = parseNewMerchant(input);
  const [existing] = await uow.tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.slug, slug));
  if (existing) throw badUserInput('input.slug', `"${slug}" is taken`);
  const [merchant] = await uow.tx
    .insert(merchants)
    .values({ id: newId('mer'), slug, name, country, defaultCurrency })
    .returning();
  uow.audit({ action: 'merchant.create', entityType: 'Merchant', entityId: merchant!.id, merchantId: merchant!.id, after: auditView(merchant!) });
  await enqueueCrmSync(uow.tx, merchant!);
  for (const livemode of [false, true]) {
    uow.emit({
      type: 'merchant.created',
      subjectId: merchant!.id,
      merchantId: merchant!.id,
      livemode,
      payload: { merchant_id: merchant!.id, merchant: merchant!.slug, name: merchant!.name, country: merchant!.country, currency: merchant!.defaultCurrency },
    });
  }
  return merchant!;
}

/** Applies an onboarding action under a row lock, so two concurrent transitions cannot both pass the check. */
export async function applyOnboardingAction(uow: Uow, merchantId: string, action: OnboardingAction): Promise<MerchantRow> {
  const [current] = await uow.tx.select().from(merchants).where(eq(merchants.id, merchantId)).for('update');
  if (!current) throw notFound('Merchant', merchantId);
  const result = transitionOnboarding(current.onboardingStatus, action);
  if (!result.ok) throw badUserInput('action', result.reason);
  const [updated] = await uow.tx.update(merchants).set({ onboardingStatus: result.to, updatedAt: new Date() }).where(eq(merchants.id, merchantId)).returning();
  uow.audit({
    action: `merchant.onboarding.${action.toLowerCase()}`,
    entityType: 'Merchant',
    entityId: merchantId,
    merchantId,
    before: auditView(current),
    after: auditView(updated!),
  });
  await enqueueCrmSync(uow.tx, updated!);
  // Onboarding is about the account, not a dataset: it is announced to sandbox and live listeners alike.
  for (const livemode of [false, true]) {
    uow.emit({
      type: 'merchant.onboarding_changed',
      subjectId: merchantId,
      merchantId,
      livemode,
      payload: { merchant: updated!.slug, from: current.onboardingStatus, to: updated!.onboardingStatus },
    });
  }
  return updated!;
}

/** A merchant by its slug, if the caller may read it (else NOT_FOUND, as for one that does not exist). */
export async function merchantBySlug(db: Database<typeof schema>, auth: Authorization, slug: string): Promise<MerchantRow> {
  const [row] = await db
    .select()
    .from(merchants)
    .where(and(eq(merchants.slug, slug), merchantScope(auth.require('merchants:read'))));
  if (!row) throw notFound('Merchant', slug);
  return row;
}

/** A page of the merchants the caller may read, by slug: `size + 1` rows, so the caller can tell whether more follow. */
export async function listMerchants(db: Database<typeof schema>, auth: Authorization, size: number, after: string | null): Promise<MerchantRow[]> {
  const scope = auth.require('merchants:read');
  const [afterSlug] = after ? decodeCursor(after, 1) : [];
  return db
    .select()
    .from(merchants)
    .where(and(merchantScope(scope), afterSlug === undefined ? undefined : gt(merchants.slug, afterSlug)))
    .orderBy(asc(merchants.slug))
    .limit(size + 1);
}
