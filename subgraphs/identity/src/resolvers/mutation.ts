import { badUserInput, domainError } from '@ipay/platform';
import * as access from '../app/access.ts';
import { applyOnboardingAction, createMerchant } from '../app/merchants.ts';
import { ONBOARDING_TRANSITIONS } from '../domain/onboarding.ts';
import { authenticateApiKey, heldRolesOfUser, liveRolesOfUser } from '../app/principals.ts';
import type { MutationResolvers } from '../generated/graphql.ts';
import { crmSyncJob, requestCrmSync } from '../app/crm-sync.ts';

const asToken = (issued: { token: string; expiresAt: Date; expiresIn: number }) => ({
  accessToken: issued.token,
  tokenType: 'Bearer',
  expiresIn: issued.expiresIn,
  expiresAt: issued.expiresAt,
});

export const Mutation: MutationResolvers = {
  issueToken: async (_, { apiKey }, { db, services, requestId, sourceIp, mutateAs }) => {
    const result = await authenticateApiKey(db, apiKey, services.apiKeyPepper);
    if (!result.ok) throw domainError(result.code, result.reason);
    const { principal } = result;
    // The caller is anonymous until now: the key it presented is the actor of its own token issuance.
    await mutateAs(
      { principalKind: principal.kind, principalId: principal.id, credentialId: principal.id, livemode: principal.livemode, requestId, sourceIp },
      async (uow) => {
        uow.audit({ action: 'token.issue', entityType: 'ApiKey', entityId: principal.id, merchantId: null });
      },
    );
    return asToken(await services.tokens.issue({ subject: principal.id, credentialKind: 'api_key', credentialId: principal.id, livemode: principal.livemode }));
  },
  login: async (_, { email, password, livemode }, { db, services, requestId, sourceIp, mutateAs }) => {
    const user = await access.userByPassword(db, email, password);
    // A live login reaches only ACTIVE merchants; one that reaches none (its merchants suspended or closed) is refused.
    if (livemode) {
      const live = await liveRolesOfUser(db, await heldRolesOfUser(db, user.id));
      if (!live.ok) throw domainError('MERCHANT_NOT_ACTIVE', live.reason);
    }
    const session = await mutateAs(
      { principalKind: user.isOperator ? 'operator' : 'user', principalId: user.id, credentialId: null, livemode, requestId, sourceIp },
      (uow) => access.openSession(uow, user.id, livemode),
    );
    return asToken(await services.tokens.issue({ subject: user.id, credentialKind: 'session', credentialId: session.id, livemode }));
  },
  logout: async (_, __, { auth, mutate }) => {
    const principal = auth.requirePrincipal();
    if (principal.kind !== 'user' && principal.kind !== 'operator')
      throw badUserInput('credential', 'only user logins can be logged out; revoke API keys instead');
    return mutate((uow) => access.closeSession(uow, principal.credentialId));
  },
  createMerchant: async (_, { input }, { auth, mutate }) => {
    auth.require('merchants:create');
    return mutate((uow) => createMerchant(uow, input));
  },
  transitionOnboarding: async (_, { merchantId, action }, { auth, mutate }) => {
    auth.requireMerchant(ONBOARDING_TRANSITIONS[action].permission, merchantId);
    return mutate((uow) => applyOnboardingAction(uow, merchantId, action));
  },
  syncMerchantToCrm: async (_, { merchantId }, { auth, mutate, services, db }) => {
    auth.requireMerchant('merchants:onboard', merchantId);
    const jobId = await mutate((uow) => requestCrmSync(uow, merchantId));
    await services.runCrmSync();
    return crmSyncJob(db, jobId);
  },
  createUser: async (_, { input }, { auth, mutate }) => {
    auth.require('users:manage');
    return mutate((uow) => access.createUser(uow, input));
  },
  createPartner: async (_, { input }, { auth, mutate }) => {
    auth.require('partners:manage');
    return mutate((uow) => access.createPartner(uow, input));
  },
  createApiKey: (_, { input }, { auth, mutate, services }) => mutate((uow) => access.createApiKey(uow, auth, input, services.apiKeyPepper)),
  rotateApiKey: (_, { id, gracePeriodSeconds }, { auth, mutate, services }) =>
    mutate((uow) => access.rotateApiKey(uow, auth, id, gracePeriodSeconds, services.apiKeyPepper)),
  revokeApiKey: (_, { id }, { auth, mutate }) => mutate((uow) => access.revokeApiKey(uow, auth, id)),
  createRole: (_, { input }, { auth, mutate }) => mutate((uow) => access.createRole(uow, auth, input)),
  assignRole: (_, { input }, { auth, mutate }) => mutate((uow) => access.assignRole(uow, auth, { ...input, scope: access.parseScopeInput(input.scope) })),
  revokeRoleAssignment: (_, { id }, { auth, mutate }) => mutate((uow) => access.revokeRoleAssignment(uow, auth, id)),
};
