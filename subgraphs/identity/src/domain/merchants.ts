import { eq } from 'drizzle-orm';
import { assertCountry, assertCurrency, badUserInput, newId, notFound, type UnitOfWork } from '@ipay/platform';
import { merchants, type MerchantRow } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { enqueueCrmSync } from './crm.ts';
import { transitionOnboarding, type OnboardingAction } from './onboarding.ts';

type Uow = UnitOfWork<typeof schema>;

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/;

export interface NewMerchant {
  slug: string;
  name: string;
  country: string;
  defaultCurrency: string;
}

const auditView = (m: MerchantRow) => ({ slug: m.slug, name: m.name, country: m.country, defaultCurrency: m.defaultCurrency, onboardingStatus: m.onboardingStatus });

export async function createMerchant(uow: Uow, input: NewMerchant): Promise<MerchantRow> {
  const slug = input.slug.trim();
  if (!SLUG.test(slug)) throw badUserInput('input.slug', 'use 1-50 lower-case letters, digits and dashes, not starting or ending with a dash');
  const name = input.name.trim();
  if (name.length < 2 || name.length > 200) throw badUserInput('input.name', 'must be 2 to 200 characters');
  const country = assertCountry(input.country.trim().toUpperCase(), 'input.country');
  const defaultCurrency = assertCurrency(input.defaultCurrency.trim().toUpperCase(), 'input.defaultCurrency');
  const [existing] = await uow.tx.select({ id: merchants.id }).from(merchants).where(eq(merchants.slug, slug));
  if (existing) throw badUserInput('input.slug', `"${slug}" is taken`);
  const [merchant] = await uow.tx.insert(merchants).values({ id: newId('mer'), slug, name, country, defaultCurrency }).returning();
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
  uow.audit({ action: `merchant.onboarding.${action.toLowerCase()}`, entityType: 'Merchant', entityId: merchantId, merchantId, before: auditView(current), after: auditView(updated!) });
  await enqueueCrmSync(uow.tx, updated!);
  // Onboarding is about the account, not a dataset: it is announced to sandbox and live listeners alike.
  for (const livemode of [false, true]) {
    uow.emit({ type: 'merchant.onboarding_changed', subjectId: merchantId, merchantId, livemode, payload: { merchant: updated!.slug, from: current.onboardingStatus, to: updated!.onboardingStatus } });
  }
  return updated!;
}
