import { and, asc, eq, lt, lte, sql } from 'drizzle-orm';
import { domainError, badUserInput, wireMoney, type Database, type MailSender, type UnitOfWork } from '@ipay/platform';
import { renderCarrierStatementPdf } from '../adapters/pdf-carrier-statement.ts';
import { carrierContacts, carrierInvoices } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';
import { AGING_BUCKETS, agingReport, isCalendarDate, type AgingReport } from '../domain/aging.ts';

type Db = Database<typeof schema>;
type Uow = UnitOfWork<typeof schema>;

const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export function statementDate(asOf: string | null | undefined, now = new Date()): string {
  const day = asOf ?? now.toISOString().slice(0, 10);
  if (!isCalendarDate(day)) throw badUserInput('asOf', 'must be a date YYYY-MM-DD');
  return day;
}

/** A carrier's open items on a day, bucketed by age (invoices dated after the day are not yet open). */
export async function carrierAging(db: Db, carrierCode: string, livemode: boolean, asOf: string): Promise<AgingReport> {
  const rows = await db
    .select()
    .from(carrierInvoices)
    .where(
      and(
        eq(carrierInvoices.carrierCode, carrierCode),
        eq(carrierInvoices.livemode, livemode),
        lte(carrierInvoices.invoiceDate, asOf),
        lt(carrierInvoices.paidMinor, carrierInvoices.totalMinor),
      ),
    )
    .orderBy(asc(carrierInvoices.invoiceDate), asc(carrierInvoices.invoiceNumber));
  return agingReport(
    rows.map((r) => ({
      invoiceId: r.id,
      invoiceNumber: r.invoiceNumber,
      invoiceDate: r.invoiceDate,
      currency: r.currency,
      totalMinor: r.totalMinor,
      paidMinor: r.paidMinor,
    })),
    asOf,
  );
}

/** Carriers with invoices in a mode, for the statements overview. */
export async function carriersWithInvoices(db: Db, livemode: boolean): Promise<string[]> {
  const rows = await db
    .selectDistinct({ carrierCode: carrierInvoices.carrierCode })
    .from(carrierInvoices)
    .where(eq(carrierInvoices.livemode, livemode))
    .orderBy(asc(carrierInvoices.carrierCode));
  return rows.map((r) => r.carrierCode);
}

export function validEmails(emails: readonly string[], field: string): string[] {
  const cleaned = [...new Set(emails.map((e) => e.trim()))];
  if (!cleaned.length) throw badUserInput(field, 'needs at least one address');
  if (cleaned.length > 20) throw badUserInput(field, 'takes at most 20 addresses');
  for (const e of cleaned) if (!EMAIL.test(e)) throw badUserInput(field, `"${e}" is not an e-mail address`);
  return cleaned;
}

export async function setCarrierContacts(uow: Uow, input: { carrierCode: string; livemode: boolean; emails: string[] }) {
  const emails = validEmails(input.emails, 'emails');
  const [before] = await uow.tx
    .select()
    .from(carrierContacts)
    .where(and(eq(carrierContacts.carrierCode, input.carrierCode), eq(carrierContacts.livemode, input.livemode)));
  const [row] = await uow.tx
    .insert(carrierContacts)
    .values({ carrierCode: input.carrierCode, livemode: input.livemode, emails, updatedAt: new Date() })
    .onConflictDoUpdate({ target: [carrierContacts.carrierCode, carrierContacts.livemode], set: { emails, updatedAt: sql`now()` } })
    .returning();
  uow.audit({
    action: 'carrier_contacts.set',
    entityType: 'CarrierContacts',
    entityId: input.carrierCode,
    merchantId: null,
    before: before ? { emails: before.emails } : null,
    after: { emails },
  });
  return row!;
}

export async function contactsOf(db: Db, carrierCode: string, livemode: boolean): Promise<string[]> {
  const [row] = await db
    .select()
    .from(carrierContacts)
    .where(and(eq(carrierContacts.carrierCode, carrierCode), eq(carrierContacts.livemode, livemode)));
  return row?.emails ?? [];
}

export function requireMail(mail: MailSender | null): MailSender {
  if (!mail) throw domainError('MAIL_UNAVAILABLE', 'no SMTP server is configured (SMTP_URL)');
  return mail;
}

/**
 * Renders a carrier's statement (PDF) and mails it to the given recipients, else the carrier's contacts. The mail is
 * sent outside any transaction (the embedded database has one connection, which the sandbox SMTP server's store
 * needs too), then recorded by `record` (a mutation: audit record with the SMTP message id, and the event). A refused
 * mail fails the call and records nothing.
 */
export async function sendCarrierStatement(
  db: Db,
  mail: MailSender | null,
  input: { carrierCode: string; livemode: boolean; asOf: string; recipients: string[] | null; now?: Date },
  record: (work: (uow: Uow) => Promise<void>) => Promise<void>,
) {
  const sender = requireMail(mail);
  const recipients = input.recipients?.length ? validEmails(input.recipients, 'recipients') : await contactsOf(db, input.carrierCode, input.livemode);
  if (!recipients.length) throw domainError('NO_STATEMENT_RECIPIENTS', `no recipients given and no contacts set for carrier ${input.carrierCode}`);
  const report = await carrierAging(db, input.carrierCode, input.livemode, input.asOf);
  const generatedAt = input.now ?? new Date();
  const pdf = await renderCarrierStatementPdf({ carrierCode: input.carrierCode, report, generatedAt });
  const filename = `statement-${input.carrierCode}-${input.asOf}.pdf`;
  const totalsText = report.totals.length
    ? report.totals
        .map(
          (t) =>
            `${t.currency}: ${AGING_BUCKETS.map((b) => `${b} ${wireMoney(t.buckets[b], t.currency).amount}`).join(', ')}; total open ${wireMoney(t.totalMinor, t.currency).amount}`,
        )
        .join('\n')
    : 'No open items.';
  let sent;
  try {
    sent = await sender.send({
      to: recipients,
      subject: `IPAY statement of open items for ${input.carrierCode.toUpperCase()} as of ${input.asOf}`,
      text: `Open items of ${input.carrierCode.toUpperCase()} as of ${input.asOf}, by age:\n${totalsText}\n\nThe statement is attached as ${filename}.`,
      attachments: [{ filename, content: pdf, contentType: 'application/pdf' }],
    });
  } catch (error) {
    throw domainError('MAIL_DELIVERY_FAILED', `the statement mail could not be sent: ${(error as Error).message}`);
  }
  const buckets = report.totals.map((t) => ({
    currency: t.currency,
    ...Object.fromEntries(AGING_BUCKETS.map((b) => [b.toLowerCase(), wireMoney(t.buckets[b], t.currency)])),
    total: wireMoney(t.totalMinor, t.currency),
  }));
  await record(async (uow) => {
    uow.audit({
      action: 'carrier_statement.send',
      entityType: 'CarrierStatement',
      entityId: `${input.carrierCode}:${input.asOf}`,
      merchantId: null,
      after: {
        carrierCode: input.carrierCode,
        asOf: input.asOf,
        recipients,
        messageId: sent.messageId,
        attachment: { filename, bytes: pdf.length },
        openItems: report.items.length,
        buckets,
      },
    });
    uow.emit({
      type: 'carrier_statement.sent',
      subjectId: input.carrierCode,
      merchantId: null,
      livemode: input.livemode,
      carrierCode: input.carrierCode,
      payload: { carrier: input.carrierCode, as_of: input.asOf, recipients, buckets, message_id: sent.messageId },
    });
  });
  return { carrierCode: input.carrierCode, asOf: input.asOf, recipients, messageId: sent.messageId, attachment: { filename, size: pdf.length }, report };
}
