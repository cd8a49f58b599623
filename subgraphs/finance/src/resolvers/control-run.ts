import type { ControlResultEntryResolvers, ControlRunResolvers, SandboxMailResolvers } from '../generated/graphql.ts';

export const ControlRun: ControlRunResolvers = {
  results: (run, _, { loaders }) => loaders.controlResultsByRunId.load(run.id),
};

export const ControlResultEntry: ControlResultEntryResolvers = {
  evidence: (r, { first }) => (r.evidence as unknown[]).slice(0, Math.max(0, Math.min(first, 1000))),
};

export const SandboxMail: SandboxMailResolvers = {
  from: (mail) => mail.fromAddress,
  to: (mail) => mail.recipients,
};
