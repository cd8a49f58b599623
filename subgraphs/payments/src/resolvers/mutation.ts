import { createRefund } from '../app/refunds.ts';
import { startPaymentSession } from '../app/payment-sessions.ts';
import { releaseSandboxNotifications, simulateSandboxPayment } from '../app/sandbox-control.ts';
import type { PspCode } from '../adapters/psp/adapter.ts';
import type { SandboxOutcome } from '../app/sandbox-port.ts';
import type { MutationResolvers } from '../generated/graphql.ts';

/** Thin: GraphQL arguments in, the use case of app/, its rows out (mapped by the type resolvers). */
export const Mutation: MutationResolvers = {
  startPaymentSession: (_, { input }, ctx) => startPaymentSession(ctx, { ...input, psp: input.psp.toLowerCase() as PspCode }),
  createRefund: (_, { input }, ctx) => createRefund(ctx, input),
  simulateSandboxPayment: (_, { sessionId, outcome, duplicate, outOfOrder, delay }, ctx) =>
    simulateSandboxPayment(ctx, sessionId, { outcome: outcome.toLowerCase() as SandboxOutcome, duplicate, outOfOrder, delay }),
  releaseSandboxNotifications: (_, { sessionId }, ctx) => releaseSandboxNotifications(ctx, sessionId),
};
