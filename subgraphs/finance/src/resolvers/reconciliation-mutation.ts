import { badUserInput, notFound } from '@ipay/platform';
import { parseGenericInvoice, parseUpsBillingData } from '../adapters/carrier-invoice-csv.ts';
import { importCarrierInvoice, recordInvoicePayment, resolveInvoiceLine } from '../app/carrier-invoices.ts';
import { mailDigest, runControls } from '../app/controls.ts';
import { contactsOf, sendCarrierStatement, setCarrierContacts, statementDate } from '../app/statements.ts';
import type { MutationResolvers } from '../generated/graphql.ts';
import { requirePlatform } from '../db/reconciliation-loaders.ts';

const CARRIER_CODE = /^[a-z][a-z0-9_-]{1,31}$/;

function carrierCode(value: string, field: string): string {
  const code = value.trim().toLowerCase();
  if (!CARRIER_CODE.test(code)) throw badUserInput(field, `"${value}" is not a carrier code`);
  return code;
}

export const ReconciliationMutation: MutationResolvers = {
  importCarrierInvoice: async (_, { input }, { auth, mutate }) => {
    const carrier = carrierCode(input.carrier, 'input.carrier');
    requirePlatform(auth, 'carrier_invoices:manage');
    let invoice;
    if (input.layout === 'UPS_BILLING_DATA') {
      if (carrier !== 'ups') throw badUserInput('input.layout', 'UPS_BILLING_DATA is the layout of carrier ups');
      invoice = parseUpsBillingData(input.csv);
    } else {
      if (!input.mapping) throw badUserInput('input.mapping', 'is required for the GENERIC layout');
      invoice = parseGenericInvoice(input.csv, input.mapping, {
        invoiceNumber: input.invoiceNumber ?? '',
        invoiceDate: input.invoiceDate ?? '',
        currency: (input.currency ?? '').toUpperCase(),
      });
    }
    return mutate((uow) => importCarrierInvoice(uow, { carrierCode: carrier, layout: input.layout, livemode: auth.livemode, invoice }));
  },
  resolveCarrierInvoiceLine: async (_, { input }, { auth, mutate }) => {
    requirePlatform(auth, 'carrier_invoices:manage');
    const note = input.note?.trim() || null;
    if (note && note.length > 2000) throw badUserInput('input.note', 'must be at most 2000 characters');
    const { line, invoice } = await mutate((uow) =>
      resolveInvoiceLine(uow, { lineId: input.lineId, resolution: input.resolution, note, livemode: auth.livemode, resolvedBy: auth.requirePrincipal().id }),
    );
    return { ...line, currency: invoice.currency };
  },
  recordCarrierInvoicePayment: async (_, { input }, { auth, mutate, loaders }) => {
    requirePlatform(auth, 'carrier_invoices:manage');
    if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw badUserInput('input.amount', 'must be a positive integer of minor units');
    if (!(await loaders.carrierInvoiceById.load(input.invoiceId))) throw notFound('CarrierInvoice', input.invoiceId);
    return mutate((uow) => recordInvoicePayment(uow, { invoiceId: input.invoiceId, amountMinor: input.amount, livemode: auth.livemode }));
  },
  setCarrierContacts: async (_, { input }, { auth, mutate }) => {
    const carrier = carrierCode(input.carrier, 'input.carrier');
    requirePlatform(auth, 'carrier_invoices:manage');
    const row = await mutate((uow) => setCarrierContacts(uow, { carrierCode: carrier, livemode: auth.livemode, emails: input.emails }));
    return { carrierCode: row.carrierCode, emails: row.emails };
  },
  sendCarrierStatement: async (_, { input }, { auth, mutate, services, db }) => {
    const carrier = carrierCode(input.carrier, 'input.carrier');
    requirePlatform(auth, 'carrier_invoices:manage');
    const asOf = statementDate(input.asOf);
    const sent = await sendCarrierStatement(
      db,
      services.reconciliation.mail,
      { carrierCode: carrier, livemode: auth.livemode, asOf, recipients: input.recipients ?? null },
      (work) => mutate(work),
    );
    return {
      ...sent,
      statement: { carrierCode: carrier, livemode: auth.livemode, report: sent.report, contacts: await contactsOf(db, carrier, auth.livemode) },
    };
  },
  runControls: async (_, { input }, { auth, mutate, services, logger }) => {
    requirePlatform(auth, 'controls:run');
    const { mail, config } = services.reconciliation;
    const ran = await mutate((uow) => runControls(uow, { config: config.controls }, { livemode: auth.livemode, trigger: 'ON_DEMAND' }));
    if (!input?.sendDigest) return ran.run;
    return mailDigest(ran, { mail, config: config.controls, logger }, (work) => mutate(work));
  },
};
