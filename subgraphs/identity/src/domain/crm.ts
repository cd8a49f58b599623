/** What a CRM learns about a merchant. */
export interface CrmAccountSnapshot {
  merchantId: string;
  slug: string;
  name: string;
  country: string;
  currency: string;
  onboardingStatus: string;
  updatedAt: string;
}

/** The merchant facts a CRM snapshot is made of. */
export interface CrmMerchantFacts {
  id: string;
  slug: string;
  name: string;
  country: string;
  defaultCurrency: string;
  onboardingStatus: string;
  updatedAt: Date;
}

export const crmSnapshot = (m: CrmMerchantFacts): CrmAccountSnapshot => ({
  merchantId: m.id,
  slug: m.slug,
  name: m.name,
  country: m.country,
  currency: m.defaultCurrency,
  onboardingStatus: m.onboardingStatus,
  updatedAt: m.updatedAt.toISOString(),
});

/** The one thing IPAY asks of a CRM: keep this account as described. Real CRMs plug in here (src/adapters/crm.ts). */
export interface CrmAdapter {
  readonly name: string;
  upsertAccount(snapshot: CrmAccountSnapshot): Promise<void>;
}

export class CrmUnavailableError extends Error {}

export const CRM_MAX_ATTEMPTS = 6;
/** 30 s, 1 min, 2 min, … capped at an hour. */
export const crmBackoffMs = (attempts: number) => Math.min(30_000 * 2 ** (attempts - 1), 3_600_000);
