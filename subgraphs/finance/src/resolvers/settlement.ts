import { documentView, settlementExport, settlementStatement } from '../app/documents.ts';
import { issueDownload } from '../app/downloads.ts';
import type { SettlementResolvers } from '../generated/graphql.ts';

export const Settlement: SettlementResolvers = {
  __resolveReference: (ref, { loaders }) => loaders.settlementById.load(ref.id),
  merchant: (settlement) => ({ id: settlement.merchantId }),
  gross: (s) => ({ amount: s.grossAmount, currency: s.currency }),
  fees: (s) => ({ amount: s.feeAmount, currency: s.currency }),
  net: (s) => ({ amount: s.netAmount, currency: s.currency }),
  lines: (settlement, _, { loaders }) => loaders.linesBySettlementId.load(settlement.id),
  feesApplied: async (settlement, _, { loaders }) => {
    const lines = await loaders.linesBySettlementId.load(settlement.id);
    const ids = [...new Set(lines.map((l) => l.feeScheduleId).filter((id): id is string => !!id))].sort();
    return (await loaders.feeScheduleById.loadMany(ids)).filter((e): e is Exclude<typeof e, Error | null> => !!e && !(e instanceof Error));
  },
  statement: async (settlement, _, { db }) => documentView(await settlementStatement(db, settlement)),
  export: async (settlement, { format }, { db, auth, services }) =>
    documentView(await settlementExport(db, settlement, auth.require('settlements:read'), auth.livemode, format, services.datev)),
  exportDownload: (settlement, { format }, { db, auth, services }) => issueDownload(db, auth, { settlementId: settlement.id, format }, services.downloads),
};
