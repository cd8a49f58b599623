import { randomUUID } from 'node:crypto';
import { eq, inArray, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_MERCHANTS, type Database } from '@ipay/platform';
import * as identitySchema from '@ipay/identity/src/db/schema.ts';
import { SANDBOX_KEYS, bearer, startTestSystem, type TestSystem } from '../support.ts';
import { eventually } from '../logistics/logistics.support.ts';

/**
 * Outgoing consumer mail in the consumer's locale: the payment confirmation mail is rendered from the identity
 * localization templates (fallback nl-BE → nl → en, merchant before platform) and sent through the platform mail
 * module into the sandbox SMTP capture server, which `sandboxMail` lists.
 */
const acme = SANDBOX_MERCHANTS.find((m) => m.slug === 'acme-shop')!;
const AS_ACME = bearer(SANDBOX_KEYS['acme-owner']!);
const NBSP = '\u00a0';
const MAIL = `query($to: String!) { sandboxMail(first: 5, to: $to) { edges { node { from to subject text } } } }`;

describe('consumer mail in the consumer locale', () => {
  let system: TestSystem;
  const identityDb = () => system.subgraphs.identity.database.db as unknown as Database<typeof identitySchema>;
  beforeAll(async () => {
    system = await startTestSystem({ seed: true, authCacheTtlMs: 0 });
  });
  afterAll(() => system?.stop());

  /** An acme order for a consumer who chose `locale`, paid in the sandbox with its consumer token. */
  async function payAs(locale: string, amount: number) {
    const email = `consumer-${randomUUID().slice(0, 8)}@example.com`;
    const reference = `MAIL-${randomUUID().slice(0, 6).toUpperCase()}`;
    const input = {
      merchantId: acme.id,
      merchantReference: reference,
      currency: 'EUR',
      customer: { name: 'Lotte Peeters', email },
      shippingAddress: { name: 'Lotte Peeters', line1: 'Meir 1', city: 'Antwerpen', postalCode: '2000', country: 'BE' },
      lines: [{ sku: 'SKU-1', name: 'Lamp', quantity: 1, unitAmount: amount }],
      totalAmount: amount,
    };
    const created = await system.query(
      `mutation($input: CreateOrderInput!, $key: String!) { createOrder(input: $input, idempotencyKey: $key) { id } }`,
      { input, key: randomUUID() },
      AS_ACME,
    );
    const orderId = created.body.data.createOrder.id as string;
    const token = await eventually(async () => {
      const { body } = await system.query(
        `mutation($o: ID!, $l: String) { issueConsumerToken(orderId: $o, locale: $l) { accessToken } }`,
        { o: orderId, l: locale },
        AS_ACME,
      );
      return body.data?.issueConsumerToken?.accessToken as string | undefined;
    }, 20_000);
    const consumer = bearer(token);
    const session = await eventually(async () => {
      const { body } = await system.query(
        `mutation($input: StartPaymentSessionInput!) { startPaymentSession(input: $input) { id } }`,
        { input: { orderId, psp: 'ADYEN', method: 'ideal', idempotencyKey: `mail-${orderId}` } },
        consumer,
      );
      return body.data?.startPaymentSession?.id as string | undefined;
    }, 20_000);
    const checkout = (await system.query(`query($id: ID!) { paymentSession(id: $id) { nextAction } }`, { id: session }, consumer)).body.data.paymentSession
      .nextAction.url as string;
    const paid = await system.query(`mutation($id: ID!) { simulateSandboxPayment(sessionId: $id, outcome: SUCCEED) { status } }`, { id: session }, consumer);
    expect(paid.body.errors).toBeUndefined();
    return { orderId, email, reference, checkout };
  }

  type Mail = { from: string; to: string[]; subject: string; text: string };
  /** The captured mail to an address whose subject starts with `subject`. */
  const mailTo = (email: string, subject: string) =>
    eventually(async () => {
      const { body } = await system.query(MAIL, { to: email });
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return (body.data.sandboxMail.edges as { node: Mail }[]).map((e) => e.node).find((m) => m.subject.startsWith(subject));
    }, 30_000);

  it('mails a nl-BE consumer the payment link and the confirmation in Dutch (nl-BE → nl)', async () => {
    const { email, reference, orderId, checkout } = await payAs('nl-BE', 6150);
    // The payment link: the PSP's hosted payment page of the session.
    const request = await mailTo(email, 'Je bestelling');
    expect(request.to).toEqual([email]);
    expect(request.subject).toBe(`Je bestelling ${reference} bij Acme Shop: betalen bij aankomst`);
    expect(request.text.trim()).toBe(
      `Hallo Lotte Peeters,\n\nJe bestelling ${reference} bij Acme Shop is onderweg. Betaal €${NBSP}61,50 veilig voor of bij de levering:\n${checkout}\n\nHet pakket wordt overhandigd zodra de betaling bevestigd is.`,
    );
    const mail = await mailTo(email, 'Betaling ontvangen');
    expect(mail.to).toEqual([email]);
    expect(mail.subject).toBe(`Betaling ontvangen voor je bestelling ${reference} bij Acme Shop`);
    expect(mail.text.trim()).toBe(`Hallo Lotte Peeters,\n\nWe hebben je betaling van €${NBSP}61,50 voor bestelling ${reference} ontvangen. Bedankt!`);
    const rows = await identityDb().select().from(identitySchema.consumerMails).where(eq(identitySchema.consumerMails.orderId, orderId));
    expect(rows.map((r) => [r.message, r.locale, r.subjectLocale, r.bodyLocale, r.status, r.attempts]).sort()).toEqual([
      ['payment.confirmed.email', 'nl-BE', 'nl', 'nl', 'SENT', 1],
      ['payment.request.email', 'nl-BE', 'nl', 'nl', 'SENT', 1],
    ]);
  });

  it("mails a de consumer in German, the merchant's own template first; a locale without templates gets English", async () => {
    const published = await system.query(
      `mutation($input: PublishMessageTemplateInput!) { publishMessageTemplate(input: $input) { latestVersion } }`,
      { input: { merchantId: acme.id, locale: 'de', key: 'payment.confirmed.email.subject', message: '{merchant}: Zahlung für {reference} ist da' } },
      AS_ACME,
    );
    expect(published.body.errors).toBeUndefined();
    const german = await payAs('de', 2000);
    const de = await mailTo(german.email, 'Acme Shop: Zahlung');
    expect(de.subject).toBe(`Acme Shop: Zahlung für ${german.reference} ist da`);
    expect(de.text.trim()).toBe(
      `Hallo Lotte Peeters,\n\nwir haben Ihre Zahlung von 20,00${NBSP}€ für die Bestellung ${german.reference} erhalten. Vielen Dank!`,
    );

    const japanese = await payAs('ja', 2500);
    const en = await mailTo(japanese.email, 'Payment received');
    expect(en.subject).toBe(`Payment received for your Acme Shop order ${japanese.reference}`);
    expect(en.text.trim()).toBe(`Hello Lotte Peeters,\n\nWe received your payment of €25.00 for order ${japanese.reference}. Thank you!`);
  });

  it('sends each mail once, and never one with a raw key: a message nothing on the chain has is not sent', async () => {
    // Mail once per event, whatever the redeliveries: one row and one captured mail per paid order.
    const once = await payAs('fr-BE', 3000);
    const fr = await mailTo(once.email, 'Paiement reçu');
    expect(fr.subject).toBe(`Paiement reçu pour votre commande ${once.reference} chez Acme Shop`);
    // Both rows sent (the payment-link mail may still be in flight when the confirmation has arrived), then count.
    const rows = await eventually(async () => {
      const found = await identityDb().select().from(identitySchema.consumerMails).where(eq(identitySchema.consumerMails.orderId, once.orderId));
      return found.length === 2 && found.every((r) => r.status === 'SENT') ? found : undefined;
    }, 30_000);
    expect(rows.map((r) => r.message).sort()).toEqual(['payment.confirmed.email', 'payment.request.email']);
    await (system.subgraphs.identity.services as { consumerMail: { runOnce(): Promise<number> } }).consumerMail.runOnce();
    const captured = (await system.query(MAIL, { to: once.email })).body.data.sandboxMail.edges;
    expect(captured).toHaveLength(2);

    // Take the body away from every owner and locale (what a broken deployment would look like).
    const db = identityDb();
    const templates = await db
      .select({ id: identitySchema.messageTemplates.id })
      .from(identitySchema.messageTemplates)
      .where(eq(identitySchema.messageTemplates.key, 'payment.confirmed.email.body'));
    const ids = templates.map((t) => t.id);
    await db.delete(identitySchema.messageTemplateVersions).where(inArray(identitySchema.messageTemplateVersions.templateId, ids));
    await db.delete(identitySchema.messageTemplates).where(inArray(identitySchema.messageTemplates.id, ids));
    const broken = await payAs('nl-BE', 4000);
    const failed = await eventually(async () => {
      const rows = await db.select().from(identitySchema.consumerMails).where(eq(identitySchema.consumerMails.orderId, broken.orderId));
      return rows.find((r) => r.message === 'payment.confirmed.email');
    }, 30_000);
    expect(failed).toMatchObject({ status: 'FAILED', subject: null, body: null, attempts: 0 });
    expect(failed.lastError).toMatch(/^MESSAGE_TEMPLATE_MISSING: /);
    // Its payment link mail (intact templates) arrives; the confirmation never does, raw or otherwise.
    await mailTo(broken.email, 'Je bestelling');
    await (system.subgraphs.identity.services as { consumerMail: { runOnce(): Promise<number> } }).consumerMail.runOnce();
    const received = (await system.query(MAIL, { to: broken.email })).body.data.sandboxMail.edges as { node: Mail }[];
    expect(received.map((e) => e.node.subject)).toEqual([`Je bestelling ${broken.reference} bij Acme Shop: betalen bij aankomst`]);
    const raw = await db.select().from(identitySchema.consumerMails).where(like(identitySchema.consumerMails.body, '%payment.confirmed%'));
    expect(raw).toEqual([]);
  });
});
