import type { Permission } from '@ipay/platform';
import type { HeldRole } from './grants.ts';

/** A merchant's onboarding states (the `onboarding_status` enum of db/schema.ts is the same list). */
export const ONBOARDING_STATUSES = ['LEAD', 'KYC_PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED'] as const;
export type OnboardingStatus = (typeof ONBOARDING_STATUSES)[number];
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

/**
 * What of a user's roles reaches live data: merchant-scoped roles keep only ACTIVE merchants (a role left with none is
 * dropped); roles over ALL data or carriers are kept. A user whose roles all pointed at merchants that are not ACTIVE
 * has no live reach and is refused.
 */
export function liveReach(
  held: readonly HeldRole[],
  statuses: ReadonlyMap<string, OnboardingStatus>,
): { ok: true; held: HeldRole[] } | { ok: false; reason: string } {
  const kept: HeldRole[] = [];
  const inactive = new Set<string>();
  for (const role of held) {
    if (role.scope.kind !== 'MERCHANTS') {
      kept.push(role);
      continue;
    }
    const active = role.scope.merchantIds.filter((id) => {
      const status = statuses.get(id);
      if (status && mayHoldLiveCredentials(status)) return true;
      inactive.add(`${id} (${status ?? 'unknown'})`);
      return false;
    });
    if (active.length > 0) kept.push({ permissions: role.permissions, scope: { kind: 'MERCHANTS', merchantIds: active } });
  }
  if (kept.length === 0 && inactive.size > 0)
    return { ok: false, reason: `live access needs an ACTIVE merchant; not active: ${[...inactive].sort().join(', ')}` };
  return { ok: true, held: kept };
}
