import type { Permission } from '@ipay/platform';
import type { MerchantRow } from '../db/schema.ts';

export type OnboardingStatus = MerchantRow['onboardingStatus'];
export type OnboardingAction = 'SUBMIT_KYC' | 'APPROVE_KYC' | 'REJECT_KYC' | 'SUSPEND' | 'REACTIVATE' | 'CLOSE';

/** lead → KYC pending → active ⇄ suspended → closed; approving and suspending is platform staff's call. */
export const ONBOARDING_TRANSITIONS: Record<OnboardingAction, { from: readonly OnboardingStatus[]; to: OnboardingStatus; permission: Permission }> = {
  SUBMIT_KYC: { from: ['LEAD'], to: 'KYC_PENDING', permission: 'merchants:onboard' },
  APPROVE_KYC: { from: ['KYC_PENDING'], to: 'ACTIVE', permission: 'merchants:approve' },
  REJECT_KYC: { from: ['KYC_PENDING'], to: 'LEAD', permission: 'merchants:approve' },
  SUSPEND: { from: ['ACTIVE'], to: 'SUSPENDED', permission: 'merchants:approve' },
  REACTIVATE: { from: ['SUSPENDED'], to: 'ACTIVE', permission: 'merchants:approve' },
  CLOSE: { from: ['LEAD', 'KYC_PENDING', 'ACTIVE', 'SUSPENDED'], to: 'CLOSED', permission: 'merchants:approve' },
};

export type TransitionResult = { ok: true; to: OnboardingStatus } | { ok: false; reason: string };

export function transitionOnboarding(current: OnboardingStatus, action: OnboardingAction): TransitionResult {
  const rule = ONBOARDING_TRANSITIONS[action];
  if (!rule.from.includes(current)) {
    return { ok: false, reason: `cannot ${action.toLowerCase().replace('_', ' ')} a merchant that is ${current}; allowed from ${rule.from.join(', ')}` };
  }
  return { ok: true, to: rule.to };
}

/** Live credentials only for merchants that passed KYC and are not suspended or closed. */
export const mayHoldLiveCredentials = (status: OnboardingStatus) => status === 'ACTIVE';
